"""Tensor: an ndarray plus what autograd needs (requires_grad, grad, grad_fn).

Every method delegates to an op in ``minigrad.ops`` (where its forward and backward live) or to
the autograd engine; this file holds the data model, not the math.
"""
from __future__ import annotations

import numpy as np

from . import dtypes


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    ``Tensor(data)`` behaves like ``torch.Tensor(data)`` (default float dtype); prefer
    :func:`minigrad.tensor`, which infers the dtype as torch does.
    """

    # Every op creates a Tensor, so only the always-set fields are slots; the rarely-set ones are
    # class-level defaults that an instance overrides in its __dict__ when needed.
    __slots__ = ("_data", "_requires_grad", "grad_fn", "_output_nr", "_vc", "__dict__", "__weakref__")
    _grad = None          # accumulated gradient (leaves, and non-leaves that retain_grad): .grad
    _base = None          # the tensor this one is a view of
    _accumulator = None   # a leaf's AccumulateGrad node, created on first use
    _hooks = None         # a leaf's gradient hooks
    _retains_grad = False
    _view_origin = None   # (output nr, op name, version) of a view returned with others; see autograd/inplace.py
    _retain_on_old = None  # a retain_grad hook still on the node before an untracked write; see autograd/inplace.py
    __array_priority__ = 1000  # so ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, *args, requires_grad: bool = False):
        if len(args) == 2 and args[1].__class__ is bool and not _is_size(args[0]):
            args, requires_grad = args[:1], args[1]   # the (data, requires_grad) form
        if args and (_is_size(args[0]) and len(args) == 1 or all(_is_size_entry(a) for a in args)):
            # Tensor(2, 3) / Tensor(Size([2, 3])): an uninitialised tensor of that shape, as in torch
            shape = tuple(int(n) for n in (args[0] if _is_size(args[0]) else args))
            if any(n < 0 for n in shape):
                raise RuntimeError(f"Trying to create tensor with negative dimension "
                                   f"{min(shape)}: {list(shape)}")
            array = np.empty(shape, dtype=dtypes.get_default_dtype().np)
        elif len(args) > 1:
            raise TypeError(f"new() received an invalid combination of arguments - got "
                            f"({', '.join(type(a).__name__ for a in args)}), but expected one of: (tuple of ints "
                            f"size), (Tensor other), (object data)")
        elif not args:
            array = np.empty((0,), dtype=dtypes.get_default_dtype().np)
        elif isinstance(args[0], Tensor):
            array = args[0]._data   # torch.Tensor(t) aliases t, keeping its dtype
        elif isinstance(args[0], (float, bool, complex)):
            raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
        else:
            array = np.asarray(args[0], dtype=dtypes.get_default_dtype().np)
        self._init(array, requires_grad, None, 0)
        if requires_grad:
            self.requires_grad = True

    def _init(self, array, requires_grad, grad_fn, output_nr):
        self._data = array
        self._requires_grad = requires_grad
        self.grad_fn = grad_fn
        self._output_nr = output_nr
        self._vc = [0]       # version counter, shared with views of the same memory

    @classmethod
    def _make(cls, array, requires_grad=False, grad_fn=None, output_nr=0):
        """Wrap an array without copying or checking (see also _new_tensor, below the class)."""
        t = object.__new__(cls)
        t._data = array
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._vc = [0]
        return t

    # -- attributes ------------------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """The same memory as a tensor outside the graph (``torch.Tensor.data``), with a version
        counter of its own: writes through ``.data`` are invisible to autograd, as in torch."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        value = value._data if isinstance(value, Tensor) else \
            value if hasattr(value, "__cuda_array_interface__") else np.asarray(value)
        self._data = value

    @property
    def requires_grad(self) -> bool:
        # (no check of a stale multi-output view here, unlike is_leaf: torch reads the flag without
        # looking up the view's grad_fn)
        origin = self._view_origin
        if origin is not None and origin[0] is None and origin[3] and self.grad_fn is None:
            return _is_no_grad_view(self)   # (made under no_grad: it follows its base, which may require grad now)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool):
        if type(value) is not bool:
            raise RuntimeError("requires_grad must be a bool")
        if self.grad_fn is not None:
            hint = "" if value else (" If you want to use a computed variable in a subgraph that doesn't "
                                     "require differentiation use var_no_grad = var.detach().")
            raise RuntimeError("you can only change requires_grad flags of leaf variables." + hint)
        if value and not dtypes.is_inexact(self._data.dtype):
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = value
        if "_no_grad_views" in self.__dict__:
            _follow_base_requires_grad(self)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if type(requires_grad) is not bool:
            raise TypeError("requires_grad_(): argument 'requires_grad' (position 1) must be bool, "
                            f"not {_type_name(requires_grad)}")
        if requires_grad and self.grad_fn is not None:
            return self   # a non-leaf already requires grad: torch's method (not the setter) allows this
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        """The accumulated gradient; assigning one checks its type, device, dtype and shape, as torch does."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of type "
                                f"{_type_name(value)}")
            if value is self:
                raise RuntimeError("can't assign Variable as its own grad")
            mine, theirs = self._data, value._data
            if type(theirs) is not type(mine) and value.device.type != self.device.type:
                raise RuntimeError(f"attempting to assign a gradient with device type '{value.device.type}' to a "
                                   f"tensor with device type '{self.device.type}'. Please ensure that the "
                                   "gradient and the tensor are on the same device")
            if theirs.dtype != mine.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype '{value.dtype.name}' to a tensor "
                                   f"with dtype '{self.dtype.name}'. The gradient must match the tensor's dtype")
            if theirs.shape != mine.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(theirs.shape)}' to a tensor "
                                   f"of size '{list(mine.shape)}'. Please ensure that the gradient and the "
                                   "tensor are the same size")
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        if self._view_origin is not None:
            _check_multi_output_view(self)
        if self._retain_on_old is not None:
            _drop_retain_on_old(self)   # (torch reads grad_fn: a use of a view re-derived after a write)
        return self.grad_fn is None

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        from .device import device_of
        return device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    # Devices and layouts minigrad does not have: always False, read-only, as torch's attributes.
    is_xpu, is_mps, is_meta, is_sparse, is_quantized, is_mkldnn = (property(lambda self: False) for _ in range(6))

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return dtypes.is_floating(self._data.dtype)

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    @property
    def _version(self) -> int:
        return self._vc[0]

    # -- conversion ------------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        from .device import to_numpy
        return to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        array = self.numpy(force=True)
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        """Let torch functions take minigrad tensors as read-only values (as NumPy arrays are):
        ``torch_module.load_state_dict(minigrad_module.state_dict())`` copies through here.
        torch's autograd cannot see minigrad's graph, so a tensor that requires grad is refused
        while torch records gradients, rather than silently cut from its graph."""
        import torch

        def convert(value):
            if isinstance(value, Tensor):
                if value._requires_grad and torch.is_grad_enabled():
                    raise RuntimeError(
                        f"{getattr(func, '__name__', func)}: a minigrad tensor that requires grad cannot enter "
                        "a torch computation that records gradients (torch would not see its graph); "
                        "pass tensor.detach() or call under torch.no_grad()")
                array = value.numpy(force=True)
                if not (array.flags.c_contiguous and array.flags.writeable):
                    array = np.ascontiguousarray(array).copy()
                return torch.from_numpy(array)
            if isinstance(value, (list, tuple)):
                return type(value)(convert(v) for v in value)
            if isinstance(value, dict):
                return {k: convert(v) for k, v in value.items()}
            return value

        return func(*convert(tuple(args)), **convert(dict(kwargs or {})))

    def __dlpack__(self, *args, **kwargs):
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def detach(self) -> Tensor:
        """The same memory, cut from the graph (shares the version counter, as in torch; not a
        view in autograd's sense, so writing into it leaves this tensor's graph alone)."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
                "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
                "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
                "refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        if self.grad_fn is not None:   # a node that saved this tensor raises at unpack (autograd/function.py)
            self._detached_edge = (self.grad_fn, self._output_nr)
        self.grad_fn = None
        self._requires_grad = False
        if "_no_grad_views" in self.__dict__:
            _follow_base_requires_grad(self)
        return self

    def clone(self, *, memory_format=None) -> Tensor:
        return _ops.clone(self)

    def contiguous(self, memory_format=None) -> Tensor:
        return self if self._data.flags.c_contiguous else _ops.clone(self)

    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (dtypes.dtype, np.dtype)) or a in (float, int, bool) or _is_torch_dtype(a):
                dtype = a
            else:
                device = a
        out = self
        if device is not None:
            out = _ops.to_device(out, device)
        if dtype is not None:
            out = _ops.to_dtype(out, dtypes.as_dtype(dtype))
        if copy and out is self:   # copy=True always returns new memory, as torch's
            out = _ops.clone(self)
        return out

    def type(self, dtype=None):
        from . import _tensor_types
        if dtype is None:
            return _tensor_types.type_name(self.dtype)
        return self.to(_tensor_types.as_dtype(dtype))

    # -- new_*: factories whose dtype and device default to this tensor's, not the defaults ------
    def _new_options(self, dtype, device, requires_grad):
        return {"dtype": self.dtype if dtype is None else dtype, "device": self.device if device is None else device,
                "requires_grad": requires_grad}

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
        from . import creation
        if isinstance(data, Tensor):
            import warnings
            warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                          "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                          "tensor.new_tensor(sourceTensor).", UserWarning, stacklevel=2)
            data = data.detach()
        return creation.tensor(data, **self._new_options(dtype, device, requires_grad))

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, **size_keyword) -> Tensor:
        from . import creation
        return creation.zeros(*size, **size_keyword, **self._new_options(dtype, device, requires_grad))

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, **size_keyword) -> Tensor:
        from . import creation
        return creation.ones(*size, **size_keyword, **self._new_options(dtype, device, requires_grad))

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, **size_keyword) -> Tensor:
        from . import creation
        return creation.empty(*size, **size_keyword, **self._new_options(dtype, device, requires_grad))

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
        from . import creation
        return creation.full(size, fill_value, **self._new_options(dtype, device, requires_grad))

    def new(self, *args, **kwargs) -> Tensor:
        """The legacy ``x.new(2, 3)`` / ``x.new(data)``: the legacy constructor of x's dtype."""
        from . import _tensor_types
        return _tensor_types.legacy_type(self.dtype)(*args, **kwargs)

    def float(self) -> Tensor:
        return _ops.to_dtype(self, dtypes.float32)

    def double(self) -> Tensor:
        return _ops.to_dtype(self, dtypes.float64)

    def half(self) -> Tensor:
        return _ops.to_dtype(self, dtypes.float16)

    def bfloat16(self) -> Tensor:
        return _ops.to_dtype(self, dtypes.bfloat16)

    def long(self) -> Tensor:
        return _ops.to_dtype(self, dtypes.int64)

    def int(self) -> Tensor:
        return _ops.to_dtype(self, dtypes.int32)

    def bool(self) -> Tensor:
        return _ops.to_dtype(self, dtypes.bool_)

    def byte(self) -> Tensor:
        return _ops.to_dtype(self, dtypes.uint8)

    def char(self) -> Tensor:
        return _ops.to_dtype(self, dtypes.int8)

    def short(self) -> Tensor:
        return _ops.to_dtype(self, dtypes.int16)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None) -> Tensor:
        return self.to("cuda" if device is None else device)

    def __float__(self):
        return float(self._one_element())

    def __int__(self):
        return int(self._one_element())

    def _one_element(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(_ops.unbind(self, 0))

    __hash__ = object.__hash__

    def __contains__(self, element):
        """``element in t``: whether any entry equals ``element`` (a number or a tensor, broadcast)."""
        if not isinstance(element, (Tensor, int, float, bool, np.number, np.bool_)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                               f"{type(element)}.")
        return bool(_ops.eq(self, element).any().item())

    def __format__(self, format_spec):
        """A 0-d tensor formats as its Python number (``f"{loss:.4f}"``); others as their repr."""
        if self._data.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __repr__(self) -> str:
        from ._repr import tensor_repr
        return tensor_repr(self)

    def __deepcopy__(self, memo):
        """A copy with its own memory; views copied together keep sharing memory (``memo`` maps
        each underlying buffer to its copy), and ``.grad`` and ``requires_grad`` come along."""
        if id(self) in memo:
            return memo[id(self)]
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                               "because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        out = type(self)._make(self._deepcopy_data(memo), self._requires_grad)
        memo[id(self)] = out
        if self.grad is not None:
            out.grad = self.grad.__deepcopy__(memo)
        import copy
        for name, value in self.__dict__.items():   # the user's own attributes, as torch copies them
            if name not in _AUTOGRAD_STATE:
                setattr(out, name, copy.deepcopy(value, memo))
        return out

    def _deepcopy_data(self, memo):
        """A copy of ``_data`` in which arrays that share a buffer (views) are copied as one."""
        import copy
        located = memory_location(self._data)
        if located is None:
            return copy.deepcopy(self._data, memo)
        root, offset = located
        key = ("minigrad memory", id(root))
        if key not in memo:
            memo[key] = flat_bytes(root).copy()
            memo.setdefault(id(memo), []).append(root)   # keeps root alive, so its id is not reused
        out = np.ndarray(self._data.shape, self._data.dtype, memo[key], offset, self._data.strides)
        if not self._data.flags.writeable:
            out.setflags(write=False)
        return out

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self.numpy(force=True), self._requires_grad))

    # -- autograd --------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see autograd.engine)."""
        _engine.backward((self,), (gradient,), retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """``hook(grad)`` runs when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:   # (the property: a view made under no_grad follows its base)
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        first = "_hooked" not in self.__dict__
        if self._view_origin is not None and first:
            # torch's first register_hook sets up the tensor's hook dict, then reads grad_fn: a stale
            # view (multi-output, or made under no_grad) raises there, once; later calls skip the read
            self.__dict__["_hooked"] = True
            _check_multi_output_view(self)
        if self._retain_on_old is not None and first:
            # torch's first register_hook reads grad_fn, which re-derives a view after an untracked
            # write: a use of the view (its retain_grad leaves the old graph), as autograd/inplace.py
            from .autograd.inplace import drop_retain_on_old
            drop_retain_on_old(self)
        self.__dict__["_hooked"] = True
        if self.grad_fn is not None:
            self.grad_fn.register_hook(self._output_nr, hook)
        else:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
        return _RemovableHandle(self, hook)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        if self._view_origin is not None:   # (torch reads grad_fn of a non-leaf here: as register_hook)
            _check_multi_output_view(self)
        self._retains_grad = True
        import weakref
        ref = weakref.ref(self)

        def store(grad):
            t = ref()
            if t is not None:
                # a copy, as torch: the retained .grad shares no memory with other gradients
                t.grad = grad.clone() if t.grad is None else t.grad + grad
        store.retains_grad = True   # runs after the tensor's other hooks, whenever they were registered
        self.grad_fn.register_hook(self._output_nr, store)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    # -- in-place ops ------------------------------------------------------------------------
    def _inplace(self, result: Tensor, *operands) -> Tensor:
        """Write an out-of-place result into this tensor's memory, as torch's in-place ops do
        (versions, saved values, views and CopySlices: see autograd.inplace). ``operands`` are the
        op's other tensors, checked for a partial memory overlap with this one."""
        return _inplace_write(self, result, operands)

    def add_(self, other, *, alpha=1):
        return self._inplace(_ops.add(self, other, alpha=alpha), other)

    def sub_(self, other, *, alpha=1):
        return self._inplace(_ops.sub(self, other, alpha=alpha), other)

    def mul_(self, other):
        product = _ops.mul(self, other)
        if getattr(product, "is_sparse", False):   # dense *= sparse: torch writes the product's dense form
            product = product.to_dense()
        return self._inplace(product, other)

    def div_(self, other, *, rounding_mode=None):
        return self._inplace(_ops.div(self, other, rounding_mode=rounding_mode), other)

    def pow_(self, exponent):
        return self._inplace(_ops.pow(self, exponent), exponent)

    def neg_(self):
        return self._inplace(_ops.neg(self))

    def clamp_(self, min=None, max=None):
        return self._inplace(_ops.clamp(self, min, max))

    clip_ = clamp_

    def copy_(self, src, non_blocking=False):
        src = src if isinstance(src, Tensor) else Tensor._make(np.asarray(src))
        # a copy of a tensor onto itself (an expanded one included) passes torch's overlap checks
        return _inplace_write(self, _ops.copy_into(self, src), (src,), fill=_same_layout(self._data, src._data))

    def fill_(self, value):
        return _inplace_write(self, _ops.full_like_value(self, value), (), fill=True)

    def zero_(self):
        return self.fill_(0)

    def masked_fill_(self, mask, value):
        # fill=True: torch only warns on an expanded tensor (several elements sharing memory)
        return _inplace_write(self, _ops.masked_fill(self, mask, value), (mask,), fill=True)

    def uniform_(self, a=0.0, b=1.0, generator=None):
        from . import random
        with grad_mode.no_grad():
            return self.copy_(random.uniform_like(self, a, b, generator))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from . import random
        with grad_mode.no_grad():
            return self.copy_(random.normal_like(self, mean, std, generator))

    def bernoulli_(self, p=0.5, generator=None):
        from . import random
        with grad_mode.no_grad():
            return self.copy_(random.bernoulli_like(self, p, generator))

    def exponential_(self, lambd=1.0, *, generator=None):
        from . import random
        with grad_mode.no_grad():
            return self.copy_(random.exponential_like(self, lambd, generator))

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        from .creation import multinomial
        return multinomial(self, num_samples, replacement, generator=generator)

    def random_(self, from_=None, to=None, *, generator=None):
        """random_(from, to) or random_(to): integers in [from, to); random_(): torch's full range
        of the dtype ([0, max] for integers, [0, 2**digits] for floats)."""
        from . import random
        if from_ is not None and to is None:
            from_, to = 0, from_
        with grad_mode.no_grad():
            return self.copy_(random.random_like(self, from_, to, generator))

    def __setitem__(self, index, value):
        _check_setitem(self._data, index, value)
        _ops.index.setitem(self, index, value)  # writes in place directly when there is no graph to record

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

    def floor_divide_(self, other):
        return self._inplace(_ops.floor_divide(self._castable(other), other), other)

    def remainder_(self, other):
        return self._inplace(_ops.remainder(self._castable(other), other), other)

    def bitwise_and_(self, other):
        return self._inplace(_ops.bitwise_and(self._castable(other), other), other)

    def bitwise_or_(self, other):
        return self._inplace(_ops.bitwise_or(self._castable(other), other), other)

    def bitwise_xor_(self, other):
        return self._inplace(_ops.bitwise_xor(self._castable(other), other), other)

    def bitwise_left_shift_(self, other):
        return self._inplace(_ops.bitwise_left_shift(self._castable(other), other), other)

    def bitwise_right_shift_(self, other):
        return self._inplace(_ops.bitwise_right_shift(self._castable(other), other), other)

    def _castable(self, other):
        """self, after torch's check, made before the op runs, that an in-place op's result dtype
        can be written back into self (``uint8 &= 2.5`` raises that error, not the op's own)."""
        if isinstance(other, (Tensor, int, float, bool)):
            result = dtypes.result_type(self, other)
            if result.category > self.dtype.category:
                raise RuntimeError(f"result type {dtypes.SCALAR_NAMES[result.name]} can't be cast to the desired "
                                   f"output type {dtypes.SCALAR_NAMES[self.dtype.name]}")
        return self

    # -- arithmetic operators ----------------------------------------------------------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(self, other)   # as torch: number + tensor is tensor.add(number)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(self, other)   # as torch: number * tensor is tensor.mul(number)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        if isinstance(other, (int, float, complex, np.number)):
            # torch's number / tensor is reciprocal(tensor) * number (rounded as torch rounds it): it
            # saves the reciprocal, not the tensor, so changing the tensor in place afterwards does not
            # break backward
            return _ops.mul(_ops.reciprocal(self), other)
        return _ops.div(other, self)

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __rmod__(self, other):
        return _ops.remainder(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __eq__(self, other):
        if other is None:
            return False  # as torch: `t == None` is False, not an error
        return _ops.eq(self, other)

    def __ne__(self, other):
        if other is None:
            return True
        return _ops.ne(self, other)

    def __lt__(self, other):
        return _ops.lt(self, other)

    def __le__(self, other):
        return _ops.le(self, other)

    def __gt__(self, other):
        return _ops.gt(self, other)

    def __ge__(self, other):
        return _ops.ge(self, other)

    def __and__(self, other):
        return _ops.bitwise_and(self, other)

    def __or__(self, other):
        return _ops.bitwise_or(self, other)

    def __xor__(self, other):
        return _ops.bitwise_xor(self, other)

    def __rand__(self, other):
        return _ops.bitwise_and(other, self)

    def __ror__(self, other):
        return _ops.bitwise_or(other, self)

    def __rxor__(self, other):
        return _ops.bitwise_xor(other, self)

    def __lshift__(self, other):
        return _ops.bitwise_left_shift(self, other)

    def __rlshift__(self, other):
        return _ops.bitwise_left_shift(other, self)

    def __rshift__(self, other):
        return _ops.bitwise_right_shift(self, other)

    def __rrshift__(self, other):
        return _ops.bitwise_right_shift(other, self)

    def bitwise_left_shift(self, other):
        return _ops.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        return _ops.bitwise_right_shift(self, other)

    def __invert__(self):
        if self._data.dtype.kind not in "biu":
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return _ops.bitwise_not(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # -- named methods: each is the op of the same name in minigrad.ops ------------------------
    def add(self, other, *, alpha=1):
        return _ops.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _ops.sub(self, other, alpha=alpha)

    subtract = sub

    def mul(self, other):
        return _ops.mul(self, other)

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        return _ops.div(self, other, rounding_mode=rounding_mode)

    divide = div
    true_divide = div

    def neg(self):
        return _ops.neg(self)

    negative = neg

    def pow(self, exponent):
        return _ops.pow(self, exponent)

    def reciprocal(self):
        return _ops.reciprocal(self)

    def abs(self):
        return _ops.abs(self)

    # -- complex numbers (ops/complex.py) --------------------------------------------------
    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    @property
    def real(self):
        return _ops.real(self)

    @real.setter
    def real(self, value):
        _ops.real(self).copy_(value)

    @property
    def imag(self):
        return _ops.imag(self)

    @imag.setter
    def imag(self, value):
        _ops.imag(self).copy_(value)

    def conj(self):
        return _ops.conj(self)

    def conj_physical(self):
        return _ops.conj_physical(self)

    def resolve_conj(self):
        return _ops.resolve_conj(self)

    def resolve_neg(self):
        return _ops.resolve_neg(self)

    def is_conj(self) -> bool:
        return False   # conj() materialises (docs/parity.md, "Complex numbers")

    def is_neg(self) -> bool:
        return False

    def angle(self):
        return _ops.angle(self)

    def cfloat(self) -> Tensor:
        return _ops.to_dtype(self, dtypes.complex64)

    def cdouble(self) -> Tensor:
        return _ops.to_dtype(self, dtypes.complex128)

    def __complex__(self):
        return complex(self._one_element())

    def sign(self):
        return _ops.sign(self)

    def floor(self):
        return _ops.floor(self)

    def ceil(self):
        return _ops.ceil(self)

    def round(self, *, decimals=0):
        return _ops.round(self, decimals=decimals)

    def trunc(self):
        return _ops.trunc(self)

    def fmod(self, other):
        return _ops.fmod(self, other)

    def remainder(self, other):
        return _ops.remainder(self, other)

    def maximum(self, other):
        return _ops.maximum(self, other)

    def minimum(self, other):
        return _ops.minimum(self, other)

    def clamp(self, min=None, max=None):
        return _ops.clamp(self, min, max)

    clip = clamp

    def where(self, condition, other):
        return _ops.where(condition, self, other)

    def lerp(self, end, weight):
        return _ops.lerp(self, end, weight)

    def exp(self):
        return _ops.exp(self)

    def expm1(self):
        return _ops.expm1(self)

    def log(self):
        return _ops.log(self)

    def log2(self):
        return _ops.log2(self)

    def log10(self):
        return _ops.log10(self)

    def log1p(self):
        return _ops.log1p(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def rsqrt(self):
        return _ops.rsqrt(self)

    def square(self):
        return _ops.square(self)

    def sin(self):
        return _ops.sin(self)

    def cos(self):
        return _ops.cos(self)

    def tan(self):
        return _ops.tan(self)

    def atan(self):
        return _ops.atan(self)

    arctan = atan

    def atan2(self, other):
        return _ops.atan2(self, other)

    arctan2 = atan2

    def sinh(self):
        return _ops.sinh(self)

    def cosh(self):
        return _ops.cosh(self)

    def tanh(self):
        return _ops.tanh(self)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def erf(self):
        return _ops.erf(self)

    def relu(self):
        return _ops.relu(self)

    def softmax(self, dim, dtype=None):
        return _ops.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        return _ops.log_softmax(self, dim, dtype=dtype)

    # reductions
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.mean(self, dim, keepdim, dtype=dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.prod(self, dim, keepdim, dtype=dtype)

    def max(self, dim=None, keepdim=False):
        return _ops.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _ops.min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return _ops.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _ops.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _ops.argmin(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _ops.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _ops.std(self, dim, unbiased, keepdim, correction=correction)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return _ops.norm(self, p, dim, keepdim, dtype=dtype)

    def logsumexp(self, dim, keepdim=False):
        return _ops.logsumexp(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return _ops.cumsum(self, dim, dtype=dtype)

    def all(self, dim=None, keepdim=False):
        return _ops.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _ops.any(self, dim, keepdim)

    # linear algebra
    def matmul(self, other):
        return _ops.matmul(self, other)

    def mm(self, mat2):
        return _ops.mm(self, mat2)

    def bmm(self, mat2):
        return _ops.bmm(self, mat2)

    def mv(self, vec):
        return _ops.mv(self, vec)

    def dot(self, other):
        return _ops.dot(self, other)

    def outer(self, vec2):
        return _ops.outer(self, vec2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    # shape
    def reshape(self, *shape):
        return _ops.reshape(self, _shape_args(shape))

    def view(self, *shape):
        if not shape:
            raise TypeError("view() received an invalid combination of arguments - got (), but expected one of "
                            "(torch.dtype dtype) or (tuple of ints size)")
        if len(shape) == 1 and (isinstance(shape[0], dtypes.dtype) or _is_torch_dtype(shape[0])):
            raise NotImplementedError("view(dtype) is not supported by minigrad")
        return _ops.view(self, _shape_args(shape))

    def view_as(self, other):
        return _ops.view(self, other.shape)

    def reshape_as(self, other):
        return _ops.reshape(self, other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _ops.unflatten(self, dim, sizes)

    def squeeze(self, dim=None):
        return _ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _ops.unsqueeze(self, dim)

    def permute(self, *dims):
        return _ops.permute(self, _shape_args(dims))

    def transpose(self, dim0, dim1):
        return _ops.transpose(self, dim0, dim1)

    swapaxes = transpose
    swapdims = transpose

    def t(self):
        return _ops.t(self)

    @property
    def T(self):
        return _ops.permute(self, tuple(range(self._data.ndim - 1, -1, -1)))

    @property
    def mT(self):
        if self._data.ndim < 2:
            if self._data.ndim == 1:
                raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
            import warnings
            warnings.warn("Tensor.mT is deprecated on 0-D tensors. This function is the identity in these cases.",
                          UserWarning, stacklevel=2)
            return self
        return _ops.transpose(self, -2, -1)

    def expand(self, *sizes):
        return _ops.expand(self, _shape_args(sizes))

    def expand_as(self, other):
        return _ops.expand(self, other.shape)

    def _replace_storage(self, shape):
        """Fresh memory of ``shape`` for this tensor (how an out= tensor of the wrong size is
        resized); its old contents are gone, so its version moves on."""
        self._data = _ops._util.xp(self._data).empty(tuple(shape), dtype=self._data.dtype)
        self._vc[0] += 1

    def sum_to_size(self, *size):
        return _ops.sum_to_size(self, *size)

    def broadcast_to(self, shape):
        return _ops.broadcast_to(self, shape)

    def repeat(self, *sizes):
        return _ops.repeat(self, _shape_args(sizes))

    def tile(self, *dims):
        return _ops.tile(self, _shape_args(dims))

    def flip(self, *dims):
        return _ops.flip(self, _shape_args(dims))

    def roll(self, shifts, dims=None):
        return _ops.roll(self, shifts, dims)

    def movedim(self, source, destination):
        return _ops.movedim(self, source, destination)

    moveaxis = movedim

    def index_put_(self, indices, values, accumulate=False):
        if accumulate:
            return self._inplace(_ops.index_put(self, indices, values, accumulate=True), values)
        self[tuple(slice(None) if i is None else i for i in indices)] = values
        return self

    def narrow(self, dim, start, length):
        return _ops.narrow(self, dim, start, length)

    def select(self, dim, index):
        """The slice at ``index`` along ``dim``, without that dim: a view (``t[:, index]`` for dim 1)."""
        return _ops.select(self, dim, index)

    def split(self, split_size, dim=0):
        return _ops.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _ops.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return _ops.unbind(self, dim)

    def tril(self, diagonal=0):
        return _ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _ops.triu(self, diagonal)

    def gather(self, dim, index):
        return _ops.gather(self, dim, index)

    def scatter_add(self, dim, index, src):
        return _ops.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return _ops.index_select(self, dim, index)

    def masked_fill(self, mask, value):
        return _ops.masked_fill(self, mask, value)

    # comparison and logic
    def eq(self, other):
        return _ops.eq(self, other)

    def ne(self, other):
        return _ops.ne(self, other)

    def lt(self, other):
        return _ops.lt(self, other)

    def le(self, other):
        return _ops.le(self, other)

    def gt(self, other):
        return _ops.gt(self, other)

    def ge(self, other):
        return _ops.ge(self, other)

    def logical_and(self, other):
        return _ops.logical_and(self, other)

    def logical_or(self, other):
        return _ops.logical_or(self, other)

    def logical_not(self):
        return _ops.logical_not(self)

    def isnan(self):
        return _ops.isnan(self)

    def isinf(self):
        return _ops.isinf(self)

    def isfinite(self):
        return _ops.isfinite(self)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ops.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return _ops.equal(self, other)

    # ---- pointwise math: method and in-place forms ----
    # x.NAME(*args) is NAME(x, *args), and x.NAME_(*args) writes that result into x, for the pointwise
    # ops below (methods defined elsewhere in the class are kept).
    def _pointwise_method(name):
        def method(self, *args, **kwargs):
            return getattr(_ops, name)(self, *args, **kwargs)
        method.__name__ = method.__qualname__ = name
        return method

    def _pointwise_inplace(name):
        def method(self, *args, **kwargs):
            return self._inplace(getattr(_ops, name)(self, *args, **kwargs),
                                 *[a for a in args if isinstance(a, Tensor)])
        method.__name__ = method.__qualname__ = name + "_"
        return method

    for _name in ("acos arccos asin arcsin acosh arccosh asinh arcsinh atanh arctanh exp2 erfc erfinv logit sinc "
                  "deg2rad rad2deg frac sgn positive nan_to_num signbit isposinf isneginf isreal hypot logaddexp "
                  "logaddexp2 nextafter xlogy copysign heaviside ldexp frexp float_power fmax fmin gcd lcm addcmul "
                  "addcdiv clamp_min clamp_max digamma lgamma mvlgamma i0 igamma igammac dist renorm absolute arctan "
                  "atan2 arctan2 square reciprocal").split():
        if _name not in vars():
            vars()[_name] = _pointwise_method(_name)
    for _name in ("acos arccos asin arcsin acosh arccosh asinh arcsinh atanh arctanh exp2 erfc erfinv logit sinc "
                  "deg2rad rad2deg frac sgn nan_to_num hypot nextafter xlogy copysign heaviside ldexp gcd lcm "
                  "addcmul addcdiv clamp_min clamp_max digamma lgamma mvlgamma i0 igamma igammac renorm exp expm1 "
                  "log log2 log10 log1p sqrt rsqrt reciprocal square sin cos tan atan arctan atan2 arctan2 sinh cosh "
                  "tanh sigmoid erf abs absolute sign floor ceil trunc round fmod lerp "
                  # torch's other in-place forms that write the out-of-place result: a comparison or a
                  # logical op writes its bool result in self's dtype (1/0), as torch's
                  "bitwise_not cumprod cumsum divide multiply subtract true_divide negative conj_physical relu "
                  "eq ne lt le gt ge greater greater_equal less less_equal not_equal "
                  "logical_and logical_not logical_or logical_xor tril triu addmm addmv addr addbmm baddbmm").split():
        if _name + "_" not in vars():
            vars()[_name + "_"] = _pointwise_inplace(_name)
    fix_ = _pointwise_inplace("trunc")   # (torch.fix is trunc)
    fix_.__name__ = fix_.__qualname__ = "fix_"
    del _name, _pointwise_method, _pointwise_inplace

    def polygamma(self, n):
        return _ops.polygamma(n, self)

    def polygamma_(self, n):
        return self._inplace(_ops.polygamma(n, self))

    def float_power_(self, exponent):
        if self.dtype is not dtypes.float64:
            raise RuntimeError(f"the base given to float_power_ has dtype {dtypes.SCALAR_NAMES[self.dtype.name]} but "
                               f"the operation's result requires dtype Double")
        return self._inplace(_ops.float_power(self, exponent), exponent)

    def __rdiv__(self, other):
        return self.__rtruediv__(other)

    # ---- hooks ----
    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` after backward has accumulated into this leaf's ``.grad`` (optimizer
        steps fused into the backward use it); returns a handle whose ``remove()`` drops it."""
        from collections import OrderedDict
        from .nn.module import RemovableHandle
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", OrderedDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    # ---- nn.functional ops torch also has as methods ----
    def hardshrink(self, lambd=0.5):
        return _ops.hardshrink(self, lambd)

    def prelu(self, weight):
        return _ops.prelu(self, weight)
    # ---- indexing, views, splits and stacks ----
    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return _ops.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._inplace(_ops.scatter(self, dim, index, src, value=value, reduce=reduce), src)

    def scatter_add_(self, dim, index, src):
        return self._inplace(_ops.scatter_add(self, dim, index, src), src)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return _ops.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return self._inplace(_ops.scatter_reduce(self, dim, index, src, reduce, include_self=include_self), src)

    def index_add(self, dim, index, source, *, alpha=1):
        return _ops.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._inplace(_ops.index_add(self, dim, index, source, alpha=alpha), source)

    def index_copy(self, dim, index, source):
        return _ops.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return self._inplace(_ops.index_copy(self, dim, index, source), source)

    def index_fill(self, dim, index, value):
        return _ops.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return self._inplace(_ops.index_fill(self, dim, index, value))

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        return _ops.index_reduce(self, dim, index, source, reduce, include_self=include_self)

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        return self._inplace(_ops.index_reduce(self, dim, index, source, reduce, include_self=include_self), source)

    def index_put(self, indices, values, accumulate=False):
        return _ops.index_put(self, indices, values, accumulate)

    def take(self, index):
        return _ops.take(self, index)

    def take_along_dim(self, indices, dim=None):
        return _ops.take_along_dim(self, indices, dim)

    def put(self, index, source, accumulate=False):
        return _ops.put(self, index, source, accumulate)

    def put_(self, index, source, accumulate=False):
        return self._inplace(_ops.put(self, index, source, accumulate), source)

    def masked_select(self, mask):
        return _ops.masked_select(self, mask)

    def masked_scatter(self, mask, source):
        return _ops.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return self._inplace(_ops.masked_scatter(self, mask, source), source)

    def nonzero(self, *, as_tuple=False):
        return _ops.nonzero(self, as_tuple=as_tuple)

    def nonzero_static(self, *, size, fill_value=-1):
        return _ops.nonzero_static(self, size=size, fill_value=fill_value)

    def argwhere(self):
        return _ops.argwhere(self)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _ops.diagonal(self, offset, dim1, dim2)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        return _ops.diagonal_scatter(self, src, offset, dim1, dim2)

    def select_scatter(self, src, dim, index):
        return _ops.select_scatter(self, src, dim, index)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        return _ops.slice_scatter(self, src, dim, start, end, step)

    def as_strided(self, size, stride, storage_offset=None):
        return _ops.as_strided(self, size, stride, storage_offset)

    def as_strided_scatter(self, src, size, stride, storage_offset=None):
        return _ops.as_strided_scatter(self, src, size, stride, storage_offset)

    def unfold(self, dimension, size, step):
        return _ops.shape.unfold(self, dimension, size, step)

    def diag(self, diagonal=0):
        return _ops.diag(self, diagonal)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _ops.diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset=0):
        return _ops.diagflat(self, offset)

    def trace(self):
        return _ops.trace(self)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return _ops.repeat_interleave(self, repeats, dim, output_size=output_size)

    def tensor_split(self, indices_or_sections, dim=0):
        return _ops.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections):
        return _ops.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections):
        return _ops.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections):
        return _ops.dsplit(self, indices_or_sections)

    def split_with_sizes(self, split_sizes, dim=0):
        return _ops.split_with_sizes(self, split_sizes, dim)

    def unsafe_split(self, split_size, dim=0):
        return _ops.unsafe_split(self, split_size, dim)

    def unsafe_chunk(self, chunks, dim=0):
        return _ops.unsafe_chunk(self, chunks, dim)

    def rot90(self, k=1, dims=(0, 1)):
        return _ops.rot90(self, k, dims)

    def fliplr(self):
        return _ops.fliplr(self)

    def flipud(self):
        return _ops.flipud(self)

    def ravel(self):
        return _ops.ravel(self)

    def narrow_copy(self, dim, start, length):
        return _ops.narrow_copy(self, dim, start, length)

    def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False):
        return _ops.empty_strided(size, stride, dtype=dtype or self.dtype, device=device or self.device,
                                  requires_grad=requires_grad)

    def resize_(self, *sizes, memory_format=None):
        """This tensor's memory read as ``sizes`` (grown when too small): torch's resize_."""
        if self._requires_grad:
            raise RuntimeError("cannot resize variables that require grad")
        shape = tuple(int(n) for n in _shape_args(sizes))
        if any(n < 0 for n in shape):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
        self._data = _ops.shape.resized(self._data, shape)
        self._vc[0] += 1
        return self

    def resize_as_(self, other, memory_format=None):
        return self.resize_(other.shape)


    # ---- sorting, selection, cumulative reductions, random fills ----
    def sort(self, dim=-1, descending=False, **kwargs):
        return _ops.sort(self, dim, descending, **kwargs)

    def argsort(self, dim=-1, descending=False, **kwargs):
        return _ops.argsort(self, dim, descending, **kwargs)

    def msort(self):
        return _ops.msort(self)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _ops.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return _ops.kthvalue(self, k, dim, keepdim)

    def median(self, dim=None, keepdim=False):
        return _ops.median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return _ops.nanmedian(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return _ops.mode(self, dim, keepdim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _ops.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return _ops.unique_consecutive(self, return_inverse, return_counts, dim)

    def histc(self, bins=100, min=0, max=0):
        return _ops.histc(self, bins, min, max)

    def histogram(self, bins=100, **kwargs):
        return _ops.histogram(self, bins, **kwargs)

    def bincount(self, weights=None, minlength=0):
        return _ops.bincount(self, weights, minlength)

    def count_nonzero(self, dim=None):
        return _ops.count_nonzero(self, dim)

    def aminmax(self, *, dim=None, keepdim=False):
        return _ops.aminmax(self, dim=dim, keepdim=keepdim)

    def cummax(self, dim):
        return _ops.cummax(self, dim)

    def cummin(self, dim):
        return _ops.cummin(self, dim)

    def cumprod(self, dim, *, dtype=None):
        return _ops.cumprod(self, dim, dtype=dtype)

    def logcumsumexp(self, dim):
        return _ops.logcumsumexp(self, dim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.nanmean(self, dim, keepdim, dtype=dtype)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _ops.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _ops.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        return _ops.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        return _ops.corrcoef(self)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return _ops.diff(self, n, dim, prepend, append)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        from . import random
        with grad_mode.no_grad():
            return self.copy_(random.log_normal_like(self, mean, std, generator))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        from . import random
        with grad_mode.no_grad():
            return self.copy_(random.cauchy_like(self, median, sigma, generator))

    def geometric_(self, p, *, generator=None):
        from . import random
        with grad_mode.no_grad():
            return self.copy_(random.geometric_like(self, p, generator))
    # ---- linear algebra and sparse layout ----
    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _ops.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return _ops.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _ops.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def inner(self, other):
        return _ops.inner(self, other)

    def vdot(self, other):
        return _ops.vdot(self, other)

    def kron(self, other):
        return _ops.kron(self, other)

    def cross(self, other, dim=None):
        return _ops.cross(self, other, dim)

    def det(self):
        return _linalg().det(self)

    def logdet(self):
        return _linalg_top().logdet(self)

    def slogdet(self):
        return _linalg_top().slogdet(self)

    def inverse(self):
        return _linalg().inv(self)

    def pinverse(self, rcond=1e-15):
        return _linalg_top().pinverse(self, rcond)

    def cholesky(self, upper=False):
        return _linalg_top().cholesky(self, upper)

    def cholesky_inverse(self, upper=False):
        return _linalg_top().cholesky_inverse(self, upper)

    def cholesky_solve(self, input2, upper=False):
        return _linalg_top().cholesky_solve(self, input2, upper)

    def qr(self, some=True):
        return _linalg_top().qr(self, some)

    def svd(self, some=True, compute_uv=True):
        return _linalg_top().svd(self, some, compute_uv)

    def lu(self, pivot=True, get_infos=False):
        return _linalg_top().lu(self, pivot, get_infos)

    def lu_solve(self, LU_data, LU_pivots):
        return _linalg_top().lu_solve(self, LU_data, LU_pivots)

    def matrix_exp(self):
        return _linalg().matrix_exp(self)

    def matrix_power(self, n):
        return _linalg().matrix_power(self, n)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        return _linalg_top().triangular_solve(self, A, upper, transpose, unitriangular)

    def geqrf(self):
        return _linalg_top().geqrf(self)

    def ormqr(self, input2, input3, left=True, transpose=False):
        return _linalg_top().ormqr(self, input2, input3, left, transpose)

    @property
    def layout(self):
        import minigrad.sparse
        return minigrad.sparse.strided

    def to_sparse(self, sparse_dim=None):
        import minigrad.sparse
        return minigrad.sparse.to_sparse(self, sparse_dim)

    def to_dense(self):
        return self

    @property
    def mH(self):
        """The conjugate transpose of the last two dims."""
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got "
                               f"{self._data.ndim}-D tensor.")
        return _ops.conj(_ops.transpose(self, -2, -1))

    @property
    def H(self):
        if self._data.ndim != 2:
            hint = " For batches of matrices, consider using tensor.mH" if self._data.ndim > 2 else ""
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self._data.ndim}-D "
                               f"tensor.{hint}")
        return _ops.conj(_ops.transpose(self, 0, 1))

    def stft(self, *args, **kwargs):
        return _ops.stft(self, *args, **kwargs)

    def istft(self, *args, **kwargs):
        return _ops.istft(self, *args, **kwargs)


def _new_tensor(array, requires_grad=False, grad_fn=None, output_nr=0, _object_new=object.__new__):
    """``Tensor._make`` as a plain function, for the outputs of every op (Function.apply): a
    classmethod call costs a bound-method creation more, a tenth of a tiny op's dispatch."""
    t = _object_new(Tensor)
    t._data = array
    t._requires_grad = requires_grad
    t.grad_fn = grad_fn
    t._output_nr = output_nr
    t._vc = [0]
    return t


class Size(tuple):
    """``tensor.shape``: a tuple that prints like ``torch.Size``."""

    def __repr__(self):
        return f"minigrad.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class _RemovableHandle:
    def __init__(self, tensor, hook):
        self._tensor, self._hook = tensor, hook

    def remove(self):
        t = self._tensor
        hooks = t._hooks if t.grad_fn is None else (t.grad_fn._pre_hooks or {}).get(t._output_nr)
        if hooks and self._hook in hooks:
            hooks.remove(self._hook)


def _type_name(obj) -> str:
    """``int``, ``numpy.ndarray``: a type as torch's argument errors name it."""
    kind = type(obj)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def _rebuild(array, requires_grad):
    t = Tensor._make(array)
    t._requires_grad = requires_grad
    return t


def _linalg():
    import minigrad.linalg
    return minigrad.linalg


def _linalg_top():
    import minigrad.linalg_aliases
    return minigrad.linalg_aliases


def _wrap_dim(dim: int, ndim: int) -> int:
    """A dim in [-ndim, ndim) as a non-negative index; torch's IndexError otherwise."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _shape_args(args):
    """Accept both f(2, 3) and f((2, 3)) / f([2, 3]) / f(tensor.shape)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


# Per-tensor autograd state kept in __dict__, which a deepcopy does not carry over (a copy is a new
# leaf: no view base, no hooks, no gradient accumulator; its .grad is copied explicitly).
_AUTOGRAD_STATE = frozenset(("grad", "_grad", "_base", "_accumulator", "_hooks", "_retains_grad", "_views",
                             "_no_grad_views", "_view_origin", "_post_accumulate_grad_hooks", "_counter_bases", "_retain_on_old",
                             "_hooked"))



def _is_size(x) -> bool:
    """A minigrad.Size or a torch.Size (a tuple subclass of that name)."""
    return isinstance(x, tuple) and type(x).__name__ == "Size"


def _is_size_entry(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def memory_location(array):
    """``(root, offset)``: the array that owns the memory ``array`` lies in (views of one tensor
    share it), and ``array``'s byte offset into that memory; ``flat_bytes(root)`` is the memory.
    None where there is no such single block (GPU arrays, empty or strided roots)."""
    if type(array) is not np.ndarray:
        return None
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not (root.flags.c_contiguous or root.flags.f_contiguous) or root.size == 0:
        return None
    return root, array.__array_interface__["data"][0] - root.__array_interface__["data"][0]


def flat_bytes(root):
    """The memory of a C- or F-contiguous array as a 1-D uint8 view (no copy)."""
    return root.reshape(-1, order="A").view(np.uint8)


def _is_torch_dtype(x) -> bool:
    return type(x).__name__ == "dtype" and type(x).__module__ == "torch"


def _operator(method):
    """As torch's operators do, return NotImplemented for an operand of a type they do not take, so
    that Python raises its usual TypeError (``t + "a"``) or falls back to identity (``t == "a"``
    is False)."""
    def operator(self, other):
        try:
            return method(self, other)
        except TypeError:
            if isinstance(other, _OPERAND_TYPES):
                raise
            return NotImplemented
    operator.__name__, operator.__qualname__, operator.__doc__ = method.__name__, method.__qualname__, method.__doc__
    return operator


_OPERAND_TYPES = (Tensor, int, float, complex, np.number, np.bool_, np.ndarray)
for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor", "lshift", "rshift"):
    for _form in ("__{}__", "__r{}__", "__i{}__"):
        if _form.format(_name) in Tensor.__dict__:
            setattr(Tensor, _form.format(_name), _operator(Tensor.__dict__[_form.format(_name)]))
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(Tensor, f"__{_name}__", _operator(Tensor.__dict__[f"__{_name}__"]))

# Imported last: these modules import Tensor themselves.
from .autograd import grad_mode  # noqa: E402
from . import ops as _ops  # noqa: E402
from .autograd import engine as _engine  # noqa: E402
from .autograd.inplace import check_setitem as _check_setitem, write as _inplace_write  # noqa: E402
from .autograd.inplace import check_multi_output_view as _check_multi_output_view  # noqa: E402
from .autograd.inplace import drop_retain_on_old as _drop_retain_on_old  # noqa: E402
from .autograd.inplace import follow_base_requires_grad as _follow_base_requires_grad  # noqa: E402
from .autograd.inplace import is_no_grad_view as _is_no_grad_view  # noqa: E402
from .autograd.inplace import same_layout as _same_layout  # noqa: E402
