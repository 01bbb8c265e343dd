"""torch.linalg.LinAlgError: singular and non-positive-definite inputs raise it (a RuntimeError) in
minigrad as in torch, naming the failing pivot or minor and the batch element. (The op table's
ErrorCases compare exception classes exactly, and torch's is its own C++ class.)"""
import pytest
import torch

import minigrad

CASES = [
    (lambda lib: lib.linalg.inv(lib.zeros(2, 2)), ("diagonal element 1", "singular")),
    (lambda lib: lib.linalg.inv(lib.stack([lib.eye(2), lib.zeros(2, 2)])), ("Batch element 1", "diagonal element 1")),
    (lambda lib: lib.linalg.solve(lib.zeros(2, 2), lib.ones(2, 1)), ("singular",)),
    (lambda lib: lib.linalg.cholesky(-lib.eye(2)), ("positive-definite", "order 1")),
    (lambda lib: lib.linalg.cholesky(lib.stack([lib.eye(2), -lib.eye(2)])), ("Batch element 1", "order 1")),
    (lambda lib: lib.linalg.inv_ex(lib.zeros(2, 2), check_errors=True), ("singular",)),
]


@pytest.mark.parametrize("call,mentions", CASES)
def test_linalg_error_class_and_message(call, mentions):
    with pytest.raises(torch.linalg.LinAlgError) as theirs:
        call(torch)
    with pytest.raises(minigrad.linalg.LinAlgError) as mine:
        call(minigrad)
    assert isinstance(mine.value, RuntimeError) and isinstance(theirs.value, RuntimeError)
    for text in mentions:
        assert text in str(mine.value) and text in str(theirs.value)


def test_lu_factor_of_a_singular_matrix_raises_a_plain_runtime_error_as_torch():
    for lib in (torch, minigrad):
        with pytest.raises(RuntimeError, match=r"U\[1,1\] is zero") as info:
            lib.linalg.lu_factor(lib.zeros(2, 2))
        assert not isinstance(info.value, torch.linalg.LinAlgError)
        assert not isinstance(info.value, minigrad.linalg.LinAlgError)


def test_ex_variants_report_info_instead_of_raising():
    for lib in (torch, minigrad):
        inverse, info = lib.linalg.inv_ex(lib.stack([lib.eye(2), lib.zeros(2, 2)]))
        assert info.tolist() == [0, 1] and inverse.shape == (2, 2, 2)
        _, info = lib.linalg.cholesky_ex(lib.stack([lib.eye(2), -lib.eye(2)]))
        assert info.tolist() == [0, 1]
        _, _, info = lib.linalg.lu_factor_ex(lib.zeros(2, 2))
        assert info.item() == 1
