"""Reading WebTensor artifacts.

An artifact is an IREE VM flatbuffer (`.vmfb`) whose exported functions carry
WebTensor metadata in IREE's function reflection: the typed signature and the
target it was compiled for. The bytes are checked before IREE parses them, and
IREE verifies the flatbuffer itself when it loads the module.
"""

from __future__ import annotations

import dataclasses
import os
import threading

import iree.runtime as ireert

from .errors import InvalidEncoding, NotFound, TooLarge
from .signature import REFLECTION_KEY, TARGET_KEY, FunctionSignature

# A .vmfb is a zip archive holding the flatbuffer; older ones are the bare
# flatbuffer, whose file identifier sits at offset 4.
_ZIP_MAGIC = b"PK\x03\x04"
_FLATBUFFER_ID = b"IREE"

MAX_ARTIFACT_BYTES = 1 << 34  # 16 GiB

_instance_lock = threading.Lock()
_instance: ireert.VmInstance | None = None


def vm_instance() -> ireert.VmInstance:
    """The process's one VM instance (IREE wants one per process)."""
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = ireert.VmInstance()
        return _instance


@dataclasses.dataclass(frozen=True)
class Artifact:
    """A loaded, verified VM module and the WebTensor metadata it carries."""

    data: bytes
    vm_module: ireert.VmModule
    target: str
    signatures: dict[str, FunctionSignature]

    @staticmethod
    def from_bytes(data: bytes) -> "Artifact":
        data = bytes(data)
        _check_header(data)
        try:
            # copy_buffer, not mmap: mmap segfaults on some valid modules (3.13).
            vm_module = ireert.VmModule.copy_buffer(vm_instance(), data)
        except (RuntimeError, ValueError) as e:
            raise InvalidEncoding(f"not a loadable IREE module: {_first_line(e)}") from None
        signatures, targets = _read_metadata(vm_module)
        if not signatures:
            raise InvalidEncoding(
                "not a WebTensor artifact: no function carries a WebTensor "
                "signature (compile it with webtensor-compile)"
            )
        if len(set(targets)) != 1:
            raise InvalidEncoding(f"artifact functions disagree on target: {sorted(set(targets))}")
        return Artifact(data, vm_module, targets[0], signatures)

    @staticmethod
    def from_path(path: str | os.PathLike) -> "Artifact":
        try:
            size = os.path.getsize(path)
            if size > MAX_ARTIFACT_BYTES:
                raise TooLarge(f"{path}: artifact is {size} bytes, above {MAX_ARTIFACT_BYTES}")
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise NotFound(f"{path}: no such file") from None
        except IsADirectoryError:
            raise InvalidEncoding(f"{path}: is a directory, not an artifact") from None
        return Artifact.from_bytes(data)

    def save(self, path: str | os.PathLike) -> None:
        with open(path, "wb") as f:
            f.write(self.data)


def _check_header(data: bytes) -> None:
    if len(data) < 8:
        raise InvalidEncoding(f"not a WebTensor artifact: only {len(data)} bytes")
    if data[:4] != _ZIP_MAGIC and data[4:8] != _FLATBUFFER_ID:
        raise InvalidEncoding(
            "not a WebTensor artifact: expected an IREE .vmfb "
            "(StableHLO sources must be compiled first: webtensor.compile or webtensor-compile)"
        )


def _read_metadata(vm_module: ireert.VmModule):
    signatures: dict[str, FunctionSignature] = {}
    targets: list[str] = []
    for name in vm_module.function_names:
        function = vm_module.lookup_function(name)
        if function is None:
            continue
        reflection = function.reflection
        if REFLECTION_KEY not in reflection:
            continue
        signatures[name] = FunctionSignature.from_json(reflection[REFLECTION_KEY])
        targets.append(reflection.get(TARGET_KEY, "unknown"))
    return signatures, targets


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
