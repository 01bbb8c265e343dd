"""Training diagnostics: what each layer's activations, gradients and updates do over the steps.

    recorder = minigrad.viz.TrainingRecorder(model, optimizer)
    for x, y in loader:                                  # your own loop, unchanged
        optimizer.zero_grad(); loss_fn(model(x), y).backward(); optimizer.step()
    recorder.plot("diagnostics.png")
    recorder.remove()                                    # detach the hooks

These are the plots used to teach initialisation and vanishing or exploding gradients:

* **activations** of each layer (the output of every module without children): mean, standard
  deviation and the fraction of exact zeros (dead ReLUs); a module called twice in one forward
  pass (a shared activation) is recorded as ``name`` and ``name#2``;
* **gradient norms** of each parameter, read just before the optimizer step;
* the **update-to-weight ratio** ``|w_after - w_before| / |w_before|`` of each parameter over one
  step; on a log10 scale, around -3 is the usual rule of thumb for a healthy learning rate.

It works through the public hooks only (``Module.register_forward_hook``,
``Optimizer.register_step_pre_hook`` / ``register_step_post_hook``), so the same recorder watches
a torch model and optimizer as well; a step is counted at each ``optimizer.step()``, and
activations are recorded only while grad mode is on (evaluation under ``no_grad`` is skipped).
"""
from __future__ import annotations

import os

import numpy as np

__all__ = ["TrainingRecorder", "plot_diagnostics"]


def _array(t) -> np.ndarray:
    """A float64 copy (a copy: numpy() shares the parameter's memory, which the step updates in place)."""
    return np.array(t.detach().cpu().numpy(), dtype=np.float64, copy=True)


def _grad_enabled(t) -> bool:
    """Whether grad mode is on in the library ``t`` comes from (minigrad or torch)."""
    lib = __import__(type(t).__module__.split(".")[0])
    return bool(lib.is_grad_enabled())


class TrainingRecorder:
    """Hooks that record per-layer statistics at every ``every``-th optimizer step.

    ``activations[layer]``, ``grad_norms[param]`` and ``update_ratios[param]`` are lists of
    ``(step, values)``: for activations a dict ``mean``, ``std``, ``zeros`` (fraction of exact
    zeros); for the others a float. ``steps`` counts the optimizer steps seen so far.
    """

    def __init__(self, model=None, optimizer=None, every: int = 1):
        if every < 1:
            raise ValueError(f"every must be a positive number of steps, got {every}")
        self.every = every
        self.steps = 0
        self.activations, self.grad_norms, self.update_ratios = {}, {}, {}
        self._handles, self._before, self._calls = [], None, {}
        if model is not None:
            self.attach(model, optimizer)

    def attach(self, model, optimizer=None):
        """Watch ``model``'s layers and, through ``optimizer``'s step hooks, its parameters."""
        for name, module in model.named_modules():
            if next(iter(module.children()), None) is None and name:   # layers: modules without children
                self._handles.append(module.register_forward_hook(self._on_forward(name)))
        if optimizer is not None:
            params = {id(p): name for name, p in model.named_parameters()}
            self._names = params
            self._handles.append(optimizer.register_step_pre_hook(self._pre_step))
            self._handles.append(optimizer.register_step_post_hook(self._post_step))
        return self

    def remove(self):
        """Remove every hook this recorder added."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def _recording(self) -> bool:
        return self.steps % self.every == 0

    def _on_forward(self, name):
        def hook(module, args, output):
            if not self._recording() or not hasattr(output, "detach") or not _grad_enabled(output):
                return None
            a = _array(output)
            calls = self._calls[name] = self._calls.get(name, 0) + 1
            key = name if calls == 1 else f"{name}#{calls}"    # a module used twice in one forward
            if a.size:
                self.activations.setdefault(key, []).append(
                    (self.steps, {"mean": float(a.mean()), "std": float(a.std()), "zeros": float(np.mean(a == 0))}))
            return None
        return hook

    def _params(self, optimizer):
        for group in optimizer.param_groups:
            for p in group["params"]:
                name = self._names.get(id(p))
                if name is not None:
                    yield name, p

    def _pre_step(self, optimizer, args, kwargs):
        if not self._recording():
            self._before = None
            return
        self._before = {}
        for name, p in self._params(optimizer):
            if p.grad is not None:
                self.grad_norms.setdefault(name, []).append((self.steps, float(np.linalg.norm(_array(p.grad)))))
            self._before[name] = _array(p)

    def _post_step(self, optimizer, args, kwargs):
        if self._before is not None:
            for name, p in self._params(optimizer):
                before = self._before.get(name)
                if before is None:
                    continue
                scale = float(np.linalg.norm(before))
                change = float(np.linalg.norm(_array(p) - before))
                self.update_ratios.setdefault(name, []).append((self.steps, change / scale if scale else float("nan")))
            self._before = None
        self.steps += 1
        self._calls = {}

    def plot(self, path, title: str | None = None):
        """Save the four plots (activation std, dead fraction, gradient norms, update ratios)."""
        return plot_diagnostics(self, path, title)

    def plot_beside(self, path, title: str | None = None) -> str:
        """Save the plots next to another picture: ``curves.png`` -> ``curves-diagnostics.png``."""
        root, ext = os.path.splitext(os.fspath(path))
        return self.plot(f"{root}-diagnostics{ext or '.png'}", title)


def plot_diagnostics(recorder: TrainingRecorder, path, title: str | None = None):
    """Draw a recorder's statistics per layer over the steps into ``path`` (PNG, PDF, SVG...)."""
    from matplotlib.figure import Figure   # no pyplot: no global backend state is touched
    fig = Figure(figsize=(12, 8))
    (ax_std, ax_zero), (ax_grad, ax_ratio) = fig.subplots(2, 2)

    def lines(ax, series, value, **kw):
        for name, points in series.items():
            if points:
                ax.plot([s for s, _ in points], [value(v) for _, v in points], label=name, lw=1, **kw)

    lines(ax_std, recorder.activations, lambda v: v["std"])
    ax_std.set(title="activation std per layer", xlabel="step", ylabel="std of the layer's output")
    lines(ax_zero, recorder.activations, lambda v: 100 * v["zeros"])
    ax_zero.set(title="activations exactly 0 (dead units)", xlabel="step", ylabel="% of the outputs")
    lines(ax_grad, recorder.grad_norms, lambda v: v)
    ax_grad.set(title="gradient norm per parameter", xlabel="step", ylabel="|grad|", yscale="log")
    lines(ax_ratio, recorder.update_ratios, lambda v: np.log10(v) if v > 0 else np.nan)
    ax_ratio.axhline(-3, color="k", ls="--", lw=0.8, label="1e-3 (rule of thumb)")
    ax_ratio.set(title="update / weight per step", xlabel="step", ylabel="log10 |dw| / |w|")
    for ax in (ax_std, ax_zero, ax_grad, ax_ratio):
        ax.grid(alpha=0.3)
        if ax.get_lines():
            ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
