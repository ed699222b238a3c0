"""A loaded model: call its entry points with numpy arrays, get numpy arrays back.

Inputs are always copied into buffers the model owns, and results are always
copied into arrays the caller owns: a model can never write into a caller's
memory, and a caller can never observe device memory after the call.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import iree.runtime as ireert
import numpy as np

from . import devices
from .artifact import Artifact, vm_instance
from .errors import BudgetExceeded, ExecutionError, InvalidArgument, NotFound
from .signature import FunctionSignature, TensorSpec, describe_value
from .tree import flatten, unflatten

# Iterations one call may run across all its loops, unless the host says
# otherwise. Each iteration does bounded work, so this bounds a call's time:
# an IREE loop iteration costs tens of microseconds on the CPU, so a runaway
# call ends within a minute or two.
DEFAULT_FUEL = 1_000_000
MAX_FUEL = 1 << 62

# The iteration budget is one more int64 scalar input (see webtensor-sandbox-fuel).
_FUEL_SPEC = TensorSpec("fuel", (), "int64")


def check_fuel(fuel: int) -> int:
    if isinstance(fuel, bool) or not isinstance(fuel, (int, np.integer)) or not 0 <= fuel <= MAX_FUEL:
        raise InvalidArgument(f"fuel must be an integer from 0 to {MAX_FUEL}, got {fuel!r}")
    return int(fuel)


class Model:
    """An artifact loaded on one device.

    Call the default entry point with `model(...)`, any entry point with
    `model.NAME(...)` or `model["NAME"](...)`. Arguments have the structure of
    the example arguments the model was compiled with.
    """

    def __init__(self, artifact: Artifact, device: str | None = None, fuel: int = DEFAULT_FUEL):
        self.artifact = artifact
        self.fuel = check_fuel(fuel)
        self.device = device or devices.DEFAULT_DRIVER.get(artifact.target, "local-task")
        devices.check_name(self.device)
        devices.check_target(self.device, artifact.target)
        self._hal_device = devices.get_hal_device(self.device)
        instance = vm_instance()
        hal_module = ireert.create_hal_module(instance, self._hal_device)
        try:
            self._context = ireert.VmContext(instance, [hal_module, artifact.vm_module])
        except (RuntimeError, ValueError) as e:
            raise ExecutionError(f"could not load the artifact on {self.device}: {e}") from None
        # IREE VM contexts are thread-compatible, not thread-safe.
        self._lock = threading.Lock()
        self._entry_points = {
            name: EntryPoint(self, signature)
            for name, signature in artifact.signatures.items()
        }

    @property
    def functions(self) -> list[str]:
        return list(self._entry_points)

    @property
    def signatures(self) -> dict[str, FunctionSignature]:
        return dict(self.artifact.signatures)

    @property
    def signature(self) -> FunctionSignature:
        """The default entry point's signature."""
        return self.default.signature

    def __getitem__(self, name: str) -> "EntryPoint":
        try:
            return self._entry_points[name]
        except KeyError:
            raise NotFound(
                f"no function '{name}' in this model; functions: {', '.join(self._entry_points)}"
            ) from None

    def __getattr__(self, name: str) -> "EntryPoint":
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except NotFound as e:
            raise AttributeError(str(e)) from None

    def __call__(self, *args, fuel: int | None = None):
        return self.default(*args, fuel=fuel)

    @property
    def default(self) -> "EntryPoint":
        """`main`, or the only function there is."""
        if "main" in self._entry_points:
            return self._entry_points["main"]
        if len(self._entry_points) == 1:
            return next(iter(self._entry_points.values()))
        raise NotFound(
            "this model has several functions and none is named 'main'; call one "
            f"by name: {', '.join(self._entry_points)}"
        )

    def save(self, path: str | os.PathLike) -> None:
        self.artifact.save(path)

    def __repr__(self) -> str:
        return f"<webtensor.Model on {self.device}: {', '.join(self._entry_points)}>"


