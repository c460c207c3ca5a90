"""What the PyTorch peers of the benches share: rxgrad's input standardization, its network, and its epoch."""
import torch
import torch.nn.functional as F


def standardized(x_train, x_test):
    """Both sets standardized per feature with the training set's mean and (population) std, as rxgrad does."""
    mean, std = x_train.mean(0), x_train.std(0, unbiased=False)
    std = torch.where(std > 1e-12, std, torch.ones_like(std))
    return (x_train - mean) / std, (x_test - mean) / std


def network(sizes, dropout=0.0):
    """rxgrad's dense network: Linear (no bias) -> BatchNorm -> ReLU (-> Dropout) per hidden layer, a Linear with bias last, He-normal init."""
    layers = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [torch.nn.Linear(n_in, n_out, bias=False), torch.nn.BatchNorm1d(n_out), torch.nn.ReLU()]
        if dropout > 0:
            layers.append(torch.nn.Dropout(dropout))
    net = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-2], sizes[-1]))
    for m in net:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)
    return net


def train_epoch(net, opt, x_train, y_train, batch):
    """One epoch of mini-batches in a fresh random order."""
    net.train()
    order = torch.randperm(len(x_train))
    for i in range(0, len(order), batch):
        index = order[i:i + batch]
        opt.zero_grad()
        F.cross_entropy(net(x_train[index]), y_train[index]).backward()
        opt.step()


def accuracy(net, x, y):
    net.eval()
    with torch.no_grad():
        return (net(x).argmax(1) == y).float().mean().item()
