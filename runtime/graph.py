"""The wasi-nn-shaped layer: load a graph, make an execution context, compute.

    graph = webtensor.load_graph("model.vmfb")
    ctx = graph.init_execution_context()
    ctx.set_input("x", x)                      # by name or by index
    outputs = ctx.compute()                    # {"result0": array, ...}
    y = ctx.get_output(0)

Inputs and outputs are the signature's flat tensors, named as
`model.signature` names them, whatever nesting the model was compiled with.
`set_input` checks the value against the signature at once and copies it
(to the device, or to the host for a model whose calls run in a child
process), so changing the array afterwards changes nothing. A context is
for one thread at a time; make one per thread (they share the graph's model).

This is an adapter over runtime/model.py, nothing more: `load_graph` is
`load` (the same arguments, checks and errors) with its Model wrapped in a
Graph, and a context checks, copies and calls through the entry point's
public methods (`snapshot`, `call_flat`), as `model(...)` does.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from .errors import InvalidArgument, NotFound
from .entry_point import EntryPoint
from .model import Model, load
from .signature import TensorSpec
from .tensor import DeviceTensor


class Graph:
    """A loaded artifact (wasi-nn's `graph`)."""

    def __init__(self, model: Model):
        self.model = model

    @property
    def device(self) -> str:
        return self.model.device

    @property
    def functions(self) -> list[str]:
        return self.model.functions

    def init_execution_context(self, function: str | None = None) -> "ExecutionContext":
        """A context for one function: `main`, or the only function there is,
        unless named."""
        entry = self.model.default if function is None else self.model[function]
        return ExecutionContext(entry)

    def __repr__(self) -> str:
        return f"<webtensor.Graph on {self.device}: {', '.join(self.functions)}>"


class ExecutionContext:
    """Inputs bound to one function of a graph, and the outputs of its last compute."""

    def __init__(self, entry: EntryPoint):
        self._entry = entry
        self.inputs: tuple[TensorSpec, ...] = entry.signature.inputs
        self.outputs: tuple[TensorSpec, ...] = entry.signature.outputs
        self._bound: list[np.ndarray | DeviceTensor | None] = [None] * len(self.inputs)
        self._results: list[np.ndarray] | None = None

    @property
    def function(self) -> str:
        return self._entry.signature.name

    def set_input(self, key: str | int, value: Any) -> None:
        """Binds an input (a name or an index) to an array or a DeviceTensor."""
        index = self._index(key, self.inputs, "input")
        self._bound[index] = self._entry.snapshot(index, value)

    def compute(self, inputs: dict[str | int, Any] | None = None, *, fuel: int | None = None, deadline: float | None = None) -> dict[str, np.ndarray]:
        """Runs the function on the bound inputs (after binding `inputs`, if
        given) and returns its outputs by name."""
        if inputs is not None:
            if not isinstance(inputs, dict):
                raise InvalidArgument(f"{self.function}: inputs must be a dict of name to array, got {type(inputs).__name__}")
            for key in inputs:
                self._index(key, self.inputs, "input")
            for key, value in inputs.items():
                self.set_input(key, value)
        missing = [spec.name for spec, bound in zip(self.inputs, self._bound) if bound is None]
        if missing:
            raise InvalidArgument(f"{self.function}: no value for input(s) {', '.join(missing)}; set them with set_input or compute({{name: array}})")
        self._results = None
        self._results = self._entry.call_flat(self._bound, fuel=fuel, deadline=deadline)
        return {spec.name: result for spec, result in zip(self.outputs, self._results)}

    def get_output(self, key: str | int) -> np.ndarray:
        """A copy of one output (a name or an index) of the last compute."""
        index = self._index(key, self.outputs, "output")
        if self._results is None:
            raise NotFound(f"{self.function}: no outputs yet; call compute() first")
        return self._results[index].copy()

    def _index(self, key: str | int, specs: tuple[TensorSpec, ...], kind: str) -> int:
        if isinstance(key, str):
            for i, spec in enumerate(specs):
                if spec.name == key:
                    return i
            names = ", ".join(spec.name for spec in specs) or "none"
            raise InvalidArgument(f"{self.function} has no {kind} named {key!r}; {kind}s: {names}")
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            if 0 <= key < len(specs):
                return int(key)
            raise InvalidArgument(f"{self.function} has {len(specs)} {kind}s; index {key} is out of range")
        raise InvalidArgument(f"{self.function}: name an {kind} by a string or an index, not a {type(key).__name__}")

    def __repr__(self) -> str:
        return f"<webtensor.ExecutionContext {self._entry.signature}>"


def load_graph(source, /, *args, **options) -> Graph:
    """`webtensor.runtime.load`, with the Model it loads wrapped in a Graph:
    the same arguments (device, fuel, power_preference, deadline, weights,
    process), checks and errors."""
    return Graph(load(source, *args, **options))


# help() and editors show load's parameters, which load_graph passes on.
load_graph.__signature__ = inspect.signature(load).replace(return_annotation="Graph")
