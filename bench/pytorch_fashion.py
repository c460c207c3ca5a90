#!/usr/bin/python3
"""The Fashion-MNIST workload of bench/fashion.mjs in PyTorch, for comparison in the same run.

784 -> 256 -> 128 -> 10, Linear (no bias) -> BatchNorm -> ReLU twice, softmax cross-entropy,
He-normal init, Adam 1e-3, batch 128, reshuffled each epoch; inputs standardized per pixel with
training-set statistics (as rxgrad does); with DROPOUT, torch.nn.Dropout after each ReLU. Prints one
JSON line per epoch (with the training set's accuracy in eval mode when DROPOUT is given).
Usage: /usr/bin/python3 bench/pytorch_fashion.py THREADS EPOCHS [IDX_DIR] [SEED] [DROPOUT]
"""
import gzip
import json
import resource
import sys
import time

import numpy as np
import torch

from torch_peer import accuracy, network, standardized, train_epoch

threads, epochs = int(sys.argv[1]), int(sys.argv[2])
source = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
torch.set_num_threads(threads)
torch.manual_seed(int(sys.argv[4]) if len(sys.argv) > 4 else 0)


def idx(name, offset):
    with gzip.open(f"{source}/{name}") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


x_train = torch.tensor(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784), dtype=torch.float32)
y_train = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8), dtype=torch.long)
x_test = torch.tensor(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784), dtype=torch.float32)
y_test = torch.tensor(idx("t10k-labels-idx1-ubyte.gz", 8), dtype=torch.long)
x_train, x_test = standardized(x_train, x_test)
dropout = float(sys.argv[5]) if len(sys.argv) > 5 else None
net = network([784, 256, 128, 10], dropout or 0.0)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for epoch in range(epochs):
    start = time.perf_counter()
    train_epoch(net, opt, x_train, y_train, 128)
    seconds = time.perf_counter() - start
    test_accuracy = accuracy(net, x_test, y_test)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    line = {"epoch": epoch + 1, "seconds": seconds, "testAccuracy": test_accuracy, "peakRssMB": rss / 1024}
    if dropout is not None:
        line["trainAccuracy"] = accuracy(net, x_train, y_train)
    print(json.dumps(line), flush=True)
