"""MLIR bytecode as bytes: its magic number, its header, and whether it is a
StableHLO portable artifact. Nothing here parses MLIR.

The frontends read these to tell text from bytecode and a portable artifact
from plain bytecode; the front gate (compiler/gate.py) reads the header again
to reject a malformed one before any parser sees it.
"""

from __future__ import annotations

import dataclasses

from ..diagnostics import CompileError

BYTECODE_MAGIC = b"ML\xefR"
# Bytecode versions are small integers (MLIR 24 writes 6); the reader itself
# rejects a version it does not know, the header check only rejects nonsense.
MAX_BYTECODE_VERSION = 255
MAX_PRODUCER_LENGTH = 255
# jaxlib's serializer names itself so in the header of a portable artifact
# (VHLO bytecode), followed by the StableHLO version: StableHLO_v1.15.0.
PORTABLE_PRODUCER_PREFIX = "StableHLO_v"


@dataclasses.dataclass(frozen=True)
class BytecodeHeader:
    version: int
    producer: str

    @property
    def portable(self) -> bool:
        """Whether the bytes are a StableHLO portable artifact."""
        return self.producer.startswith(PORTABLE_PRODUCER_PREFIX)

    @property
    def stablehlo_version(self) -> str | None:
        """The StableHLO version a portable artifact was written for; None for other bytecode."""
        return self.producer.removeprefix(PORTABLE_PRODUCER_PREFIX) if self.portable else None


def is_bytecode(data: bytes) -> bool:
    return data.startswith(BYTECODE_MAGIC)


def read_bytecode_header(data: bytes, source_name: str) -> BytecodeHeader:
    """Magic, a prefix-varint version, then a NUL-terminated producer string."""
    if not is_bytecode(data):
        raise CompileError(f"{source_name}: not MLIR bytecode (no 'ML\\xefR' header)")
    version, pos = _read_prefix_varint(data, len(BYTECODE_MAGIC), source_name)
    if version > MAX_BYTECODE_VERSION:
        raise CompileError(f"{source_name}: malformed MLIR bytecode: version {version} is not a bytecode version")
    end = data.find(b"\0", pos, pos + MAX_PRODUCER_LENGTH + 1)
    if end < 0 and len(data) <= pos + MAX_PRODUCER_LENGTH:
        raise CompileError(f"{source_name}: truncated MLIR bytecode: the header ends inside the producer string")
    if end < 0:
        raise CompileError(
            f"{source_name}: malformed MLIR bytecode: the producer string is not NUL-terminated "
            f"within {MAX_PRODUCER_LENGTH} bytes"
        )
    producer = data[pos:end]
    if not all(0x20 <= byte < 0x7F for byte in producer):
        raise CompileError(f"{source_name}: malformed MLIR bytecode: the producer string is not printable ASCII")
    return BytecodeHeader(version, producer.decode("ascii"))


def _read_prefix_varint(data: bytes, pos: int, source_name: str) -> tuple[int, int]:
    """MLIR's PrefixVarInt: the first byte's trailing zeros count the extra bytes."""
    if pos >= len(data):
        raise CompileError(f"{source_name}: truncated MLIR bytecode: nothing after the 'ML\\xefR' header")
    first = data[pos]
    extra = (first & -first).bit_length() - 1 if first else 8
    end = pos + 1 + extra
    if end > len(data):
        raise CompileError(f"{source_name}: truncated MLIR bytecode: the header ends inside the version number")
    if first == 0:  # a zero marker byte, then eight bytes of value
        return int.from_bytes(data[pos + 1 : end], "little"), end
    return int.from_bytes(data[pos:end], "little") >> (extra + 1), end
