#!/usr/bin/python3
"""The Fashion-MNIST workload of bench/fashion.mjs in PyTorch, for comparison in the same run.

784 -> 256 -> 128 -> 10, Linear (no bias) -> BatchNorm -> ReLU twice, softmax cross-entropy,
He-normal init, Adam 1e-3, batch 128, reshuffled each epoch; inputs standardized per pixel with
training-set statistics (as rxgrad does). Prints one JSON line per epoch.
Usage: /usr/bin/python3 bench/pytorch_fashion.py THREADS EPOCHS [IDX_DIR] [SEED]
"""
import gzip
import json
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

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
mean, std = x_train.mean(0), x_train.std(0, unbiased=False)
std = torch.where(std > 1e-12, std, torch.ones_like(std))
x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

net = torch.nn.Sequential(
    torch.nn.Linear(784, 256, bias=False), torch.nn.BatchNorm1d(256), torch.nn.ReLU(),
    torch.nn.Linear(256, 128, bias=False), torch.nn.BatchNorm1d(128), torch.nn.ReLU(),
    torch.nn.Linear(128, 10),
)
for m in net:
    if isinstance(m, torch.nn.Linear):
        torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        if m.bias is not None:
            torch.nn.init.zeros_(m.bias)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for epoch in range(epochs):
    net.train()
    start = time.perf_counter()
    order = torch.randperm(len(x_train))
    for i in range(0, len(order), 128):
        idx_ = order[i:i + 128]
        opt.zero_grad()
        F.cross_entropy(net(x_train[idx_]), y_train[idx_]).backward()
        opt.step()
    seconds = time.perf_counter() - start
    net.eval()
    with torch.no_grad():
        accuracy = (net(x_test).argmax(1) == y_test).float().mean().item()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"epoch": epoch + 1, "seconds": seconds, "testAccuracy": accuracy, "peakRssMB": rss / 1024}), flush=True)
