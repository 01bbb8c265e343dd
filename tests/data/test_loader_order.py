"""DataLoader(in_order=False) with worker processes, side by side with torch: a batch that takes long
does not hold up the ones after it, and the slow worker gets no new work until it is done."""
import importlib
import time

import torch

import minigrad


class _SlowFirst:
    """Sample 0 takes a while; the others are immediate."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 0:
            time.sleep(1.0)
        return i


def _order(lib, **kwargs):
    data = importlib.import_module(lib.__name__ + ".utils.data")
    return [int(batch) for batch in data.DataLoader(_SlowFirst(), batch_size=1, num_workers=2, **kwargs)]


def test_out_of_order_batches_as_torch():
    # two workers, two batches each ahead: worker 0 holds samples 0 (slow) and 2, worker 1 serves
    # 1 and 3, then, worker 0 being at its share, every further sample, and last come 0 and 2
    expected = _order(torch, in_order=False)
    assert expected == [1, 3, 4, 5, 6, 7, 0, 2]
    assert _order(minigrad, in_order=False) == expected


def test_in_order_and_one_process_keep_the_order_as_torch():
    assert _order(minigrad) == _order(torch) == list(range(8))
    for lib in (minigrad, torch):   # one process: in order either way
        loader = lib.utils.data.DataLoader(list(range(5)), batch_size=1, in_order=False)
        assert [int(b) for b in loader] == list(range(5))
