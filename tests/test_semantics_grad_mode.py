"""Grad modes (no_grad, enable_grad, set_grad_enabled, inference_mode), side by side with torch.

Each scenario is written once against a library argument and run with both minigrad and torch;
the observations (mode flags, whether results require grad, gradients, exception classes) must
be equal. Every scenario ends with grad mode back on, or the next one would start wrong.
"""
import asyncio
import threading
import warnings

import numpy as np
import pytest
import torch

import minigrad as mg


def same_in_both(scenario):
    """Run ``scenario(lib)`` with minigrad and with torch and require the same observations."""
    mine, theirs = scenario(mg), scenario(torch)
    assert mine == theirs
    assert mg.is_grad_enabled() and torch.is_grad_enabled()
    return mine


def records(lib, x):
    """Whether an op on ``x`` (which requires grad) is recorded right now."""
    y = x * 2
    return (y.requires_grad, y.grad_fn is not None)


def leaf(lib):
    return lib.tensor([1.0, 2.0], requires_grad=True)


# -- set_grad_enabled ---------------------------------------------------------------------------

def test_set_grad_enabled_as_a_decorator_does_not_switch_recording_off_when_decorating():
    def scenario(lib):
        x = leaf(lib)

        @lib.set_grad_enabled(False)
        def inside():
            return lib.is_grad_enabled(), records(lib, x)

        after_decorating = (lib.is_grad_enabled(), records(lib, x))
        seen = inside()
        return after_decorating, seen, (lib.is_grad_enabled(), records(lib, x))

    assert same_in_both(scenario) == ((True, (True, True)), (False, (False, False)), (True, (True, True)))


def test_set_grad_enabled_called_as_a_function_switches_until_switched_back():
    def scenario(lib):
        x = leaf(lib)
        lib.set_grad_enabled(False)
        off = (lib.is_grad_enabled(), records(lib, x))
        lib.set_grad_enabled(True)
        return off, (lib.is_grad_enabled(), records(lib, x))

    assert same_in_both(scenario) == ((False, (False, False)), (True, (True, True)))


def test_set_grad_enabled_block_restores_the_mode_it_found():
    def scenario(lib):
        x = leaf(lib)
        seen = []
        with lib.no_grad():
            with lib.set_grad_enabled(True):
                seen.append(records(lib, x))
            seen.append(records(lib, x))
            with lib.set_grad_enabled(False):
                seen.append(records(lib, x))
        seen.append(records(lib, x))
        return seen

    same_in_both(scenario)


def test_set_grad_enabled_decorator_on_a_recursive_function():
    def scenario(lib):
        x = leaf(lib)
        seen = []

        @lib.set_grad_enabled(False)
        def down(n):
            seen.append(records(lib, x))
            with lib.enable_grad():
                seen.append(records(lib, x))
            if n:
                down(n - 1)
            seen.append(records(lib, x))
        down(2)
        return seen, records(lib, x)

    same_in_both(scenario)


@pytest.mark.parametrize("flag", [1, 0, None, np.bool_(True), "yes"])
def test_set_grad_enabled_takes_only_a_bool(flag):
    def scenario(lib):
        try:
            lib.set_grad_enabled(flag)
        except Exception as e:  # noqa: BLE001  (the class is what is compared)
            return type(e), "must be bool" in str(e), lib.is_grad_enabled()
        return None

    assert same_in_both(scenario)[0] is TypeError


def test_set_grad_enabled_repr_names_the_mode():
    for lib in (mg, torch):
        assert repr(lib.set_grad_enabled(True)).endswith("set_grad_enabled(mode=True)")


# -- inference_mode ------------------------------------------------------------------------------

def test_inference_mode_false_inside_no_grad_turns_grad_back_on():
    def scenario(lib):
        x = leaf(lib)
        seen = []
        with lib.no_grad():
            with lib.inference_mode(False):
                y = x * 3
                seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), y.requires_grad))
            seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), records(lib, x)))
        y.sum().backward()
        return seen, x.grad.tolist()

    assert same_in_both(scenario) == ([(True, False, True), (False, False, (False, False))], [3.0, 3.0])


