"""StableHLO from files and bytes: text, MLIR bytecode, or a portable artifact.

A portable artifact (what `jax.export` calls `mlir_module_serialized`) is VHLO
bytecode. IREE's bundled MLIR has no VHLO-to-StableHLO pass registered, so
jaxlib's StableHLO bindings deserialize it when the module is parsed; the two
MLIR builds share only bytes, never objects.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..diagnostics import CompileError
from . import ImportedModule
from .bytecode import is_bytecode, read_bytecode_header

TEXT_SUFFIXES = (".mlir",)
BYTECODE_SUFFIXES = (".mlirbc",)


def load_path(path: str | os.PathLike) -> ImportedModule:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CompileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CompileError(f"{path}: is a directory, not a StableHLO file") from None
    except OSError as e:
        raise CompileError(f"{path}: cannot read: {e.strerror}") from None
    return load_bytes(data, source_name=str(path), path=str(path))


def load_bytes(data: bytes, source_name: str = "<bytes>", path: str | None = None) -> ImportedModule:
    """Text, bytecode or a portable artifact, told apart by their first bytes.

    Nothing here parses MLIR: a portable artifact is deserialized when it is
    parsed, which for untrusted input happens in the compiler worker.
    """
    if is_bytecode(data):
        header = read_bytecode_header(data, source_name)
        return ImportedModule(data, source_name, path=path, portable=header.portable)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CompileError(
            f"{source_name}: neither MLIR text (not UTF-8 at byte {e.start}) "
            "nor MLIR bytecode (no 'ML\\xefR' header)"
        ) from None
    return load_text(text, source_name, path)


def load_text(text: str, source_name: str = "<text>", path: str | None = None) -> ImportedModule:
    return ImportedModule(text, source_name, path=path)


def deserialize_portable_artifact(data: bytes, source_name: str) -> bytes:
    from jaxlib.mlir.dialects import stablehlo as jax_stablehlo

    try:
        return jax_stablehlo.deserialize_portable_artifact_str(data)
    except Exception as e:  # jaxlib raises plain Exception subclasses of its own
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CompileError(
            f"{source_name}: not a valid StableHLO portable artifact: {message}"
        ) from None


def load_any(source: str | bytes | os.PathLike) -> ImportedModule:
    """Dispatches on what the user passed: a path, MLIR text, or bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return load_bytes(bytes(source))
    if isinstance(source, os.PathLike):
        return load_path(source)
    if isinstance(source, str):
        if "\n" not in source and (os.path.exists(source) or source.endswith(TEXT_SUFFIXES + BYTECODE_SUFFIXES)):
            return load_path(source)
        return load_text(source)
    raise TypeError(
        f"cannot compile a {type(source).__name__}; pass a JAX function, "
        "StableHLO text, bytes or a path"
    )
