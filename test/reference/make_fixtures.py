#!/usr/bin/python3
"""Computes PyTorch reference values for rxgrad's parity tests and writes them as JSON fixtures.

Run with Debian's interpreter, which sees Debian's python3-torch (the python3 first on PATH may not):

    apt-get install python3-torch python3-sklearn
    /usr/bin/python3 test/reference/make_fixtures.py

Everything is seeded and computed on the CPU in float32, so the fixtures regenerate byte for byte.
"""
import gzip
import json
import os

import torch
import torch.nn.functional as F

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
DIGITS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
if not os.path.exists(DIGITS):
    import sklearn

    DIGITS = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data", "digits.csv.gz")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def write(name, data):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump({"generator": "test/reference/make_fixtures.py", "torch": torch.__version__, **data}, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    print(path)


def batch_norm_cases():
    cases = []
    # (batch, features): two rows, an odd batch, and more features than rows.
    for seed, (n, c) in enumerate([(2, 3), (5, 4), (3, 7), (8, 2)]):
        g = torch.Generator().manual_seed(1000 + seed)
        bn = torch.nn.BatchNorm1d(c, eps=1e-5, momentum=0.1)
        with torch.no_grad():
            bn.weight.copy_(torch.rand(c, generator=g) + 0.5)
            bn.bias.copy_(torch.randn(c, generator=g))
        steps = []
        for _ in range(3):
            x = (torch.randn(n, c, generator=g) * 3 + 1).requires_grad_(True)
            dy = torch.randn(n, c, generator=g)
            bn.train()
            bn.zero_grad()
            y = bn(x)
            y.backward(dy)
            steps.append({
                "x": flat(x), "dy": flat(dy), "y": flat(y), "dx": flat(x.grad),
                "dgamma": flat(bn.weight.grad), "dbeta": flat(bn.bias.grad),
                "runningMean": flat(bn.running_mean), "runningVar": flat(bn.running_var),
            })
        bn.eval()
        x_eval = torch.randn(n, c, generator=g) * 2
        y_eval = bn(x_eval)
        cases.append({
            "rows": n, "features": c, "gamma": flat(bn.weight), "beta": flat(bn.bias), "steps": steps,
            "evalX": flat(x_eval), "evalY": flat(y_eval),
        })
    try:
        torch.nn.BatchNorm1d(3).train()(torch.randn(1, 3))
        batch_of_one = "accepted"
    except ValueError as error:
        batch_of_one = str(error)
    write("batchNorm.json", {"epsilon": 1e-5, "momentum": 0.1, "cases": cases, "batchOfOneError": batch_of_one})


def softmax_cases():
    cases = []
    g = torch.Generator().manual_seed(7)
    shapes = [(1, 2), (4, 3), (5, 10), (3, 7)]
    for n, k in shapes:
        z = (torch.randn(n, k, generator=g) * 4).requires_grad_(True)
        labels = torch.randint(0, k, (n,), generator=g)
        loss = F.cross_entropy(z, labels)
        loss.backward()
        cases.append({"rows": n, "classes": k, "logits": flat(z), "labels": labels.tolist(), "loss": float(loss), "dLogits": flat(z.grad),
                      "probabilities": flat(torch.softmax(z, dim=1))})
    z = torch.tensor([[1e4, 0.0, -1e4], [1e4, 1e4 - 1.0, 3.0], [-1e4, -1e4, -1e4]], requires_grad=True)
    labels = torch.tensor([1, 0, 2])
    loss = F.cross_entropy(z, labels)
    loss.backward()
    cases.append({"rows": 3, "classes": 3, "logits": flat(z), "labels": labels.tolist(), "loss": float(loss), "dLogits": flat(z.grad),
                  "probabilities": flat(torch.softmax(z, dim=1)), "note": "large logits that overflow a naive softmax"})
    write("softmaxCrossEntropy.json", {"cases": cases})


def optimizer_runs():
    g = torch.Generator().manual_seed(42)
    initial = torch.randn(6, generator=g)
    gradients = torch.randn(20, 6, generator=g)
    lr = 0.05
    specs = [
        ("sgd", lambda p, wd: torch.optim.SGD([p], lr=lr, weight_decay=wd)),
        ("momentumPytorch", lambda p, wd: torch.optim.SGD([p], lr=lr, momentum=0.9, weight_decay=wd)),
        ("rmsprop", lambda p, wd: torch.optim.RMSprop([p], lr=lr, alpha=0.9, eps=1e-8, weight_decay=wd)),
        ("adam", lambda p, wd: torch.optim.Adam([p], lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)),
    ]
    runs = []
    for name, make in specs:
        for wd in (0.0, 0.01):
            p = initial.clone().requires_grad_(True)
            opt = make(p, wd)
            trajectory = []
            for t in range(20):
                p.grad = gradients[t].clone()
                opt.step()
                trajectory.append(flat(p))
            runs.append({"optimizer": name, "weightDecay": wd, "trajectory": trajectory})
    write("optimizers.json", {"learningRate": lr, "initial": flat(initial), "gradients": [flat(r) for r in gradients], "runs": runs})


