"""The typed signature every WebTensor entry point carries in its artifact.

The compiler writes one JSON document per exported function into IREE's
function reflection (key `webtensor.signature`); the runtime reads it back and
checks every call against it before any device work starts.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from . import dtypes
from .errors import InvalidArgument, InvalidEncoding
from .tree import TreeSpec, tuple_of_leaves

# The artifact's reflection keys: each function's signature, and the target
# it was compiled for. The compiler writes them without the runtime's IREE.
REFLECTION_KEY = "webtensor.signature"
TARGET_KEY = "webtensor.target"
# 2: the budget counts work units, and `cost`/`loop_costs` price the call.
FORMAT_VERSION = 2


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """One input or output: a name, a shape (None marks a dynamic dim) and a dtype.

    `bounds` gives, for each dynamic dim, the largest size a call may use.
    """

    name: str
    shape: tuple[int | None, ...]
    dtype: str
    bounds: tuple[int | None, ...] | None = None

    def __post_init__(self):
        dtypes.by_name(self.dtype)  # rejects unknown names early

    @property
    def element_type(self) -> dtypes.ElementType:
        return dtypes.by_name(self.dtype)

    def type_string(self) -> str:
        """numpy-like spelling: `float32[2,?]`."""
        dims = ",".join("?" if d is None else str(d) for d in self.shape)
        return f"{self.dtype}[{dims}]"

    def to_json(self) -> dict:
        data = {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}
        if self.bounds is not None:
            data["bounds"] = list(self.bounds)
        return data

    @staticmethod
    def from_json(data: dict) -> "TensorSpec":
        bounds = data.get("bounds")
        return TensorSpec(
            name=str(data["name"]),
            shape=tuple(data["shape"]),
            dtype=str(data["dtype"]),
            bounds=None if bounds is None else tuple(bounds),
        )

    def check(self, shape: tuple[int, ...], dtype_name: str) -> None:
        """Raises InvalidArgument unless an array of `shape` and `dtype_name` fits."""
        if dtype_name != self.dtype or len(shape) != len(self.shape):
            self._mismatch(shape, dtype_name)
        for i, (want, got) in enumerate(zip(self.shape, shape)):
            if want is not None and want != got:
                self._mismatch(shape, dtype_name)
            if want is None:
                bound = self.bounds[i] if self.bounds else None
                if bound is not None and got > bound:
                    raise InvalidArgument(
                        f"argument {self.name}: dimension {i} is {got}, "
                        f"above its declared bound {bound}"
                    )

    def _mismatch(self, shape: tuple[int, ...], dtype_name: str) -> None:
        got = f"{dtype_name}[{','.join(map(str, shape))}]"
        raise InvalidArgument(
            f"argument {self.name}: expected {self.type_string()}, got {got}"
        )


@dataclasses.dataclass(frozen=True)
class FunctionSignature:
    """An entry point's inputs and outputs, and how they nest.

    `input_tree` is the structure of the positional arguments (a tuple);
    `output_tree` the structure of the result. A StableHLO function has flat
    trees: each argument one array, and one array or a tuple back.
    `fuel` says the compiled function takes a work budget as one more
    (int64 scalar) argument and returns what is left as one more result;
    neither shows in `inputs` or `outputs`. `cost` is the work units of
    everything the function runs outside loops, charged before the call
    starts; `loop_costs` what one iteration of each loop costs, in program
    order (dialects/cost.py is the model).
    `equal_dims` lists groups of dynamic input dimensions, as (input, dim),
    that must be equal in a call; `fixed_dims` groups that must equal a size.
    `weights` are the tensors the function reads as bound parameters rather
    than as arguments (runtime/weights.py), and `weights_tree` the structure
    of the arguments they were compiled from. `unused` lists the inputs the
    program never reads (jax.export drops them): a call still passes them,
    and they are checked, but they never reach the device.
    """

    name: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    input_tree: TreeSpec
    output_tree: TreeSpec
    arg_names: tuple[str, ...] = ()
    fuel: bool = False
    equal_dims: tuple[tuple[tuple[int, int], ...], ...] = ()
    fixed_dims: tuple[tuple[tuple[tuple[int, int], ...], int], ...] = ()
    weights: tuple[TensorSpec, ...] = ()
    weights_tree: TreeSpec | None = None
    unused: tuple[int, ...] = ()
    cost: int = 0
    loop_costs: tuple[int, ...] = ()

    def __post_init__(self):
        if self.input_tree.num_leaves != len(self.inputs):
            raise ValueError("input tree and inputs disagree")
        if self.output_tree.num_leaves != len(self.outputs):
            raise ValueError("output tree and outputs disagree")
        if self.weights_tree is not None and self.weights_tree.num_leaves != len(self.weights):
            raise ValueError("weights tree and weights disagree")
        if any(not 0 <= i < len(self.inputs) for i in self.unused):
            raise ValueError("an unused input that is not an input")

    @staticmethod
    def flat(name: str, inputs, outputs) -> "FunctionSignature":
        inputs, outputs = tuple(inputs), tuple(outputs)
        output_tree = (
            TreeSpec("leaf") if len(outputs) == 1 else tuple_of_leaves(len(outputs))
        )
        return FunctionSignature(
            name, inputs, outputs, tuple_of_leaves(len(inputs)), output_tree
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": FORMAT_VERSION,
                "name": self.name,
                "inputs": [t.to_json() for t in self.inputs],
                "outputs": [t.to_json() for t in self.outputs],
                "input_tree": self.input_tree.to_json(),
                "output_tree": self.output_tree.to_json(),
                "arg_names": list(self.arg_names),
                "fuel": self.fuel,
                "equal_dims": [[list(m) for m in group] for group in self.equal_dims],
                "fixed_dims": [[[list(m) for m in group], size] for group, size in self.fixed_dims],
                "weights": [t.to_json() for t in self.weights],
                "weights_tree": None if self.weights_tree is None else self.weights_tree.to_json(),
                "unused": list(self.unused),
                "cost": self.cost,
                "loop_costs": list(self.loop_costs),
            },
            separators=(",", ":"),
        )

    @staticmethod
    def from_json(text: str) -> "FunctionSignature":
        try:
            data = json.loads(text)
            version = data.get("version")
            if version != FORMAT_VERSION:
                if isinstance(version, int) and version < FORMAT_VERSION:
                    raise InvalidEncoding(
                        f"this artifact was compiled by an older WebTensor (signature format {version}; this "
                        f"runtime reads format {FORMAT_VERSION}, whose budget counts work, not loop "
                        "iterations): compile it again"
                    )
                raise ValueError(f"signature format {version} is not {FORMAT_VERSION}")
            return FunctionSignature(
                name=str(data["name"]),
                inputs=tuple(TensorSpec.from_json(t) for t in data["inputs"]),
                outputs=tuple(TensorSpec.from_json(t) for t in data["outputs"]),
                input_tree=TreeSpec.from_json(data["input_tree"]),
                output_tree=TreeSpec.from_json(data["output_tree"]),
                arg_names=tuple(data.get("arg_names", ())),
                fuel=bool(data.get("fuel", False)),
                equal_dims=tuple(tuple((int(i), int(d)) for i, d in g) for g in data.get("equal_dims", ())),
                fixed_dims=tuple(
                    (tuple((int(i), int(d)) for i, d in g), int(size)) for g, size in data.get("fixed_dims", ())
                ),
                weights=tuple(TensorSpec.from_json(t) for t in data.get("weights", ())),
                weights_tree=None if data.get("weights_tree") is None else TreeSpec.from_json(data["weights_tree"]),
                unused=tuple(int(i) for i in data.get("unused", ())),
                cost=int(data["cost"]),
                loop_costs=tuple(int(c) for c in data["loop_costs"]),
            )
        except InvalidEncoding:
            raise
        except (ValueError, KeyError, TypeError) as e:
            raise InvalidEncoding(f"malformed WebTensor signature: {e}") from None

    def check_dims(self, shapes: list[tuple[int, ...]]) -> None:
        """Raises InvalidArgument unless the dynamic dims agree as compiled."""
        for group in self.equal_dims:
            sizes = {shapes[i][d] for i, d in group}
            if len(sizes) > 1:
                where = ", ".join(f"{self.inputs[i].name} dim {d} = {shapes[i][d]}" for i, d in group)
                raise InvalidArgument(f"{self.name}: these dimensions must be equal: {where}")
        for group, size in self.fixed_dims:
            for i, d in group:
                if shapes[i][d] != size:
                    raise InvalidArgument(
                        f"argument {self.inputs[i].name}: dimension {d} is {shapes[i][d]}, but the model needs {size}"
                    )

    def __str__(self) -> str:
        ins = ", ".join(f"{t.name}: {t.type_string()}" for t in self.inputs)
        outs = ", ".join(f"{t.name}: {t.type_string()}" for t in self.outputs)
        return f"{self.name}({ins}) -> ({outs})"


def describe_value(value: Any) -> tuple[tuple[int, ...], str]:
    """Shape and dtype name of an array-like, without copying it."""
    shape = tuple(int(d) for d in getattr(value, "shape", ()))
    dtype = getattr(value, "dtype", None)
    element = dtypes.by_dtype(dtype) if dtype is not None else None
    return shape, element.name if element else str(dtype)
