"""A loaded model: call its entry points with numpy arrays, get numpy arrays back.

A Model is the artifact on one device, its weights and its entry points;
runtime/entry_point.py makes the calls (how inputs and results are copied,
concurrency, deadlines), in this process or, for a model loaded with
`process=True` or a default deadline, in a child process
(runtime/call_process.py).

Weights. A model compiled with bound weights (runtime/weights.py) reads
them as IREE parameters: they are bound at load (`load(..., weights=)`, or
the arrays given to `webtensor.compile`), packed once when the model's
context is made, and swapped with `model.load_weights(...)` without a
recompile. Such a model keeps one context, so that its weights are packed
and held once.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
from typing import Any

import numpy as np

from . import call_process, devices, dtypes
from .artifact import Artifact
from .deadline import check_deadline
from .entry_point import Engine, EntryPoint
from .errors import InvalidArgument, InvalidEncoding, NotFound, UnsupportedOperation
from .limits import DEFAULT_FUEL, DeviceLimits, check_fuel
from .package import is_package
from .parameters import BoundWeights, Weights
from .signature import FunctionSignature, TensorSpec
from .tensor import DeviceTensor
from .weights import bind

__all__ = ["Model", "load"]


class Model:
    """An artifact loaded on one device.

    Call the default entry point with `model(...)`, any entry point with
    `model.NAME(...)` or `model["NAME"](...)`. Arguments have the structure of
    the example arguments the model was compiled with. Every call takes
    `fuel=` (its work budget), `deadline=` (seconds of wall-clock
    time, see runtime/entry_point.py) and `keep_on_device=` (return DeviceTensors).
    """

    def __init__(
        self,
        artifact: Artifact,
        device: str | None = None,
        fuel: int = DEFAULT_FUEL,
        *,
        power_preference: str = "default",
        deadline: float | None = None,
        weights: Any = None,
        process: Any = None,
    ):
        self.artifact = artifact
        fuel, deadline = check_fuel(fuel), check_deadline(deadline)
        self.power_preference = devices.check_power_preference(power_preference)
        device = device if device is not None else devices.choose(artifact.target, power_preference)
        devices.check_name(device)
        devices.check_target(device, artifact.target)
        self.weights: Weights = model_weights(artifact.signatures)
        self._engine = Engine(artifact.vm_module, device, fuel, deadline, self.weights)
        self._bound: BoundWeights | None = None
        # How calls run in child processes (runtime/call_process.py), or None.
        self.process = None
        if _wants_process(process, deadline):
            self.process = call_process.ProcessOptions.parse(True if process is None else process)
            self._bound, self._engine.runner = call_process.start(self, self.process, weights)
        elif weights is not None:
            self.load_weights(weights)
        elif not self.weights:
            self._engine.open(None)
        entry_point = EntryPoint if self.process is None else call_process.ProcessEntryPoint
        self._entry_points = {
            name: entry_point(self._engine, signature)
            for name, signature in artifact.signatures.items()
        }
        only = list(self._entry_points.values()) if len(self._entry_points) == 1 else [None]
        self._default: EntryPoint | None = self._entry_points.get("main", only[0])

    @property
    def device(self) -> str:
        return self._engine.device

    @property
    def fuel(self) -> int:
        """The work budget of a call that does not pass `fuel=`."""
        return self._engine.fuel

    @fuel.setter
    def fuel(self, fuel: int) -> None:
        self._engine.fuel = check_fuel(fuel)

    @property
    def deadline(self) -> float | None:
        """The deadline, in seconds, of a call that does not pass `deadline=`."""
        return self._engine.deadline

    @deadline.setter
    def deadline(self, deadline: float | None) -> None:
        self._engine.deadline = check_deadline(deadline)

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

    @property
    def limits(self) -> DeviceLimits:
        """What a call of this model may ask of its device."""
        return dataclasses.replace(self._engine.limits, default_fuel=self.fuel)

    def process_ids(self) -> list[int]:
        """The ids of this model's live child processes, the spare included
        (`process=True`); [] when calls run in this process."""
        runner = self._engine.runner
        return runner.pids() if runner is not None else []

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

    def __call__(self, *args, fuel: int | None = None, deadline: float | None = None, keep_on_device: bool = False):
        return self.default(*args, fuel=fuel, deadline=deadline, keep_on_device=keep_on_device)

    def call_async(self, *args, **options) -> concurrent.futures.Future:
        """`model(...)` on a worker thread; see EntryPoint.call_async."""
        return self.default.call_async(*args, **options)

    async def acall(self, *args, **options):
        """`await model.acall(...)`: `model(...)` without blocking the event loop."""
        return await self.default.acall(*args, **options)

    @property
    def default(self) -> "EntryPoint":
        """`main`, or the only function there is."""
        if self._default is not None:
            return self._default
        raise NotFound(
            "this model has several functions and none is named 'main'; call one "
            f"by name: {', '.join(self._entry_points)}"
        )

    def save(self, path: str | os.PathLike) -> None:
        self.artifact.save(path)

    def load_weights(self, source: Any) -> None:
        """Binds the model's weights: a path (safetensors, .irpa or a .wtpkg
        package), a mapping of weight name to array, or the pytree of the
        weight arguments as the model was compiled with. Every name, shape
        and dtype is checked first; then the model's context is made anew,
        which packs them once. Calls already running finish with the old
        weights; later calls see the new ones."""
        if not self.weights:
            raise InvalidArgument("this model has no weights to bind: it was compiled without weights_argnums")
        if self.process is not None:
            self._bound = call_process.load_weights(self._engine.runner, self.weights, source)
            return
        bound = bind(self.weights, source)
        self._engine.open(bound)  # packs the weights
        bound.release_pages()
        self._bound = bound

    @property
    def weights_source(self) -> str | None:
        """Where the bound weights came from ("arrays", "safetensors PATH", ...), or None."""
        return None if self._bound is None else self._bound.source

    def close(self) -> None:
        """Ends the model's child processes, if its calls run in them (they
        also end when the model is garbage-collected, or at exit)."""
        if self._engine.runner is not None:
            self._engine.runner.close()

    def to_device(self, value: Any) -> DeviceTensor:
        """A copy of an array in this model's device memory, to pass to calls
        of this model or any other on the same device (like jax.device_put)."""
        array = np.asarray(value, order="C")
        element_type = dtypes.by_dtype(array.dtype)
        if element_type is None:
            raise InvalidArgument(f"cannot put an array of dtype {array.dtype} on a device")
        return self._engine.to_device(array, element_type.hal)

    def __repr__(self) -> str:
        weights = ""
        if self.weights:
            weights = f", {len(self.weights)} weights from {self.weights_source or 'nowhere yet'}"
        return f"<webtensor.Model on {self.device}: {', '.join(self._entry_points)}{weights}>"


def _wants_process(process: Any, deadline: float | None) -> bool:
    """`process=True` (or a ProcessOptions) runs calls in a child process,
    False never; None does when the model has a default deadline (on Linux)."""
    if process is None:
        return deadline is not None and hasattr(os, "memfd_create")  # Linux
    return process is not False


def model_weights(signatures: dict[str, FunctionSignature]) -> Weights:
    """The weights of every entry point together; they share one set of names."""
    specs: dict[str, TensorSpec] = {}
    tree = None
    for signature in signatures.values():
        for spec in signature.weights:
            if specs.setdefault(spec.name, spec) != spec:
                raise InvalidEncoding(f"entry points disagree on weight {spec.name}")
        tree = tree or signature.weights_tree
    return Weights(tuple(specs.values()), tree)


def load(
    source: str | os.PathLike | bytes,
    device: str | None = None,
    fuel: int = DEFAULT_FUEL,
    *,
    power_preference: str = "default",
    deadline: float | None = None,
    weights: Any = None,
    process: Any = None,
) -> Model:
    """Loads an artifact from a path or from bytes onto a device.

    `device` names one (see `webtensor.devices()`); without it,
    `power_preference` ("default", "low-power" or "high-performance") picks
    one that runs the artifact's target (runtime/devices.py states the rule).
    `fuel` and `deadline` (seconds) are the defaults of each call. `weights`
    binds a model's weights (see Model.load_weights). `process=True` (or a
    `ProcessOptions`) runs the calls in a child process that a deadline
    kills, so that the work stops (runtime/call_process.py); the default,
    None, does so when `deadline` is given; False never does."""
    check_fuel(fuel)
    check_deadline(deadline)
    devices.check_power_preference(power_preference)
    if is_package(source):
        raise UnsupportedOperation(
            "a package is compiled for this host before it runs: load it with webtensor.load, "
            "which needs WebTensor's compiler"
        )
    if isinstance(source, (bytes, bytearray, memoryview)):
        artifact = Artifact.from_bytes(bytes(source))
    else:
        artifact = Artifact.from_path(source)
    return Model(
        artifact, device, fuel, power_preference=power_preference, deadline=deadline, weights=weights, process=process
    )
