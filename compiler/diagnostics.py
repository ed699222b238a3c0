"""Diagnostics and the errors a compile raises.

Every problem the user sees is a `Diagnostic` with a source location, printed
as `file:line:col: error: message` so that both people and FileCheck can read
it. MLIR locations are nested (JAX emits `name(callsite(frame at frame))`);
`source_location` picks the innermost file position, which is the user's own
line of code.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

from iree.compiler import ir


@dataclasses.dataclass(frozen=True)
class SourceLocation:
    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclasses.dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error", "warning", "note" or "remark"
    message: str
    location: SourceLocation | None = None
    notes: tuple["Diagnostic", ...] = ()

    def format(self, source_name: str | None = None) -> str:
        """One line per diagnostic and note, `file:line:col: severity: message`."""
        lines = [self._format_one(source_name)]
        lines.extend(note._format_one(source_name) for note in self.notes)
        return "\n".join(lines)

    def _format_one(self, source_name: str | None) -> str:
        where = self._where(source_name)
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.severity}: {self.message}"

    def _where(self, source_name: str | None) -> str:
        if self.location is None:
            return source_name or ""
        file = self.location.file
        # Text parsed from memory is named "-" by MLIR; name the real input.
        if file == "-" and source_name:
            file = source_name
        return f"{file}:{self.location.line}:{self.location.col}"

    def __str__(self) -> str:
        return self.format()


_SEVERITY_NAMES = {
    ir.DiagnosticSeverity.ERROR: "error",
    ir.DiagnosticSeverity.WARNING: "warning",
    ir.DiagnosticSeverity.NOTE: "note",
    ir.DiagnosticSeverity.REMARK: "remark",
}


_LOCATION_KINDS = (ir.FileLineColLoc, ir.NameLoc, ir.CallSiteLoc, ir.FusedLoc)


def _downcast(loc: ir.Location) -> ir.Location:
    # Diagnostics hand out plain `Location`s; the subclass constructors cast.
    if type(loc) is not ir.Location:
        return loc
    for kind in _LOCATION_KINDS:
        try:
            return kind(loc)
        except (ValueError, TypeError):
            continue
    return loc


def source_location(loc: ir.Location) -> SourceLocation | None:
    """The most specific file:line:col inside an MLIR location, if any."""
    loc = _downcast(loc)
    if isinstance(loc, ir.FileLineColLoc):
        return SourceLocation(loc.filename, loc.start_line, loc.start_col)
    if isinstance(loc, ir.NameLoc):
        return source_location(loc.child_loc)
    if isinstance(loc, ir.CallSiteLoc):
        return source_location(loc.callee) or source_location(loc.caller)
    if isinstance(loc, ir.FusedLoc):
        for inner in loc.locations:
            found = source_location(inner)
            if found:
                return found
    return None


def from_mlir(diag) -> Diagnostic:
    """Converts an MLIR Diagnostic or DiagnosticInfo (from MLIRError)."""
    return Diagnostic(
        severity=_SEVERITY_NAMES.get(diag.severity, "error"),
        message=str(diag.message),
        location=source_location(diag.location),
        notes=tuple(from_mlir(note) for note in diag.notes),
    )


class CompileError(Exception):
    """A module could not be compiled. Carries every diagnostic, not just the first.

    Attributes:
      summary: one line that says what failed.
      diagnostics: the located problems, in the order they were found.
      source_name: how to name the input in locations that have no file.
      reproducer: where the failing input was saved, if it was.
      command: the one command that reproduces the failure, if known.
    """

    def __init__(
        self,
        summary: str,
        diagnostics: Iterable[Diagnostic] = (),
        *,
        source_name: str | None = None,
        reproducer: str | None = None,
        command: str | None = None,
    ):
        self.summary = summary
        self.diagnostics = tuple(diagnostics)
        self.source_name = source_name
        self.reproducer = reproducer
        self.command = command
        super().__init__(self.render())

    def render(self) -> str:
        lines = [d.format(self.source_name) for d in self.diagnostics]
        if not lines:
            lines = [self.summary]
        elif self.summary:
            lines.append(f"error: {self.summary}")
        if self.reproducer:
            lines.append(f"note: the failing input was saved to {self.reproducer}")
        if self.command:
            lines.append(f"note: reproduce with: {self.command}")
        return "\n".join(lines)

    def with_reproducer(self, reproducer: str, command: str) -> "CompileError":
        return CompileError(
            self.summary,
            self.diagnostics,
            source_name=self.source_name,
            reproducer=reproducer,
            command=command,
        )


def errors_from_mlir(exc: ir.MLIRError) -> list[Diagnostic]:
    return [from_mlir(d) for d in exc.error_diagnostics]
