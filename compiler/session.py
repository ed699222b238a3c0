"""One IREE compiler session: an MLIR context with every dialect IREE knows,
and IREE's flags for the chosen target.

Everything from parsing to the VM flatbuffer happens in this one context, so
the module never round-trips through text between phases.
"""

from __future__ import annotations

from typing import Sequence

import iree.compiler.api as iree_api
from iree.compiler import ir

from .diagnostics import CompileError, errors_from_mlir
from .frontends import ImportedModule


class CompilerSession:
    def __init__(self, flags: Sequence[str] = ()):
        self._session = iree_api.Session()
        if flags:
            try:
                self._session.set_flags(*flags)
            except ValueError as e:
                raise CompileError(f"invalid IREE compiler flags: {e}") from None
        self.context: ir.Context = self._session.context
        # The front gate: an op of an unregistered dialect is a parse error,
        # never an opaque op that some later pass might pass through.
        self.context.allow_unregistered_dialects = False

    def parse(self, imported: ImportedModule) -> ir.Module:
        try:
            return ir.Module.parse(imported.payload, context=self.context)
        except ir.MLIRError as e:
            raise CompileError(
                f"{imported.source_name}: failed to parse", errors_from_mlir(e), source_name=imported.source_name
            ) from None

    def invocation(self) -> iree_api.Invocation:
        return self._session.invocation()

    def close(self) -> None:
        self._session.close()
