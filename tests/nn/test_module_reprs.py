"""The printed form of the conv, pooling, dropout, bag and loss modules is torch's (settings stored as torch
stores them: kernel sizes as tuples where torch makes them tuples)."""
import warnings

import pytest
import torch

import minigrad

CASES = [("Conv3d", (2, 4, 3), {}), ("ConvTranspose1d", (2, 3, 2), {"stride": 2}),
         ("ConvTranspose3d", (2, 4, (1, 2, 3)), {"groups": 2, "bias": False}), ("MaxPool3d", (2,), {}),
         ("AvgPool3d", (2,), {"padding": 1}), ("AdaptiveAvgPool3d", ((2, 3, None),), {}),
         ("AdaptiveMaxPool1d", (3,), {}), ("AdaptiveMaxPool3d", (3,), {"return_indices": True}),
         ("MaxUnpool1d", (2,), {}), ("MaxUnpool2d", (2,), {"stride": 1}), ("MaxUnpool3d", ((2, 1, 2),), {}),
         ("LPPool1d", (2, 3), {}), ("LPPool2d", (2, 3), {"stride": 2}), ("LPPool3d", (1.5, 2), {"ceil_mode": True}),
         ("FractionalMaxPool2d", (2,), {"output_size": 3}), ("FractionalMaxPool3d", (2,), {"output_ratio": 0.5}),
         ("EmbeddingBag", (5, 3), {"mode": "max"}), ("EmbeddingBag", (5, 3), {"padding_idx": 1}),
         ("Dropout1d", (0.3,), {}), ("Dropout2d", (), {}), ("Dropout3d", (0.1, True), {}), ("AlphaDropout", (), {}),
         ("FeatureAlphaDropout", (0.2,), {}), ("CTCLoss", (), {"blank": 1}), ("TripletMarginLoss", (), {}),
         ("GaussianNLLLoss", (), {}), ("MultiMarginLoss", (), {"p": 2}),
         ("AdaptiveLogSoftmaxWithLoss", (8, 10, [3, 6]), {})]


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=[c[0] for c in CASES])
def test_repr_matches_torch(name, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # (zero-element projections of AdaptiveLogSoftmaxWithLoss, in both)
        assert repr(getattr(minigrad.nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))
