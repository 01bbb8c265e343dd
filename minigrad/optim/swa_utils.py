"""Stochastic weight averaging and exponential moving averages of a model's weights, as
torch.optim.swa_utils: AveragedModel, SWALR, update_bn and the averaging functions."""
from __future__ import annotations

import itertools
import math
import warnings
from copy import deepcopy

from ..autograd.grad_mode import no_grad
from ..nn.module import Module
from ..tensor import Tensor
from .lr_scheduler import LRScheduler, _format_param
from .optimizer import lerp_, scalar_dtype

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _check_decay(decay) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _write(target: Tensor, values) -> None:
    """Overwrite ``target``'s values in place (torch's ``copy_`` under no_grad)."""
    target._data[...] = values._data if isinstance(values, Tensor) else values
    target._vc[0] += 1


def get_ema_multi_avg_fn(decay=0.999):
    """In place over lists: ema = lerp(ema, current, 1 - decay) (floating tensors), else the formula."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        for p_ema, p_model in zip(ema_param_list, current_param_list):
            if p_ema.is_floating_point():
                lerp_(p_ema._data, p_model._data, 1 - decay)
                p_ema._vc[0] += 1
            else:
                _write(p_ema, p_ema._data * decay + p_model._data * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """In place over lists: avg = lerp(avg, current, 1 / (n + 1)), the running mean of n + 1 models."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        if isinstance(num_averaged, Tensor):    # torch's 1 / (n + 1) on an integer tensor: default dtype
            weight = scalar_dtype()(1) / scalar_dtype()(num_averaged.item() + 1)
        else:
            weight = 1 / (num_averaged + 1)
        for p_avg, p_model in zip(averaged_param_list, current_param_list):
            if p_avg.is_floating_point():
                lerp_(p_avg._data, p_model._data, weight)
                p_avg._vc[0] += 1
            else:
                _write(p_avg, p_avg._data + (p_model._data - p_avg._data) * weight)
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """Per tensor: returns decay * ema + (1 - decay) * current."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """Per tensor: returns avg + (current - avg) / (n + 1)."""
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters (and buffers, with ``use_buffers``) are the running
    average of the models passed to ``update_parameters``: their mean by default (SWA), or what
    ``avg_fn`` (per tensor) or ``multi_avg_fn`` (per list, in place) computes, e.g. an EMA."""

    def __init__(self, model: Module, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        from .. import tensor as make_tensor, long
        self.register_buffer("n_averaged", make_tensor(0, dtype=long))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        with no_grad():
            self._update(model)

    def _update(self, model: Module) -> None:
        if self.use_buffers:
            self_params = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            model_params = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            self_params, model_params = list(self.parameters()), list(model.parameters())
        pairs = [(p_avg.detach(), p_model.detach().to(p_avg.device)) for p_avg, p_model in zip(self_params, model_params)]
        n_averaged = int(self.n_averaged.item())
        if n_averaged == 0:                 # the first model is copied
            for p_avg, p_model in pairs:
                _write(p_avg, p_model)
        else:
            averaged, current = [p for p, _ in pairs], [q for _, q in pairs]
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(averaged, current, self.n_averaged)
            else:   # torch's CPU path applies the per-tensor function (SWA's mean by default)
                avg_fn = self.avg_fn or get_swa_avg_fn()
                for p_avg, p_model in pairs:
                    _write(p_avg, avg_fn(p_avg, p_model, self.n_averaged))
        if not self.use_buffers:            # buffers follow the latest model
            for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                _write(b_swa.detach(), b_model.detach().to(b_swa.device))
        _write(self.n_averaged, self.n_averaged._data + 1)


def update_bn(loader, model: Module, device=None) -> None:
    """Recompute every BatchNorm's running statistics as a plain average over one pass of ``loader``
    (the averaged weights need their own statistics); other state is left as it was."""
    from ..nn.modules.normalization import _BatchNorm
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to ``swa_lr`` over ``anneal_epochs`` (cosine or linear), then hold it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """The lr the annealing started from, recovered from the current lr (so it chains)."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