def test_inside_inference_mode_nothing_records_even_where_grad_mode_is_turned_on():
    def scenario(lib):
        x = leaf(lib)
        seen = []
        with lib.inference_mode():
            seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), records(lib, x)))
            with lib.enable_grad():
                seen.append((lib.is_grad_enabled(), records(lib, x)))
            with lib.set_grad_enabled(True):
                seen.append((lib.is_grad_enabled(), records(lib, x)))
            with lib.inference_mode(False):
                seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), records(lib, x)))
            seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
        seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), records(lib, x)))
        return seen

    same_in_both(scenario)


def test_inference_mode_decorates_with_and_without_parentheses_and_as_a_call():
    def scenario(lib):
        x = leaf(lib)

        def probe():
            return lib.is_inference_mode_enabled(), lib.is_grad_enabled(), records(lib, x)

        bare = lib.inference_mode(probe)
        called = lib.inference_mode()(probe)
        off = lib.inference_mode(False)(probe)
        with lib.no_grad():
            off_in_no_grad = off()
        return bare(), called(), off_in_no_grad, bare.__name__

    same_in_both(scenario)


# -- decorators ----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["no_grad", "enable_grad"])
@pytest.mark.parametrize("parentheses", [True, False])
def test_no_grad_and_enable_grad_decorate_with_or_without_parentheses(mode, parentheses):
    def scenario(lib):
        x = leaf(lib)
        deco = getattr(lib, mode)() if parentheses else getattr(lib, mode)

        @deco
        def probe(a, *, scale=1.0):
            """probe's docstring"""
            return lib.is_grad_enabled(), (a * scale).requires_grad

        with lib.no_grad():
            under_no_grad = probe(x, scale=2.0)
        return probe(x), under_no_grad, probe.__name__, probe.__doc__

    same_in_both(scenario)


def test_decorated_method_and_exception_inside_restore_the_mode():
    def scenario(lib):
        x = leaf(lib)

        class Model:
            @lib.no_grad()
            def predict(self, a):
                return (a * 2).requires_grad

            @lib.no_grad
            def fail(self):
                raise ValueError("inside")

        m = Model()
        seen = [m.predict(x)]
        with pytest.raises(ValueError):
            m.fail()
        seen.append(records(lib, x))
        with pytest.raises(KeyError):
            with lib.no_grad():
                with lib.enable_grad():
                    raise KeyError("nested")
        seen.append(records(lib, x))
        with pytest.raises(ZeroDivisionError):
            with lib.inference_mode():
                1 / 0
        seen.append((lib.is_inference_mode_enabled(), records(lib, x)))
        with pytest.raises(RuntimeError):
            with lib.set_grad_enabled(False):
                raise RuntimeError
        seen.append(records(lib, x))
        return seen

    same_in_both(scenario)


@pytest.mark.parametrize("mode", ["no_grad", "enable_grad", "inference_mode", "set_grad_enabled"])
def test_with_statement_binds_none(mode):
    def scenario(lib):
        ctx = lib.set_grad_enabled(False) if mode == "set_grad_enabled" else getattr(lib, mode)()
        with ctx as bound:
            return bound
    same_in_both(scenario)


def test_decorating_a_class_warns_and_still_constructs_under_the_mode():
    def scenario(lib):
        x = leaf(lib)

        class Holder:
            def __init__(self):
                self.flag = records(lib, x)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            make = lib.no_grad()(Holder)
        return [w.category for w in caught], make().flag

    assert same_in_both(scenario)[0] == [FutureWarning]


# -- generators ----------------------------------------------------------------------------------

def test_no_grad_on_a_generator_function_applies_inside_the_generator_only():
    def scenario(lib):
        x = leaf(lib)

        @lib.no_grad()
        def steps(n):
            total = 0
            for i in range(n):
                got = yield lib.is_grad_enabled(), records(lib, x), i
                total += got or 0
            return total

        seen = []
        gen = steps(3)
        seen.append(next(gen))
        seen.append(("caller", lib.is_grad_enabled(), records(lib, x)))
        seen.append(gen.send(5))
        seen.append(gen.send(7))
        with pytest.raises(StopIteration) as stop:
            gen.send(1)
        seen.append(("returned", stop.value.value))
        return seen

    same_in_both(scenario)


