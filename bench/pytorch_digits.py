#!/usr/bin/python3
"""What `npm start` runs, as a PyTorch script: the whole command, start-up included, for bench/digits.mjs.

rxgrad train's defaults on the bundled digits: 64 -> 64 -> 32 -> 10, Linear (no bias) ->
BatchNorm -> ReLU twice, softmax cross-entropy, He-normal init, Adam 1e-3, batch 64, 20 epochs,
reshuffled each epoch, inputs standardized with the training file's statistics; reads the same
Arrow files (pyarrow) and prints the test accuracy as one JSON line.
Usage: python bench/pytorch_digits.py TRAIN.arrow TEST.arrow [THREADS]
"""
import json
import sys

import numpy as np
import pyarrow.ipc as ipc
import torch

from torch_peer import accuracy, network, standardized, train_epoch

torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
torch.manual_seed(0)


def read(file):
    table = ipc.open_file(file).read_all()
    pixels = table.column("pixels").combine_chunks()
    x = np.asarray(pixels.flatten(), dtype=np.float32).reshape(len(table), -1)
    return torch.from_numpy(x), torch.from_numpy(table.column("label").to_numpy().astype(np.int64))


x_train, y_train = read(sys.argv[1])
x_test, y_test = read(sys.argv[2])
x_train, x_test = standardized(x_train, x_test)
net = network([64, 64, 32, 10])
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for epoch in range(20):
    train_epoch(net, opt, x_train, y_train, 64)
print(json.dumps({"testAccuracy": accuracy(net, x_test, y_test)}))
