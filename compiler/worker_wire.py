"""The worker's answer on the wire, and the parent's checks of it.

The worker parsed hostile input and may be compromised, so its answer is in
a format that is safe to parse and is checked field by field:

    b"WTW1" | header length (8 bytes, big-endian) | header | body

The header is a JSON object (ASCII) with "kind" and "body_bytes"; the body
is exactly that many raw bytes: the artifact, or the IR text in UTF-8.

    {"kind": "ok", "format": "bytes" | "text"}
    {"kind": "error", "summary": ..., "diagnostics": [...], "failed_phase": ...}
    {"kind": "memory"}                       a Python allocation failed
    {"kind": "internal", "message": ...}     a bug in WebTensor's own code
"""

from __future__ import annotations

import json
from typing import Any

from .diagnostics import Diagnostic, SourceLocation

FRAME_MAGIC = b"WTW1"
LENGTH_BYTES = 8
MAX_HEADER_BYTES = 16 << 20
SEVERITIES = ("error", "warning", "note", "remark")
# What a C++, LLVM or Python allocation failure says on its way down: the
# worker's last output or exception, read as "the memory limit was hit".
MEMORY_WORDS = (
    "bad_alloc",
    "out of memory",
    "MemoryError",
    "Cannot allocate memory",
    "failed to map segment",
    "pthread_create failed",  # a thread's stack is address space too
    "Resource temporarily unavailable",
    "terminate called recursively",  # several threads failing to allocate at once
)


class MalformedAnswer(ValueError):
    """The worker's answer is not what the format allows."""


def encode_frame(header: dict, body: bytes = b"") -> bytes:
    data = json.dumps({**header, "body_bytes": len(body)}, ensure_ascii=True).encode("ascii")
    return FRAME_MAGIC + len(data).to_bytes(LENGTH_BYTES, "big") + data + body


def decode_frame(data: bytes) -> tuple[dict, bytes]:
    start = len(FRAME_MAGIC) + LENGTH_BYTES
    if len(data) < start or not data.startswith(FRAME_MAGIC):
        raise MalformedAnswer("no answer frame")
    length = int.from_bytes(data[len(FRAME_MAGIC) : start], "big")
    if length > MAX_HEADER_BYTES or start + length > len(data):
        raise MalformedAnswer("bad header length")
    try:
        header = json.loads(data[start : start + length].decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedAnswer("the header is not JSON") from None
    if not isinstance(header, dict):
        raise MalformedAnswer("the header is not an object")
    body = data[start + length :]
    if type(header.get("body_bytes")) is not int or header["body_bytes"] != len(body):
        raise MalformedAnswer("the body's length does not match the header")
    return header, body


def ok_body(header: dict, body: bytes, binary: bool) -> str | bytes:
    """An "ok" answer's result: bytes for an artifact, else IR text."""
    expected = "bytes" if binary else "text"
    if header.get("format") != expected:
        raise MalformedAnswer(f"expected {expected}, got {header.get('format')!r}")
    if binary:
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedAnswer("IR text that is not UTF-8") from None


def diagnostic_to_json(diagnostic: Diagnostic) -> dict:
    location = diagnostic.location
    return {
        "severity": diagnostic.severity,
        "message": diagnostic.message,
        "location": None if location is None else {"file": location.file, "line": location.line, "col": location.col},
        "notes": [diagnostic_to_json(note) for note in diagnostic.notes],
    }


def diagnostics_from_json(data: Any) -> list[Diagnostic]:
    if not isinstance(data, list):
        raise MalformedAnswer("diagnostics that are not a list")
    return [_diagnostic_from_json(item, is_note=False) for item in data]


def _diagnostic_from_json(data: Any, is_note: bool) -> Diagnostic:
    if not isinstance(data, dict) or data.get("severity") not in SEVERITIES:
        raise MalformedAnswer("a diagnostic without a valid severity")
    notes = data.get("notes")
    # MLIR's notes have no notes of their own.
    if not isinstance(notes, list) or (notes and is_note):
        raise MalformedAnswer("a diagnostic's notes")
    return Diagnostic(
        severity=data["severity"],
        message=string(data.get("message")),
        location=_location_from_json(data.get("location")),
        notes=tuple(_diagnostic_from_json(note, is_note=True) for note in notes),
    )


def _location_from_json(data: Any) -> SourceLocation | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise MalformedAnswer("a location that is not an object")
    line, col = data.get("line"), data.get("col")
    for number in (line, col):
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < 1 << 32:
            raise MalformedAnswer("a location's line or column")
    return SourceLocation(string(data.get("file")), line, col)


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise MalformedAnswer("a text field that is not a string")
    # JSON can carry lone surrogates, which no stream can print.
    return value.encode("utf-8", "replace").decode("utf-8")
