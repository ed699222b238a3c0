"""The front gate: checks that need no MLIR, run before any parser sees the input.

MLIR's parser recurses once per nesting level (about 4,000 nested regions
overflow its 8 MiB stack) and IREE's C++ was not written for hostile input.
So plain Python looks first: the input's size, that text is text (UTF-8, no
NUL bytes, not empty), that bytecode starts with a well-formed header, and
how deep the text's brackets nest. Nothing here parses MLIR.

The host process runs the envelope checks (`check_envelope`), a few C-speed
passes over the input, before it starts a worker. The worker runs them all
(`check`), the nesting scan too: regex passes and numpy, measured at 16 ms
per MB of IR and 40 ms per MB of nothing but comments, which for a 1 GiB
input is worth a process with a wall limit.
"""

from __future__ import annotations

import re

import numpy as np

from .diagnostics import CompileError, Diagnostic, SourceLocation
from .frontends import ImportedModule
from .frontends.bytecode import read_bytecode_header
from .options import InputLimits, how_to_raise

PARSER_INPUT_NAME = "-"  # how MLIR names text parsed from memory


def check(imported: ImportedModule, limits: InputLimits = InputLimits()) -> None:
    """Every check: in the worker, and in-process for trusted input."""
    check_envelope(imported, limits)
    if isinstance(imported.payload, str):
        _check_depth(imported.payload.encode("utf-8"), imported.source_name, limits.max_depth)


def check_envelope(imported: ImportedModule, limits: InputLimits = InputLimits()) -> None:
    """The checks that take time linear in the input at C speed, whatever it
    holds: size, encoding, NUL bytes, emptiness, the bytecode header. The
    host process runs these before it starts a worker."""
    name = imported.source_name
    if isinstance(imported.payload, bytes):
        _check_size(len(imported.payload), name, limits)
        read_bytecode_header(imported.payload, name)
        return
    # The parser reads UTF-8 bytes; a str from Python may hold lone surrogates.
    try:
        data = imported.payload.encode("utf-8")
    except UnicodeEncodeError as e:
        raise CompileError(f"{name}: MLIR text is not valid Unicode (a lone surrogate at character {e.start})") from None
    _check_size(len(data), name, limits)
    if not data.strip():
        raise CompileError(f"{name}: the input is empty")
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        column = nul - data.rfind(b"\n", 0, nul)
        _reject(name, line, column, "MLIR text contains a NUL byte; MLIR text is UTF-8 without NULs")


def _check_size(size: int, name: str, limits: InputLimits) -> None:
    if size == 0:
        raise CompileError(f"{name}: the input is empty")
    if size > limits.max_bytes:
        raise CompileError(
            f"{name}: the input is {size} bytes, over the limit of {limits.max_bytes}; "
            f"if the model is legitimate, {how_to_raise('input_limits.max_bytes')}"
        )


def _check_depth(data: bytes, name: str, max_depth: int) -> None:
    where = find_too_deep(data, max_depth)
    if where is None:
        return
    message = (
        f"nesting is deeper than the limit of {max_depth} levels of (), [], {{}} and <>; "
        f"if the model is legitimate, {how_to_raise('input_limits.max_depth')}"
    )
    _reject(name, *where, message)


def _reject(name: str, line: int, column: int, message: str) -> None:
    location = SourceLocation(PARSER_INPUT_NAME, line, column)
    raise CompileError(f"{name}: rejected before parsing", [Diagnostic("error", message, location)], source_name=name)


# --- Nesting depth ------------------------------------------------------------
#
# What is not a bracket goes first: string literals (with escapes) and //
# comments, then the arrow `->` and the `>=` of affine constraints. Every
# newline stays, so lines keep their numbers. Then each family is counted on
# its own, clamped at zero so that a stray closer cannot hide depth: (, [, {
# against ), ], }, and < against >. The depth at a bracket is their sum.