def test_generator_decorator_on_the_other_side_and_with_throw_and_close():
    def scenario(lib):
        x = leaf(lib)
        seen = []

        @lib.enable_grad
        def steps():
            try:
                while True:
                    try:
                        yield records(lib, x)
                    except ValueError:
                        seen.append(("caught", records(lib, x)))
            finally:
                seen.append(("closing", lib.is_grad_enabled()))

        with lib.no_grad():
            gen = steps()
            seen.append(next(gen))
            seen.append(("caller", records(lib, x)))
            seen.append(gen.throw(ValueError("in")))
            gen.close()
            seen.append(("caller after close", lib.is_grad_enabled()))
        return seen

    same_in_both(scenario)


def test_generator_consumed_by_a_for_loop_and_yield_from():
    def scenario(lib):
        x = leaf(lib)

        @lib.no_grad
        def inner():
            yield records(lib, x)
            return "done"

        def outer():
            result = yield from inner()
            yield result, lib.is_grad_enabled()

        return [item for item in outer()]

    same_in_both(scenario)


# -- async functions -----------------------------------------------------------------------------

def test_async_functions_are_not_special_cased():
    """torch's decorator covers only the call that creates the coroutine: its body runs later,
    under the mode of whoever awaits it."""
    def scenario(lib):
        @lib.no_grad()
        async def body():
            return lib.is_grad_enabled()

        async def main():
            coro = body()
            with lib.no_grad():
                under = await body()
            return await coro, under

        return asyncio.run(main())

    assert same_in_both(scenario) == (True, False)


# -- threads -------------------------------------------------------------------------------------

def _in_new_thread(fn):
    result = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    thread.join()
    return result[0]


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode", "set_grad_enabled"])
def test_a_new_thread_starts_with_grad_mode_on(mode):
    def scenario(lib):
        x = leaf(lib)
        ctx = lib.set_grad_enabled(False) if mode == "set_grad_enabled" else getattr(lib, mode)()
        with ctx:
            here = (lib.is_grad_enabled(), lib.is_inference_mode_enabled(), records(lib, x))
            there = _in_new_thread(lambda: (lib.is_grad_enabled(), lib.is_inference_mode_enabled(),
                                            records(lib, x)))
        return here, there

    assert same_in_both(scenario)[1] == (True, False, (True, True))


def test_grad_mode_set_in_one_thread_does_not_leak_into_another():
    """A thread holds no_grad open while the main thread records, and the other way round."""
    def scenario(lib):
        x = leaf(lib)
        entered, release = threading.Event(), threading.Event()
        seen = {}

        def worker():
            with lib.no_grad():
                seen["worker inside"] = records(lib, x)
                entered.set()
                release.wait(10)
                seen["worker after main switched"] = records(lib, x)
            seen["worker after"] = records(lib, x)

        thread = threading.Thread(target=worker)
        thread.start()
        entered.wait(10)
        seen["main while worker in no_grad"] = records(lib, x)
        with lib.enable_grad(), lib.set_grad_enabled(True):
            pass
        lib.set_grad_enabled(True)
        release.set()
        thread.join()
        y = x * x  # the main thread's graph is intact: backward works
        y.sum().backward()
        seen["grad"] = x.grad.tolist()
        return sorted(seen.items())

    same_in_both(scenario)


def test_thread_switching_its_own_mode_off_and_never_back_leaves_others_on():
    def scenario(lib):
        x = leaf(lib)

        def switch_off():
            lib.set_grad_enabled(False)
            return lib.is_grad_enabled()

        return _in_new_thread(switch_off), records(lib, x), _in_new_thread(lambda: records(lib, x))

    assert same_in_both(scenario) == (False, (True, True), (True, True))


def test_anomaly_mode_is_process_wide_as_in_torch():
    def scenario(lib):
        lib.autograd.set_detect_anomaly(True)
        try:
            return lib.is_anomaly_enabled(), _in_new_thread(lib.is_anomaly_enabled)
        finally:
            lib.autograd.set_detect_anomaly(False)

    assert same_in_both(scenario) == (True, True)
    assert not mg.is_anomaly_enabled()


# -- requires_grad flags, .grad assignment, backward's inputs ------------------------------------