class EntryPoint:
    """One exported function of a loaded model."""

    def __init__(self, model: Model, signature: FunctionSignature):
        self._model = model
        self.signature = signature
        self._function = model.artifact.vm_module.lookup_function(signature.name)

    def __call__(self, *args, fuel: int | None = None) -> Any:
        """Calls with arguments shaped like the example arguments. `fuel`
        overrides the model's iteration budget for this call."""
        expected = len(self.signature.input_tree.children)
        if len(args) != expected:
            names = self.signature.arg_names or [t.name for t in self.signature.inputs]
            raise InvalidArgument(
                f"{self.signature.name} takes {expected} arguments ({', '.join(names)}), got {len(args)}"
            )
        leaves = flatten(self.signature.input_tree, args)
        return unflatten(self.signature.output_tree, self.call_flat(leaves, fuel=fuel))

    def call_flat(self, leaves: list[Any], fuel: int | None = None) -> list[np.ndarray]:
        """Calls with the arrays in signature order, ignoring any nesting."""
        if len(leaves) != len(self.signature.inputs):
            raise InvalidArgument(
                f"{self.signature.name} takes {len(self.signature.inputs)} arrays "
                f"({', '.join(t.name for t in self.signature.inputs)}), got {len(leaves)}"
            )
        arrays = [_as_input_array(leaf, spec) for leaf, spec in zip(leaves, self.signature.inputs)]
        self.signature.check_dims([a.shape for a in arrays])
        if not self.signature.fuel:
            return self._invoke(arrays)
        budget = self._model.fuel if fuel is None else check_fuel(fuel)
        *outputs, left = self._invoke(arrays, np.array(budget, np.int64))
        if left < 0:
            raise BudgetExceeded(
                f"{self.signature.name} ran out of its iteration budget of {budget} loop iterations "
                "and returned nothing; pass a larger fuel= if the model needs it"
            )
        return outputs

    def _invoke(self, arrays: list[np.ndarray], fuel: np.ndarray | None = None) -> list[np.ndarray]:
        model = self._model
        device = model._hal_device
        specs = list(self.signature.inputs)
        output_types = [spec.element_type.dtype for spec in self.signature.outputs]
        if fuel is not None:
            arrays, specs = arrays + [fuel], specs + [_FUEL_SPEC]
            output_types.append(np.dtype(np.int64))
        arg_list = ireert.VmVariantList(len(arrays))
        for array, spec in zip(arrays, specs):
            buffer = device.allocator.allocate_buffer_copy(
                memory_type=ireert.MemoryType.DEVICE_LOCAL,
                allowed_usage=ireert.BufferUsage.DEFAULT,
                device=device,
                buffer=array,
            )
            # The view is made here, not by allocate_buffer_copy, which gives
            # a rank-0 array the shape [1].
            view = ireert.HalBufferView(buffer, array.shape, spec.element_type.hal)
            arg_list.push_ref(view.ref)
        result_list = ireert.VmVariantList(len(output_types))
        with model._lock:
            try:
                model._context.invoke(self._function, arg_list, result_list)
            except (RuntimeError, ValueError) as e:
                raise ExecutionError(f"{self.signature.name} failed on {model.device}: {e}") from None
        return [
            _to_host(device, result_list.get_as_object(i, ireert.HalBufferView), dtype)
            for i, dtype in enumerate(output_types)
        ]

    def __repr__(self) -> str:
        return f"<webtensor entry point {self.signature}>"


def _as_input_array(value: Any, spec) -> np.ndarray:
    """A C-contiguous numpy array for `value`, checked against `spec`."""
    if not hasattr(value, "dtype"):
        # Python scalars and lists have no dtype of their own: take the signature's.
        try:
            value = np.asarray(value, dtype=spec.element_type.dtype)
        except (TypeError, ValueError) as e:
            raise InvalidArgument(f"argument {spec.name}: cannot convert to {spec.dtype}: {e}") from None
    shape, dtype_name = describe_value(value)
    spec.check(shape, dtype_name)
    # np.asarray, not np.ascontiguousarray: the latter makes scalars rank 1.
    return np.asarray(value, order="C")


def _to_host(device, view: ireert.HalBufferView, dtype: np.dtype) -> np.ndarray:
    """A caller-owned copy of a device buffer."""
    shape = tuple(view.shape)
    buffer = view.get_buffer()
    mappable = (
        buffer.memory_type() & int(ireert.MemoryType.HOST_VISIBLE)
        and buffer.allowed_usage() & int(ireert.BufferUsage.MAPPING_SCOPED)
    )
    if mappable:
        mapped = view.map()
        return np.array(mapped.asarray(shape, dtype), copy=True)
    return _download(device, buffer, shape, dtype)


def _download(device, source, shape, dtype) -> np.ndarray:
    allocator = device.allocator
    staging = allocator.allocate_buffer(
        memory_type=int(ireert.MemoryType.HOST_LOCAL | ireert.MemoryType.DEVICE_VISIBLE),
        allowed_usage=int(ireert.BufferUsage.TRANSFER_TARGET | ireert.BufferUsage.MAPPING_SCOPED),
        allocation_size=source.byte_length(),
    )
    semaphore = device.create_semaphore(0)
    device.queue_copy(
        source,
        staging,
        wait_semaphores=ireert.HalFence.create_at(semaphore, 0),
        signal_semaphores=ireert.HalFence.create_at(semaphore, 1),
    )
    ireert.HalFence.create_at(semaphore, 1).wait()
    return np.array(staging.map().asarray(shape, dtype), copy=True)


def load(source: str | os.PathLike | bytes, device: str | None = None, fuel: int = DEFAULT_FUEL) -> Model:
    """Loads an artifact from a path or from bytes onto a device.

    `fuel` is the default iteration budget of each call (see Model)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        artifact = Artifact.from_bytes(bytes(source))
    else:
        artifact = Artifact.from_path(source)
    return Model(artifact, device, fuel)
