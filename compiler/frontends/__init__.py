"""Frontends turn a user's model into StableHLO that IREE's MLIR context can parse.

Whatever the source (a JAX function, a `.mlir` file, bytecode, a portable
artifact, a package), the result is an `ImportedModule`: StableHLO as text or
bytecode, plus what the frontend declares about each entry point's names,
types, nesting and weights. Frontends never parse MLIR:
`CompilerSession.parse` does, in the compiler worker for untrusted input.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ...runtime.errors import MissingExtra
from ...runtime.signature import TensorSpec
from ...runtime.tree import TreeSpec


@dataclasses.dataclass(frozen=True)
class EntryPointHint:
    """What a frontend declares about a function beyond its MLIR types.

    Attributes:
      input_names, output_names: the call's flat inputs and outputs.
      input_tree, output_tree: how they nest (the call's positional
        arguments, a tuple; the result).
      arg_names: the call's positional argument names.
      input_types, output_types: their declared types, or None to take them
        from the program. The compiler checks the program against them, so
        a package whose manifest lies about a type is refused.
      weights: the tensors the program reads as bound parameters, with their
        types (runtime/weights.py).
      weights_tree: how the weights nest, as arguments (a tuple of one tree
        per weight argument), or None.
      program_args: the name of the input or weight each argument of the
        program's function is, in order. None: the program's arguments are
        the inputs in order, except those whose own names (their `loc`, as
        jax.export writes) are weights'.
    """

    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    input_tree: TreeSpec
    output_tree: TreeSpec
    arg_names: tuple[str, ...] = ()
    input_types: tuple[TensorSpec, ...] | None = None
    output_types: tuple[TensorSpec, ...] | None = None
    weights: tuple[TensorSpec, ...] = ()
    weights_tree: TreeSpec | None = None
    program_args: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        def specs(values):
            return None if values is None else [spec.to_json() for spec in values]

        return {
            "input_names": list(self.input_names),
            "output_names": list(self.output_names),
            "input_tree": self.input_tree.to_json(),
            "output_tree": self.output_tree.to_json(),
            "arg_names": list(self.arg_names),
            "input_types": specs(self.input_types),
            "output_types": specs(self.output_types),
            "weights": specs(self.weights),
            "weights_tree": None if self.weights_tree is None else self.weights_tree.to_json(),
            "program_args": None if self.program_args is None else list(self.program_args),
        }

    @staticmethod
    def from_json(data: Any) -> "EntryPointHint":
        """Raises ValueError on anything malformed (the data may be hostile)."""
        try:
            hint = EntryPointHint(
                input_names=_strings(data["input_names"]),
                output_names=_strings(data["output_names"]),
                input_tree=TreeSpec.from_json(data["input_tree"]),
                output_tree=TreeSpec.from_json(data["output_tree"]),
                arg_names=_strings(data.get("arg_names", [])),
                input_types=_specs(data.get("input_types")),
                output_types=_specs(data.get("output_types")),
                weights=_specs(data.get("weights")) or (),
                weights_tree=None if data.get("weights_tree") is None else TreeSpec.from_json(data["weights_tree"]),
                program_args=None if data.get("program_args") is None else _strings(data["program_args"]),
            )
        except (KeyError, TypeError, AttributeError, IndexError, RecursionError) as e:
            raise ValueError(f"malformed entry point: {type(e).__name__}: {e}") from None
        hint.check()
        return hint

    def check(self) -> None:
        """Raises ValueError unless the parts agree with each other."""
        if self.input_tree.num_leaves != len(self.input_names):
            raise ValueError("its input tree and input names disagree")
        if self.output_tree.num_leaves != len(self.output_names):
            raise ValueError("its output tree and output names disagree")
        for names, types, what in ((self.input_names, self.input_types, "input"), (self.output_names, self.output_types, "output")):
            if types is not None and tuple(t.name for t in types) != names:
                raise ValueError(f"its {what} types and {what} names disagree")
        if self.weights_tree is not None and self.weights_tree.num_leaves != len(self.weights):
            raise ValueError("its weights tree and weights disagree")
        names = list(self.input_names) + [w.name for w in self.weights]
        if len(set(names)) != len(names):
            raise ValueError("two inputs or weights have the same name")
        if self.program_args is not None:
            unknown = [name for name in self.program_args if name not in names]
            if unknown or len(set(self.program_args)) != len(self.program_args):
                raise ValueError(f"its program arguments name unknown or repeated inputs: {unknown}")


def _strings(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TypeError("expected a list of strings")
    return tuple(values)


def _specs(values: Any) -> tuple[TensorSpec, ...] | None:
    if values is None:
        return None
    if not isinstance(values, list):
        raise TypeError("expected a list of tensor types")
    specs = tuple(TensorSpec.from_json(v) for v in values)
    for spec in specs:
        if not all(d is None or (type(d) is int and d >= 0) for d in spec.shape):
            raise ValueError(f"malformed shape for {spec.name}")
    return specs


@dataclasses.dataclass(frozen=True)
class ImportedModule:
    """StableHLO ready to parse.

    Attributes:
      payload: MLIR text (str) or MLIR bytecode (bytes) of StableHLO.
      source_name: names the input in diagnostics ("model.mlir", "jax:f").
      path: the file the input came from, so that locations and the
        reproducer name it.
      hints: per entry point, names, types, nesting and weights from the frontend.
      portable: the payload is a StableHLO portable artifact (VHLO
        bytecode). It is deserialized when it is parsed, so that for
        untrusted input that happens in the compiler worker too.
      named_weights: weights found by name among the arguments of the
        functions without a hint (StableHLO input with a weights file).

    It never holds weight values: they stay with the caller, and only the
    program goes to the compiler worker and into the cache key.
    """

    payload: str | bytes
    source_name: str
    path: str | None = None
    hints: dict[str, EntryPointHint] = dataclasses.field(default_factory=dict)
    portable: bool = False
    named_weights: tuple[TensorSpec, ...] = ()


def require_extra(module: str, extra: str, what: str) -> None:
    """Raises MissingExtra, one line naming what to install, unless `module` imports."""
    import importlib

    try:
        importlib.import_module(module)
    except ImportError as e:
        raise MissingExtra(
            f"compiling {what} needs the '{extra}' extra ({e.name or module} is not installed): "
            f"pip install 'webtensor[{extra}]'"
        ) from None
