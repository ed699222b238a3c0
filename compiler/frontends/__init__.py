"""Frontends turn a user's model into StableHLO that IREE's MLIR context can parse.

Whatever the source (a JAX function, a `.mlir` file, bytecode, a portable
artifact), the result is an `ImportedModule`: StableHLO as text or bytecode,
plus what the frontend knows about each entry point's names and nesting.
Frontends never parse MLIR: `CompilerSession.parse` does, in the compiler
worker for untrusted input.
"""

from __future__ import annotations

import dataclasses

from ...runtime.tree import TreeSpec


@dataclasses.dataclass(frozen=True)
class EntryPointHint:
    """What a frontend knows about a function beyond its MLIR types."""

    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    input_tree: TreeSpec
    output_tree: TreeSpec
    arg_names: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class ImportedModule:
    """StableHLO ready to parse.

    Attributes:
      payload: MLIR text (str) or MLIR bytecode (bytes) of StableHLO.
      source_name: names the input in diagnostics ("model.mlir", "jax:f").
      path: the file the input came from, so that locations and the
        reproducer name it.
      hints: per entry point, names and nesting from the frontend.
      portable: the payload is a StableHLO portable artifact (VHLO
        bytecode). It is deserialized when it is parsed, so that for
        untrusted input that happens in the compiler worker too.
    """

    payload: str | bytes
    source_name: str
    path: str | None = None
    hints: dict[str, EntryPointHint] = dataclasses.field(default_factory=dict)
    portable: bool = False
