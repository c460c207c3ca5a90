# The kernel micro-benchmark's PyTorch peer (bench/kernels.mjs): GFLOP/s of torch.mm on one thread
# for each product, in the layout PyTorch's own Linear layer uses (W as units x inputs, as rxgrad):
# forward x @ W.T, weight gradient dZ.T @ x, input gradient dZ @ W. Reads the shapes as JSON
# ([{"m", "k", "n", "case"}], case "A·B", "Aᵀ·B" or "A·Bᵀ") from argv[1]; prints one JSON line:
# the version and the GFLOP/s in the same order.
import json
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(0)


def gflops(m, k, n, case):
    a = torch.randn(k, m) if case == "Aᵀ·B" else torch.randn(m, k)
    b = torch.randn(n, k) if case == "A·Bᵀ" else torch.randn(k, n)
    left = a.t() if case == "Aᵀ·B" else a
    right = b.t() if case == "A·Bᵀ" else b
    out = torch.empty(m, n)
    run = lambda: torch.mm(left, right, out=out)
    for _ in range(3):
        run()
    reps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < 0.4:
        run()
        reps += 1
    return 2 * m * k * n / ((time.perf_counter() - start) / reps) / 1e9


shapes = json.loads(sys.argv[1])
print(json.dumps({"version": torch.__version__, "gflops": [gflops(s["m"], s["k"], s["n"], s["case"]) for s in shapes]}))