def schedules():
    def lrs(make):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make(opt)
        out = []
        for _ in range(12):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return out

    write("schedules.json", {
        "initial": 0.1,
        "inverse": {"decay": 0.5, "lrs": lrs(lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + 0.5 * e)))},
        "exponential": {"rate": 0.9, "lrs": lrs(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9))},
        "step": {"every": 4, "gamma": 0.5, "lrs": lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5))},
    })


def read_digits():
    rows = [[int(v) for v in line.split(",")] for line in gzip.open(DIGITS, "rt").read().strip().split("\n")]
    return rows


def training_run():
    rows = read_digits()
    data = torch.tensor([r[:64] for r in rows], dtype=torch.float32)
    labels = torch.tensor([r[64] for r in rows])
    g = torch.Generator().manual_seed(2024)
    batch, steps = 32, 30
    order = torch.randperm(len(rows), generator=g)[: batch * steps]
    mean = data.mean(dim=0)
    std = data.std(dim=0, unbiased=False)
    std = torch.where(std > 1e-12, std, torch.ones_like(std))

    def make_network():
        torch.manual_seed(2024)
        return torch.nn.Sequential(
            torch.nn.Linear(64, 32, bias=False), torch.nn.BatchNorm1d(32), torch.nn.ReLU(),
            torch.nn.Linear(32, 16, bias=False), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
            torch.nn.Linear(16, 10),
        )

    def state(net):
        return {name: flat(t) for name, t in net.state_dict().items() if not name.endswith("num_batches_tracked")}

    def run(dtype, make_optimizer):
        net = make_network().to(dtype)
        opt = make_optimizer(net.parameters())
        losses = []
        net.train()
        for s in range(steps):
            idx = order[s * batch:(s + 1) * batch]
            x = (data[idx].to(dtype) - mean.to(dtype)) / std.to(dtype)
            opt.zero_grad()
            loss = F.cross_entropy(net(x), labels[idx])
            loss.backward()
            opt.step()
            losses.append(float(loss))
        return {"losses": losses, "final": state(net)}

    adam = lambda params: torch.optim.Adam(params, lr=0.01)
    sgd = lambda params: torch.optim.SGD(params, lr=0.1)
    write("trainingRun.json", {
        "batchSize": batch,
        "pixels": [int(v) for v in data[order].reshape(-1).tolist()],
        "labels": labels[order].tolist(),
        "mean": flat(mean), "std": flat(std),
        "initial": state(make_network()),
        # The same run in float32 (what rxgrad trains in) and in float64 (to compare without round-off).
        "adam": {"learningRate": 0.01, "float32": run(torch.float32, adam), "float64": run(torch.float64, adam)},
        "sgd": {"learningRate": 0.1, "float32": run(torch.float32, sgd), "float64": run(torch.float64, sgd)},
    })


M32 = 0xFFFFFFFF
GOLDEN = 0x9E3779B9


def mix32(x):
    """Wellons' lowbias32, as src/model/dropout.ts has it."""
    x &= M32
    x ^= x >> 16
    x = (x * 0x7FEB352D) & M32
    x ^= x >> 15
    x = (x * 0x846CA68B) & M32
    x ^= x >> 16
    return x


def dropout_key(seed, epoch, batch, layer):
    h = 0
    for word in (seed & M32, (seed >> 32) & M32, epoch, batch, layer):
        h = mix32(h ^ mix32((word + GOLDEN) & M32))
    return h


def dropout_mask(n, rate, key):
    """rxgrad's mask, drawn here independently of its code: element i kept when its hash ≥ rate·2³²."""
    kept = 1 / (1 - rate)
    return [kept if mix32((key + (i + 1) * GOLDEN) & M32) >= rate * 2**32 else 0.0 for i in range(n)]


class MaskedDropout(torch.nn.Module):
    """Inverted dropout with rxgrad's mask for the current step, in place of torch's own draws."""

    def __init__(self, rate, position, run):
        super().__init__()
        self.rate, self.position, self.run = rate, position, run

    def forward(self, x):
        if not self.training:
            return x
        key = dropout_key(self.run["seed"], self.run["epoch"], self.run["batch"], self.position)
        mask = torch.tensor(dropout_mask(x.numel(), self.rate, key), dtype=x.dtype).reshape(x.shape)
        return x * mask