_SKIPPED = re.compile(rb'"[^"\\\n]*(?:\\.[^"\\\n]*)*"?|//[^\n]*')
_GREATER_EQUAL = re.compile(rb">[ \t]*=")
_REMOVED = re.compile(_SKIPPED.pattern + rb"|->|" + _GREATER_EQUAL.pattern)
_OPENERS = (b"(", b"[", b"{", b"<")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"()[]{}<>")))
_IS_BRACKET = np.zeros(256, bool)
_ROUND = np.zeros(256, np.int8)
_ANGLE = np.zeros(256, np.int8)
for _opener, _closer in (b"()", b"[]", b"{}", b"<>"):
    _IS_BRACKET[_opener] = _IS_BRACKET[_closer] = True
    family = _ANGLE if _opener == ord("<") else _ROUND
    family[_opener], family[_closer] = 1, -1
_CHUNK = 1 << 22


def find_too_deep(data: bytes, max_depth: int) -> tuple[int, int] | None:
    """The line and column of the first bracket nested deeper than `max_depth`, or None."""
    # Cheap bound first: the depth is never more than the number of openers.
    if sum(data.count(opener) for opener in _OPENERS) <= max_depth:
        return None
    text = _GREATER_EQUAL.sub(b"", _SKIPPED.sub(b"", data).replace(b"->", b""))
    nth = _first_too_deep(text.translate(None, _NOT_BRACKETS), max_depth)
    if nth is None:
        return None
    offset = _offset_of_bracket(text, nth)
    line = text.count(b"\n", 0, offset) + 1
    column = offset - (text.rfind(b"\n", 0, offset) + 1)
    return line, _column_as_written(_nth_line(data, line), column)


def _first_too_deep(brackets: bytes, max_depth: int) -> int | None:
    """The index of the first bracket (in a string of brackets only) too deep."""
    code = np.frombuffer(brackets, np.uint8)
    round_depth, angle_depth = _ClampedDepth(), _ClampedDepth()
    for start in range(0, len(code), _CHUNK):
        chunk = code[start : start + _CHUNK]
        depth = round_depth.advance(_ROUND[chunk]) + angle_depth.advance(_ANGLE[chunk])
        over = np.flatnonzero(depth > max_depth)
        if over.size:
            return start + int(over[0])
    return None


def _offset_of_bracket(text: bytes, nth: int) -> int:
    """Where in `text` its bracket number `nth` (from 0) is."""
    for start in range(0, len(text), _CHUNK):
        chunk = text[start : start + _CHUNK]
        count = len(chunk.translate(None, _NOT_BRACKETS))
        if nth < count:
            return start + int(np.flatnonzero(_IS_BRACKET[np.frombuffer(chunk, np.uint8)])[nth])
        nth -= count
    raise AssertionError("fewer brackets than counted")


class _ClampedDepth:
    """A running bracket count that never goes below zero, over chunks.

    With S the prefix sum of the steps, the clamped depth is S minus the
    lowest S so far (or minus zero, while S has not gone below zero).
    """

    def __init__(self):
        self.total = 0
        self.lowest = 0

    def advance(self, steps: np.ndarray) -> np.ndarray:
        sums = np.cumsum(steps, dtype=np.int64) + self.total
        lowest = np.minimum(np.minimum.accumulate(sums), self.lowest)
        self.total = int(sums[-1])
        self.lowest = int(lowest[-1])
        return sums - lowest


def _nth_line(data: bytes, line: int) -> bytes:
    start = 0
    for _ in range(line - 1):
        start = data.index(b"\n", start) + 1
    end = data.find(b"\n", start)
    return data[start : len(data) if end < 0 else end]


def _column_as_written(line: bytes, column: int) -> int:
    """The 1-based column in `line` of what is at 0-based `column` once the
    skipped text is removed from it."""
    removed = 0
    for match in _REMOVED.finditer(line):
        if match.start() - removed > column:
            break
        removed += match.end() - match.start()
    return column + removed + 1
