#!/usr/bin/python3
"""The peer of `rxgrad tune --sampler tpe --prune asha` in bench/tuning.mjs: the same study in
Optuna (TPE sampler, successive-halving pruner) training the same networks in PyTorch.

The data are the study's own split, written by bench/tuning.mjs as raw little-endian files:
x-train.f32, y-train.i32, x-val.f32, y-val.i32 and shape.json ({"cols": C, "classes": K}).
Inputs are standardized per feature with training-part statistics, as rxgrad does.

The space is rxgrad's default one on the same scales: learning rate log-uniform in [1e-4, 0.1],
Adam's beta1 = 1 - 10^r for 1 - beta1 log-uniform in [1e-3, 0.2], hidden units log-uniform
integers in [16, 256], batch size in {32, 64, 128, 256}, 1 to 3 hidden layers, inverse-time
learning-rate decay in [0, 0.5]. Each hidden layer is Linear (no bias) -> BatchNorm -> ReLU, then
a Linear output and softmax cross-entropy; He-normal init. Validation accuracy is reported after
each epoch; SuccessiveHalvingPruner(min_resource=1, reduction_factor=ETA).

Usage: /usr/bin/python3 bench/optuna_study.py DATA_DIR TRIALS EPOCHS SEED JOBS ETA
Prints one JSON line: wall seconds, best validation accuracy (completed trials), counts.
"""
import json
import sys
import time

import numpy as np
import optuna
import torch
import torch.nn.functional as F

data_dir, trials, epochs, seed, jobs, eta = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
torch.set_num_threads(1)
optuna.logging.set_verbosity(optuna.logging.WARNING)
started = time.perf_counter()

shape = json.load(open(f"{data_dir}/shape.json"))
cols, classes = shape["cols"], shape["classes"]
x_train = torch.from_numpy(np.fromfile(f"{data_dir}/x-train.f32", dtype="<f4").reshape(-1, cols).copy())
y_train = torch.from_numpy(np.fromfile(f"{data_dir}/y-train.i32", dtype="<i4").astype(np.int64))
x_val = torch.from_numpy(np.fromfile(f"{data_dir}/x-val.f32", dtype="<f4").reshape(-1, cols).copy())
y_val = torch.from_numpy(np.fromfile(f"{data_dir}/y-val.i32", dtype="<i4").astype(np.int64))
mean, std = x_train.mean(0), x_train.std(0, unbiased=False)
std = torch.where(std > 1e-12, std, torch.ones_like(std))
x_train, x_val = (x_train - mean) / std, (x_val - mean) / std


def objective(trial):
    lr = trial.suggest_float("learningRate", 1e-4, 1e-1, log=True)
    beta1 = 1 - trial.suggest_float("oneMinusMomentum", 1e-3, 0.2, log=True)
    units = trial.suggest_int("hiddenUnits", 16, 256, log=True)
    batch = trial.suggest_categorical("batchSize", [32, 64, 128, 256])
    layers = trial.suggest_int("layers", 1, 3)
    decay = trial.suggest_float("lrDecay", 0.0, 0.5)
    torch.manual_seed(seed * 100003 + trial.number)
    modules, inputs = [], cols
    for _ in range(layers):
        modules += [torch.nn.Linear(inputs, units, bias=False), torch.nn.BatchNorm1d(units), torch.nn.ReLU()]
        inputs = units
    modules.append(torch.nn.Linear(inputs, classes))
    net = torch.nn.Sequential(*modules)
    for m in net:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(net.parameters(), lr=lr, betas=(beta1, 0.999))
    accuracy = 0.0
    for epoch in range(epochs):
        for group in opt.param_groups:
            group["lr"] = lr / (1 + decay * epoch)
        net.train()
        order = torch.randperm(len(x_train))
        for i in range(0, len(order), batch):
            index = order[i:i + batch]
            if len(index) < 2:
                continue
            opt.zero_grad()
            F.cross_entropy(net(x_train[index]), y_train[index]).backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            accuracy = (net(x_val).argmax(1) == y_val).float().mean().item()
        trial.report(accuracy, epoch + 1)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return accuracy


study = optuna.create_study(
    direction="maximize",
    sampler=optuna.samplers.TPESampler(seed=seed),
    pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=eta),
)
study.optimize(objective, n_trials=trials, n_jobs=jobs)
states = [t.state for t in study.trials]
print(json.dumps({
    "optuna": optuna.__version__,
    "torch": torch.__version__,
    "seconds": time.perf_counter() - started,
    "best": study.best_value,
    "completed": sum(s == optuna.trial.TrialState.COMPLETE for s in states),
    "pruned": sum(s == optuna.trial.TrialState.PRUNED for s in states),
}))
