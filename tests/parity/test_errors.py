"""Error parity: every bad call in the op table raises torch's exception class, with a clear message."""
import pytest

from minigrad.testing.op_db import ERRORS
from minigrad.testing.opinfo import check_error


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in ERRORS])
def test_error_parity(case):
    check_error(case)
