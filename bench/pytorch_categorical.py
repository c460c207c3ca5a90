#!/usr/bin/python3
"""The mixed-column workload of bench/categorical.mjs in PyTorch: one-hot text and boolean columns as
pandas' get_dummies makes them (sorted levels), numeric columns standardized with the training
rows' statistics, rxgrad's network (torch_peer.network), Adam 1e-3, batch 64. Prints one JSON line.
Usage: python bench/pytorch_categorical.py TRAIN.csv TEST.csv EPOCHS SEED
"""
import json
import sys
import time

import pandas as pd
import torch

from torch_peer import accuracy, network, train_epoch

train_file, test_file, epochs, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(1)
torch.manual_seed(seed)
train, test = pd.read_csv(train_file), pd.read_csv(test_file)
numeric = [c for c in train.columns if c not in ("color", "size", "member", "label")]
mean, std = train[numeric].mean(), train[numeric].std(ddof=0)


def inputs(frame):
    x = (frame[numeric] - mean) / std
    # Levels of the training rows, sorted; booleans read as true/false as rxgrad reads them.
    for column in ("color", "size", "member"):
        values = frame[column].astype(str).str.lower()
        for level in sorted(train[column].astype(str).str.lower().unique()):
            x[f"{column}={level}"] = (values == level).astype("float32")
    return torch.tensor(x.to_numpy(dtype="float32"))


x_train, x_test = inputs(train), inputs(test)
classes = sorted(train["label"].unique())
y_train = torch.tensor(train["label"].map(classes.index).to_numpy())
y_test = torch.tensor(test["label"].map(classes.index).to_numpy())
net = network([x_train.shape[1], 64, 32, len(classes)])
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
start = time.perf_counter()
for _ in range(epochs):
    train_epoch(net, opt, x_train, y_train, 64)
print(json.dumps({"testAccuracy": accuracy(net, x_test, y_test), "seconds": time.perf_counter() - start, "inputs": x_train.shape[1]}))
