"""One IREE compiler session: an MLIR context with every dialect IREE knows,
and IREE's flags for the chosen target.

Everything from parsing to the VM flatbuffer happens in this one context, so
the module never round-trips through text between phases.
"""

from __future__ import annotations

from typing import Sequence

import iree.compiler.api as iree_api
from iree.compiler import ir

from .diagnostics import CompileError, Diagnostic, errors_from_mlir
from .frontends import ImportedModule
from .frontends.stablehlo_file import deserialize_portable_artifact


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
        """The module in this session's context; a portable artifact is
        deserialized first. Untrusted input reaches this only in the worker."""
        if imported.portable:
            return self._parse(self._deserialize(imported), imported.source_name)
        return self._parse(imported.payload, imported.source_name)

    def parse_trusted(self, payload: str | bytes, source_name: str) -> ir.Module:
        """IR this compiler wrote itself (any dialect IREE knows)."""
        return self._parse(payload, source_name)

    def _parse(self, payload: str | bytes, source_name: str) -> ir.Module:
        try:
            return ir.Module.parse(payload, context=self.context)
        except ir.MLIRError as e:
            raise CompileError(f"{source_name}: failed to parse", errors_from_mlir(e), source_name=source_name) from None
        except RuntimeError as e:
            # The bindings cannot turn a diagnostic that quotes bytes of the
            # input that are not UTF-8 into a Python string.
            if "conversion error" not in str(e):
                raise
            raise CompileError(
                f"{source_name}: failed to parse; the parser's message quotes bytes that are not UTF-8"
            ) from None

    def _deserialize(self, imported: ImportedModule) -> bytes:
        try:
            return deserialize_portable_artifact(imported.payload, imported.source_name)
        except CompileError as e:
            where = self._bytecode_errors(imported.payload)
            raise CompileError(e.summary, where, source_name=imported.source_name) from None

    def _bytecode_errors(self, payload: bytes) -> list[Diagnostic]:
        # jaxlib says only "failed to deserialize module"; IREE's reader
        # parses VHLO bytecode too, and says where it is malformed.
        try:
            ir.Module.parse(payload, context=self.context)
        except ir.MLIRError as e:
            return errors_from_mlir(e)
        return []

    def invocation(self) -> iree_api.Invocation:
        return self._session.invocation()

    def close(self) -> None:
        self._session.close()
