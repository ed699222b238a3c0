"""Diagnostics and the errors a compile raises.

Every problem the user sees is a `Diagnostic` with a source location, printed
as `file:line:col: error: message` so that both people and FileCheck can read
it. MLIR locations are nested (JAX emits `name(callsite(frame at frame))`);
`source_location` picks the innermost file position, which is the user's own
line of code.
"""

from __future__ import annotations

import dataclasses
import os
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


def _downcast(loc: ir.Location, bindings=ir) -> ir.Location:
    # Diagnostics hand out plain `Location`s; the subclass constructors cast.
    if type(loc) is not bindings.Location:
        return loc
    for kind in (bindings.FileLineColLoc, bindings.NameLoc, bindings.CallSiteLoc, bindings.FusedLoc):
        try:
            return kind(loc)
        except (ValueError, TypeError):
            continue
    return loc


# JAX records the Python stack that ran jax.export, and that stack passes
# through our frontend; a position in this package's compiler is never the
# user's line.
_OUR_SOURCE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def source_location(loc: ir.Location, bindings=ir) -> SourceLocation | None:
    """The most specific file:line:col inside an MLIR location, if any, that
    is not in WebTensor's own compiler. `bindings`: the `ir` module of the
    MLIR build the location comes from (jaxlib's, for JAX's own modules)."""
    loc = _downcast(loc, bindings)
    if isinstance(loc, bindings.FileLineColLoc):
        if loc.filename.startswith(_OUR_SOURCE):
            return None
        return SourceLocation(loc.filename, loc.start_line, loc.start_col)
    if isinstance(loc, bindings.NameLoc):
        return source_location(loc.child_loc, bindings)
    if isinstance(loc, bindings.CallSiteLoc):
        return source_location(loc.callee, bindings) or source_location(loc.caller, bindings)
    if isinstance(loc, bindings.FusedLoc):
        for inner in loc.locations:
            found = source_location(inner, bindings)
            if found:
                return found
    return None


# At most this many further places are named when ops share a problem.
MAX_PLACES = 8


def summarize(diagnostics: Iterable[Diagnostic], source_name: str | None = None) -> list[str]:
    """The lines a person reads: each distinct problem once, at its first
    location, then a note counting the other ops that have it and where.
    (A limit that eight ops break is one problem, not eight.) The same
    message without a location, beside one with it, adds nothing."""
    groups: dict[tuple[str, str], list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        groups.setdefault((diagnostic.severity, diagnostic.message), []).append(diagnostic)
    lines = []
    for same in groups.values():
        located = [d for d in same if d.location is not None] or same
        first = located[0]
        lines.append(first.format(source_name))
        others = [d.location for d in located[1:] if d.location != first.location]
        others = sorted(set(others), key=lambda l: (l.file, l.line, l.col))
        if others:
            lines.append(_more_places(first, others, source_name))
    return lines


def _more_places(first: Diagnostic, others: list[SourceLocation], source_name: str | None) -> str:
    file = first._where(source_name).rsplit(":", 2)[0]
    one_file = all(l.file == first.location.file for l in others)
    one_per_line = len({l.line for l in others}) == len(others)
    if one_file and one_per_line:
        places = [str(l.line) for l in others]
        noun = "line" if len(places) == 1 else "lines"
    else:
        places = [str(l) for l in others]
        noun = ""
    listed = ", ".join(places[:MAX_PLACES]) + (", ..." if len(places) > MAX_PLACES else "")
    ops = "1 more op has" if len(others) == 1 else f"{len(others)} more ops have"
    at = f"{noun} {listed}".strip()
    return f"{file}: note: {ops} this {first.severity}, at {at}"


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
        lines = summarize(self.diagnostics, self.source_name)
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
