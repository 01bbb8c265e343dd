"""Whole programs, each written once against torch's API and run by both frameworks: what a user
feels, interpreter start, imports and JIT compiles included.

    python -m benchmarks.programs NAME FRAMEWORK [--steps N] [--threads T] [--loops 2]

runs one program in this process and prints a JSON line: the import time, each loop's seconds
(a loop is ``steps`` training steps) and the last loss. ``benchmarks/cases_programs.py`` runs it
in fresh child processes and times them from the outside.

The programs, after well-known examples (small sizes, so that a loop takes seconds on one core):

* ``makemore_mlp``: Karpathy's makemore MLP with a hand-written batch norm (part 3): embedding
  lookup ``C[X]``, ``view``, a tanh layer normalised with ``mean(0)`` / ``std(0)``, cross-entropy,
  and the manual SGD update ``p.data += -lr * p.grad``, on random 3-character contexts;
* ``mnist``: pytorch/examples' MNIST loop: two convs, max pool, dropout, two linears,
  log_softmax + nll_loss, Adadelta and StepLR, on batches of 64 images (MNIST's test images from
  ``--data-dir`` or ``$MINIGRAD_BENCH_MNIST``, a folder with ``t10k-images-idx3-ubyte.gz`` and its
  labels, where given; random images otherwise);
* ``vae``: pytorch/examples' VAE (784-400-20), reparameterisation, binary cross-entropy + KL
  divergence, Adam;
* ``lstm_lm``: pytorch/examples' word language model with an LSTM: embedding, 2-layer LSTM,
  decoder, cross-entropy, truncated back-propagation (hidden state detached each step),
  ``clip_grad_norm_`` and the manual SGD update.

Data come from seeded NumPy generators, the same arrays for both frameworks; weights come from
each framework's own initialisation (seeded), so the losses agree in scale, not in digits.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

PROGRAMS = ("makemore_mlp", "mnist", "vae", "lstm_lm")
STEPS = {"makemore_mlp": 200, "mnist": 10, "vae": 100, "lstm_lm": 20}   # steps per loop (full run)


# -- makemore MLP -------------------------------------------------------------------------------
def makemore_mlp(fw, steps, rng, data_dir=None):
    vocab, block, n_embd, n_hidden, batch = 27, 3, 10, 200, 32
    X = fw.from_numpy(rng.integers(0, vocab, (20_000, block)))
    Y = fw.from_numpy(rng.integers(0, vocab, 20_000))
    g = fw.Generator().manual_seed(2147483647)
    C = fw.randn((vocab, n_embd), generator=g)
    W1 = fw.randn((n_embd * block, n_hidden), generator=g) * (5 / 3) / (n_embd * block) ** 0.5
    W2 = fw.randn((n_hidden, vocab), generator=g) * 0.01
    b2 = fw.randn(vocab, generator=g) * 0
    bngain, bnbias = fw.ones((1, n_hidden)), fw.zeros((1, n_hidden))
    parameters = [C, W1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True
    batches = rng.integers(0, X.shape[0], (steps, batch))

    def loop():
        for i in range(steps):
            ix = fw.from_numpy(batches[i])
            Xb, Yb = X[ix], Y[ix]
            emb = C[Xb]
            hpreact = emb.view(emb.shape[0], -1) @ W1
            hpreact = bngain * (hpreact - hpreact.mean(0, keepdim=True)) / hpreact.std(0, keepdim=True) + bnbias
            h = fw.tanh(hpreact)
            logits = h @ W2 + b2
            loss = fw.nn.functional.cross_entropy(logits, Yb)
            for p in parameters:
                p.grad = None
            loss.backward()
            for p in parameters:
                p.data += -0.1 * p.grad
        return loss.item()
    return loop


# -- pytorch/examples MNIST ---------------------------------------------------------------------
def _mnist_arrays(data_dir, rng, n):
    if data_dir:
        folder = Path(data_dir)
        images, labels = folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz"
        if images.exists() and labels.exists():
            with gzip.open(images) as f:
                x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
            with gzip.open(labels) as f:
                y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
            x = ((x[:n].astype(np.float32) / 255) - 0.1307) / 0.3081   # the example's Normalize
            return x, y[:n]
    return rng.standard_normal((n, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, n)


def mnist(fw, steps, rng, data_dir=None):
    nn, F = fw.nn, fw.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = fw.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return F.log_softmax(self.fc2(x), dim=1)

    batch = 64
    x, y = _mnist_arrays(data_dir, rng, steps * batch)
    fw.manual_seed(1)
    model = Net()
    optimizer = fw.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = fw.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    data = [(fw.from_numpy(x[i * batch:(i + 1) * batch]), fw.from_numpy(y[i * batch:(i + 1) * batch]))
            for i in range(steps)]

    def loop():
        model.train()
        for xb, yb in data:
            optimizer.zero_grad()
            loss = F.nll_loss(model(xb), yb)
            loss.backward()
            optimizer.step()
        scheduler.step()
        return loss.item()
    return loop


# -- pytorch/examples VAE -----------------------------------------------------------------------
def vae(fw, steps, rng, data_dir=None):
    nn, F = fw.nn, fw.nn.functional

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 400)
            self.fc21 = nn.Linear(400, 20)
            self.fc22 = nn.Linear(400, 20)
            self.fc3 = nn.Linear(20, 400)
            self.fc4 = nn.Linear(400, 784)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            std = fw.exp(0.5 * logvar)
            eps = fw.randn_like(std)
            return mu + eps * std

        def decode(self, z):
            h3 = F.relu(self.fc3(z))
            return fw.sigmoid(self.fc4(h3))

        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, 784))
            z = self.reparameterize(mu, logvar)
            return self.decode(z), mu, logvar

    batch = 128
    x = rng.random((steps * batch, 784), dtype=np.float32)
    fw.manual_seed(1)
    model = VAE()
    optimizer = fw.optim.Adam(model.parameters(), lr=1e-3)
    data = [fw.from_numpy(x[i * batch:(i + 1) * batch]) for i in range(steps)]

    def loop():
        model.train()
        for xb in data:
            optimizer.zero_grad()
            recon, mu, logvar = model(xb)
            bce = F.binary_cross_entropy(recon, xb.view(-1, 784), reduction="sum")
            kld = -0.5 * fw.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = bce + kld
            loss.backward()
            optimizer.step()
        return loss.item() / batch
    return loop


# -- pytorch/examples word language model (LSTM) ------------------------------------------------
def lstm_lm(fw, steps, rng, data_dir=None):
    nn = fw.nn
    ntokens, emsize, nhid, nlayers, bptt, batch = 1000, 200, 200, 2, 35, 20

    class RNNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.2)
            self.encoder = nn.Embedding(ntokens, emsize)
            self.rnn = nn.LSTM(emsize, nhid, nlayers, dropout=0.2)
            self.decoder = nn.Linear(nhid, ntokens)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            output = self.drop(output)
            decoded = self.decoder(output).view(-1, ntokens)
            return fw.nn.functional.log_softmax(decoded, dim=1), hidden

    tokens = rng.integers(0, ntokens, (steps * bptt + 1, batch))
    fw.manual_seed(1)
    model = RNNModel()
    criterion = nn.NLLLoss()
    source = fw.from_numpy(tokens)
    lr = 20.0

    def loop():
        model.train()
        hidden = (fw.zeros(nlayers, batch, nhid), fw.zeros(nlayers, batch, nhid))
        for i in range(0, steps * bptt, bptt):
            data, targets = source[i:i + bptt], source[i + 1:i + 1 + bptt].reshape(-1)
            hidden = tuple(h.detach() for h in hidden)   # truncated back-propagation
            model.zero_grad()
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
        return loss.item()
    return loop


def child(name: str, framework: str, steps: int, threads: int, loops: int, data_dir=None) -> dict:
    """Import one framework, build the program, run its loop ``loops`` times; seconds of each."""
    t0 = time.perf_counter()
    fw = __import__(framework)
    import_s = time.perf_counter() - t0
    from benchmarks.harness import set_threads
    set_threads(threads, {"minigrad": ("numba",), "torch": ("torch",)}[framework])
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    loop = globals()[name](fw, steps, rng, data_dir)
    build_s = time.perf_counter() - t0
    loop_s, loss = [], None
    for _ in range(loops):
        t0 = time.perf_counter()
        loss = loop()
        loop_s.append(time.perf_counter() - t0)
    return {"import_s": import_s, "build_s": build_s, "loop_s": loop_s, "loss": loss}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("name", choices=PROGRAMS)
    p.add_argument("framework", choices=("minigrad", "torch"))
    p.add_argument("--steps", type=int, default=None, help="training steps per loop (default: STEPS)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--loops", type=int, default=2, help="run the loop this many times (the first pays compiles)")
    p.add_argument("--data-dir", default=os.environ.get("MINIGRAD_BENCH_MNIST"),
                   help="a folder with MNIST's t10k idx files (mnist only; default $MINIGRAD_BENCH_MNIST)")
    args = p.parse_args(argv)
    print(json.dumps(child(args.name, args.framework, args.steps or STEPS[args.name], args.threads, args.loops,
                           args.data_dir)))


if __name__ == "__main__":
    ROOT = Path(__file__).resolve().parent.parent
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    main()
