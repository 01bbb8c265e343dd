"""A small synthetic stand-in for the Cora citation graph (the files of cora.tgz).

``cora.content``: one line per paper, ``<id> <feature 0/1> ... <class name>``; ``cora.cites``:
``<cited id> <citing id>`` per line. Papers of a class share features and mostly cite their
own class, so a graph network can learn it. 1,700 papers: the programs split off 1,000 for
testing and 500 for validation.
"""
from __future__ import annotations

import io
import os
import tarfile

import numpy as np

CLASSES = ["Case_Based", "Genetic_Algorithms", "Neural_Networks", "Probabilistic_Methods",
           "Reinforcement_Learning", "Rule_Learning", "Theory"]


def files(papers: int = 1700, features: int = 24, cites: int = 3400, seed: int = 0) -> dict:
    rng = np.random.RandomState(seed)
    ids = rng.choice(np.arange(10, 10 ** 6), size=papers, replace=False)
    labels = rng.randint(0, len(CLASSES), size=papers)
    prototypes = rng.rand(len(CLASSES), features) < 0.3
    noise = rng.rand(papers, features) < 0.05
    feats = (prototypes[labels] ^ noise).astype(int)
    content = "".join(f"{i}\t" + "\t".join(map(str, row)) + f"\t{CLASSES[c]}\n"
                      for i, row, c in zip(ids, feats, labels))
    lines = []
    for _ in range(cites):
        a = rng.randint(papers)
        same = np.flatnonzero(labels == labels[a]) if rng.rand() < 0.8 else np.arange(papers)
        b = same[rng.randint(len(same))]
        lines.append(f"{ids[a]}\t{ids[b]}\n")
    return {"cora/cora.content": content, "cora/cora.cites": "".join(lines)}


def write(root: str = ".") -> None:
    for name, text in files().items():
        os.makedirs(os.path.join(root, os.path.dirname(name)), exist_ok=True)
        with open(os.path.join(root, name), "w") as f:
            f.write(text)


def tgz() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files().items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