def _outcome(fn):
    """("ok", result) or (exception class, the message's first clause)."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001  (the class and message are what is compared)
        return type(e), str(e).split(".")[0].split(" to a tensor")[0].split("'")[0]


def _assign_grad(lib, make_grad, **leaf_kwargs):
    x = lib.ones(2, 3, requires_grad=True, **leaf_kwargs)

    def assign():
        x.grad = make_grad(lib)
        return None if x.grad is None else (tuple(x.grad.shape), str(x.grad.dtype).split(".")[-1])
    return _outcome(assign)


@pytest.mark.parametrize("make_grad", [
    lambda lib: lib.zeros(3, 2),                          # wrong shape
    lambda lib: lib.zeros(3),                             # broadcastable, still the wrong shape
    lambda lib: lib.zeros(2, 3, dtype=lib.float64),       # wrong dtype
    lambda lib: lib.zeros(2, 3, dtype=lib.int64),
    lambda lib: lib.zeros(3, 2).t(),                      # the right shape through a view: accepted
    lambda lib: lib.zeros(3).expand(2, 3),
    lambda lib: np.zeros((2, 3), np.float32),             # not a tensor
    lambda lib: [[0.0] * 3] * 2,
    lambda lib: None,
], ids=["shape", "broadcastable", "float64", "int64", "transposed", "expanded", "ndarray", "list", "None"])
def test_assigning_grad_checks_it_as_torch(make_grad):
    mine, theirs = _assign_grad(mg, make_grad), _assign_grad(torch, make_grad)
    assert mine[0] == theirs[0]
    if mine[0] == "ok":
        assert mine == theirs
    else:
        assert mine[1] == theirs[1]  # the message's first clause, up to the sizes and dtypes


def test_assigning_a_tensor_as_its_own_grad_and_a_grad_to_a_non_leaf():
    def scenario(lib):
        x = lib.ones(2, requires_grad=True)
        own = _outcome(lambda: setattr(x, "grad", x))
        y = x * 2
        y.grad = lib.full((2,), 5.0)  # allowed on a non-leaf, as in torch
        wrong = _outcome(lambda: setattr(y, "grad", lib.ones(3)))
        return own, y.grad.tolist(), wrong
    same_in_both(scenario)


def test_requires_grad_on_a_non_leaf_and_on_integer_tensors():
    def scenario(lib):
        y = lib.ones(2, requires_grad=True) * 2
        return [
            _outcome(lambda: setattr(y, "requires_grad", True)),
            _outcome(lambda: setattr(y, "requires_grad", False)),
            _outcome(lambda: y.requires_grad_().requires_grad),   # the method allows True on a non-leaf
            _outcome(lambda: y.requires_grad_(False)),
            _outcome(lambda: lib.ones(2, dtype=lib.int64).requires_grad_()),
            _outcome(lambda: setattr(lib.ones(2, dtype=lib.bool), "requires_grad", True)),
            _outcome(lambda: lib.zeros(2, dtype=lib.int32, requires_grad=True)),
            _outcome(lambda: lib.tensor([1, 2], requires_grad=True)),
            _outcome(lambda: lib.ones(2, dtype=lib.int64).requires_grad_(False).requires_grad),
            _outcome(lambda: lib.ones(2).requires_grad_(1)),
            _outcome(lambda: setattr(lib.ones(2), "requires_grad", 1)),
        ]
    mine, theirs = scenario(mg), scenario(torch)
    assert [m[0] for m in mine] == [t[0] for t in theirs]
    for (kind, mine_msg), (_, their_msg) in zip(mine, theirs):
        if kind is RuntimeError:  # torch words the integer case several ways ("Only"/"only", "and complex")
            assert mine_msg.lower().split("floating point")[0] == their_msg.lower().split("floating point")[0]


@pytest.mark.parametrize("empty", [[], ()])
def test_backward_and_grad_reject_empty_inputs(empty):
    def scenario(lib):
        x = lib.ones(2, requires_grad=True)
        return (_outcome(lambda: (x * 2).sum().backward(inputs=empty)),
                _outcome(lambda: lib.autograd.backward((x * 2).sum(), inputs=empty)),
                _outcome(lambda: lib.autograd.grad((x * 2).sum(), empty)),
                x.grad)
    assert same_in_both(scenario)[0][0] is RuntimeError