def dropout_run():
    """The Adam run of training_run() with dropout p = 0.2 after each ReLU, rxgrad's masks applied by torch."""
    rows = read_digits()
    data = torch.tensor([r[:64] for r in rows], dtype=torch.float32)
    labels = torch.tensor([r[64] for r in rows])
    g = torch.Generator().manual_seed(2025)
    batch, steps, rate = 32, 30, 0.2
    order = torch.randperm(len(rows), generator=g)[: batch * steps]
    mean = data.mean(dim=0)
    std = data.std(dim=0, unbiased=False)
    std = torch.where(std > 1e-12, std, torch.ones_like(std))
    run_key = {"seed": 0, "epoch": 0, "batch": 0}

    def make_network():
        torch.manual_seed(2025)
        return torch.nn.Sequential(
            torch.nn.Linear(64, 32, bias=False), torch.nn.BatchNorm1d(32), torch.nn.ReLU(), MaskedDropout(rate, 3, run_key),
            torch.nn.Linear(32, 16, bias=False), torch.nn.BatchNorm1d(16), torch.nn.ReLU(), MaskedDropout(rate, 7, run_key),
            torch.nn.Linear(16, 10),
        )

    def state(net):
        return {name: flat(t) for name, t in net.state_dict().items() if not name.endswith("num_batches_tracked")}

    def run(dtype):
        net = make_network().to(dtype)
        opt = torch.optim.Adam(net.parameters(), lr=0.01)
        losses = []
        net.train()
        for s in range(steps):
            run_key["batch"] = s
            idx = order[s * batch:(s + 1) * batch]
            x = (data[idx].to(dtype) - mean.to(dtype)) / std.to(dtype)
            opt.zero_grad()
            loss = F.cross_entropy(net(x), labels[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        net.eval()
        x = (data[order[:batch]].to(dtype) - mean.to(dtype)) / std.to(dtype)
        return {"losses": losses, "final": state(net), "inference": flat(net(x))}

    write("dropoutRun.json", {
        "batchSize": batch,
        "rate": rate,
        "pixels": [int(v) for v in data[order].reshape(-1).tolist()],
        "labels": labels[order].tolist(),
        "mean": flat(mean), "std": flat(std),
        "initial": state(make_network()),
        "firstMask": dropout_mask(batch * 32, rate, dropout_key(0, 0, 0, 3)),
        "adam": {"learningRate": 0.01, "float32": run(torch.float32), "float64": run(torch.float64)},
    })


def weighted_cross_entropy():
    """CrossEntropyLoss(weight=w): the weighted mean and its gradient, for rxgrad's class weights."""
    g = torch.Generator().manual_seed(36)
    cases = []
    for n, k in [(6, 3), (16, 4), (5, 2)]:
        z = (torch.randn(n, k, generator=g) * 3).requires_grad_(True)
        labels = torch.randint(0, k, (n,), generator=g)
        weight = torch.rand(k, generator=g) * 4
        loss = torch.nn.CrossEntropyLoss(weight=weight)(z, labels)
        loss.backward()
        cases.append({"rows": n, "classes": k, "logits": flat(z), "labels": labels.tolist(), "weights": flat(weight),
                      "loss": loss.item(), "dLogits": flat(z.grad)})
    write("weightedCrossEntropy.json", {"cases": cases})


def target_losses():
    """MSELoss, HuberLoss(delta) and BCEWithLogitsLoss (means) and their gradients: regression and multi-label heads."""
    g = torch.Generator().manual_seed(37)
    cases = []
    for n, k in [(5, 1), (8, 3), (3, 4)]:
        p = (torch.randn(n, k, generator=g) * 3).requires_grad_(True)
        t = torch.randn(n, k, generator=g) * 2
        y = (torch.rand(n, k, generator=g) < 0.4).float()
        case = {"rows": n, "cols": k, "predictions": flat(p), "targets": flat(t), "labels": flat(y)}
        for name, loss_of in [
            ("mse", lambda: torch.nn.MSELoss()(p, t)),
            ("huber", lambda: torch.nn.HuberLoss(delta=1.5)(p, t)),
            ("bce", lambda: torch.nn.BCEWithLogitsLoss()(p, y)),
        ]:
            p.grad = None
            loss = loss_of()
            loss.backward()
            case[name] = {"loss": loss.item(), "gradient": flat(p.grad)}
        case["sigmoid"] = flat(torch.sigmoid(p))
        cases.append(case)
    z = torch.tensor([[1e4, -1e4, 0.0], [-40.0, 40.0, 1e-3]], requires_grad=True)
    y = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    loss = torch.nn.BCEWithLogitsLoss()(z, y)
    loss.backward()
    write("targetLosses.json", {"delta": 1.5, "cases": cases,
                                "extreme": {"logits": flat(z), "labels": flat(y), "loss": loss.item(), "gradient": flat(z.grad)}})


FIXTURES = {
    "batchNorm": batch_norm_cases,
    "softmaxCrossEntropy": softmax_cases,
    "optimizers": optimizer_runs,
    "schedules": schedules,
    "trainingRun": training_run,
    "dropoutRun": dropout_run,
    "weightedCrossEntropy": weighted_cross_entropy,
    "targetLosses": target_losses,
}

if __name__ == "__main__":
    import sys

    for name in sys.argv[1:] or FIXTURES:
        FIXTURES[name]()
