"""WebTensor packages (`.wtpkg`): what a model author ships.

A package is one file: a manifest, the program as a StableHLO portable
artifact, and the weights, each stored once. It holds no native code. The
host that loads it does not trust it: it checks every byte against the
hashes here, then compiles the program itself (legalize, verify, sandbox,
IREE; compiler/frontends/package.py) and binds the weights by mapping them
from this file.

The layout, all integers little-endian:

    offset  size  field
    0       8     magic 89 57 54 50 4B 47 0D 0A ("\\x89WTPKG\\r\\n")
    8       4     format version, u32 (this reader: 1)
    12      4     reserved, zero
    16      8     manifest length M, u64 (at most 16 MiB)
    24      32    SHA-256 of the manifest's bytes
    56      M     the manifest: a JSON object, UTF-8
    ...           sections (the program, then each weight), each at an
                  offset that is a multiple of 64; the bytes between them
                  are zero, and the file ends where the last section ends

The manifest (README, "Packages", lists every field):

    {"format": "webtensor-package", "format_version": 1,
     "producer": {"name": "webtensor", "version": "0.1.0", "frontend": "jax 0.10.2"},
     "profile": "webtensor-profile/1",
     "program": {"encoding": "stablehlo-portable-artifact",
                 "stablehlo_version": "1.13.6", "compatibility": {...},
                 "offset": 4096, "length": 2345, "sha256": "..."},
     "entry_points": {"main": {...the entry point's interface...}},
     "weights": [{"name": "params['w1']", "dtype": "float32", "shape": [784, 1024],
                  "offset": 8192, "length": 3211264, "sha256": "..."}]}

Every byte of the file is covered: the header by its fields' checks, the
manifest by its hash, each section by its own, the gaps by being zero. A
package whose bytes or manifest do not check out is a SecurityError, one from
a newer format an InvalidEncoding that says so; nothing of it runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Mapping
from typing import Any, Iterable

import numpy as np

from . import dtypes
from .errors import InvalidEncoding, NotFound, SecurityError
from .parameters import FileTensor, bind_file_tensors
from .signature import TensorSpec

MAGIC = b"\x89WTPKG\r\n"
FORMAT = "webtensor-package"
FORMAT_VERSION = 1
EXTENSION = ".wtpkg"
HEADER_BYTES = 56
ALIGNMENT = 64
MAX_MANIFEST_BYTES = 16 << 20
PROGRAM_ENCODING = "stablehlo-portable-artifact"
_CHUNK = 1 << 20


def is_package(source: Any) -> bool:
    """Whether `source` (a path or bytes) is a package, by its first bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[: len(MAGIC)]) == MAGIC
    if not isinstance(source, (str, os.PathLike)):
        return False
    try:
        with open(source, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except (OSError, ValueError):  # not a path: MLIR text may hold NULs or lone surrogates
        return False


@dataclasses.dataclass(frozen=True)
class Section:
    offset: int
    length: int
    sha256: str


@dataclasses.dataclass(frozen=True)
class WeightEntry:
    spec: TensorSpec
    section: Section


@dataclasses.dataclass(frozen=True)
class Package:
    """A package whose every byte checked out. `entry_points` is the
    manifest's interface of each entry point, as JSON: the compiler reads it
    (and checks it against the program); `program()` reads the program."""

    path: str
    manifest: dict
    program_section: Section
    weights: tuple[WeightEntry, ...]

    @property
    def entry_points(self) -> dict[str, Any]:
        return self.manifest["entry_points"]

    @property
    def size(self) -> int:
        return os.path.getsize(self.path)

    @staticmethod
    def open(path: str | os.PathLike) -> "Package":
        """Reads and checks the whole package: header, manifest, hashes, gaps."""
        path = os.fspath(path)
        try:
            with open(path, "rb") as f:
                manifest, sections_start = _read_header_and_manifest(f, path)
                program, weights = _sections(manifest, path)
                _check_bytes(f, path, sections_start, [program] + [w.section for w in weights])
        except FileNotFoundError:
            raise NotFound(f"{path}: no such file") from None
        except IsADirectoryError:
            raise InvalidEncoding(f"{path}: is a directory, not a package") from None
        return Package(path, manifest, program, weights)

    def program(self) -> bytes:
        with open(self.path, "rb") as f:
            f.seek(self.program_section.offset)
            data = f.read(self.program_section.length)
        # Read again after the check: the file may have changed since.
        if hashlib.sha256(data).hexdigest() != self.program_section.sha256:
            raise SecurityError(f"{self.path}: the program changed after the package was checked")
        return data

    def bind_weights(self, weights):
        """The package's weights for a model that reads `weights`, mapped from the file."""
        tensors = {w.spec.name: FileTensor(w.spec, w.section.offset, w.section.length) for w in self.weights}
        return bind_file_tensors(weights, self.path, tensors, "package")


def _read_header_and_manifest(f, path: str) -> tuple[dict, int]:
    header = f.read(HEADER_BYTES)
    if not header.startswith(MAGIC):
        raise InvalidEncoding(f"{path}: not a WebTensor package (no '\\x89WTPKG' header)")
    if len(header) < HEADER_BYTES:
        raise SecurityError(f"{path}: truncated package: the header ends at byte {len(header)}")
    version = int.from_bytes(header[8:12], "little")
    if version != FORMAT_VERSION:
        newer = " (a newer format: upgrade WebTensor to load it)" if version > FORMAT_VERSION else ""
        raise InvalidEncoding(f"{path}: package format {version}; this WebTensor reads format {FORMAT_VERSION}{newer}")
    if header[12:16] != b"\0\0\0\0":
        raise SecurityError(f"{path}: damaged package: reserved header bytes are not zero")
    length = int.from_bytes(header[16:24], "little")
    if length > MAX_MANIFEST_BYTES:
        raise SecurityError(f"{path}: damaged package: a manifest of {length} bytes (the most is {MAX_MANIFEST_BYTES})")
    data = f.read(length)
    if len(data) < length or hashlib.sha256(data).digest() != header[24:56]:
        raise SecurityError(f"{path}: the manifest does not match its hash: the package is damaged or was altered")
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SecurityError(f"{path}: the manifest is not JSON") from None
    _check_manifest(manifest, path)
    return manifest, HEADER_BYTES + length


def _check_manifest(manifest: Any, path: str) -> None:
    def need(condition: bool, what: str) -> None:
        if not condition:
            raise SecurityError(f"{path}: malformed manifest: {what}")

    need(isinstance(manifest, dict), "not a JSON object")
    need(manifest.get("format") == FORMAT, f"'format' is not {FORMAT!r}")
    need(manifest.get("format_version") == FORMAT_VERSION, "'format_version' disagrees with the header")
    need(isinstance(manifest.get("producer"), dict), "no 'producer'")
    need(isinstance(manifest.get("profile"), str), "no 'profile'")
    program = manifest.get("program")
    need(isinstance(program, dict) and program.get("encoding") == PROGRAM_ENCODING, f"'program' is not a {PROGRAM_ENCODING}")
    need(isinstance(program.get("stablehlo_version"), str), "no 'program.stablehlo_version'")
    need(isinstance(manifest.get("entry_points"), dict) and manifest["entry_points"], "no 'entry_points'")
    need(isinstance(manifest.get("weights"), list), "no 'weights' list")


def _sections(manifest: dict, path: str) -> tuple[Section, tuple[WeightEntry, ...]]:
    program = _section(manifest["program"], path, "the program")
    weights, names = [], set()
    for entry in manifest["weights"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or entry["name"] in names:
            raise SecurityError(f"{path}: malformed manifest: a weight without a unique name")
        name = entry["name"]
        names.add(name)
        try:
            spec = TensorSpec(name, tuple(entry["shape"]), str(entry["dtype"]))
        except (KeyError, TypeError, ValueError):
            raise SecurityError(f"{path}: malformed manifest: weight {name!r} has no valid dtype and shape") from None
        if not all(type(d) is int and d >= 0 for d in spec.shape):
            raise SecurityError(f"{path}: malformed manifest: weight {name!r} has a malformed shape")
        section = _section(entry, path, f"weight {name!r}")
        needed = math.prod(spec.shape) * dtypes.by_name(spec.dtype).dtype.itemsize
        if section.length != needed:
            raise SecurityError(f"{path}: weight {name!r} is {section.length} bytes, but {spec.type_string()} needs {needed}")
        weights.append(WeightEntry(spec, section))
    return program, tuple(weights)


def _section(entry: dict, path: str, what: str) -> Section:
    offset, length, digest = entry.get("offset"), entry.get("length"), entry.get("sha256")
    if type(offset) is not int or type(length) is not int or offset < 0 or length < 0 or offset % ALIGNMENT:
        raise SecurityError(f"{path}: malformed manifest: {what} has no valid aligned offset and length")
    if not isinstance(digest, str) or len(digest) != 64:
        raise SecurityError(f"{path}: malformed manifest: {what} has no SHA-256")
    return Section(offset, length, digest)


def _check_bytes(f, path: str, start: int, sections: list[Section]) -> None:
    """One pass over the file after the manifest: every section's hash, zero gaps, no tail."""
    position = start
    buffer = bytearray(_CHUNK)
    for section in sorted(sections, key=lambda s: s.offset):
        if section.offset < position:
            raise SecurityError(f"{path}: malformed manifest: sections overlap (at byte {section.offset})")
        _check_zeros(f, path, position, section.offset, buffer)
        digest = _hash_range(f, section, buffer, path)
        if digest != section.sha256:
            raise SecurityError(
                f"{path}: the section at byte {section.offset} ({section.length} bytes) does not match its hash: "
                "the package is damaged or was altered"
            )
        position = section.offset + section.length
    f.seek(position)
    if f.read(1):
        raise SecurityError(f"{path}: unexpected bytes after the last section, at byte {position}")


def _check_zeros(f, path: str, begin: int, end: int, buffer: bytearray) -> None:
    f.seek(begin)
    remaining = end - begin
    while remaining:
        view = memoryview(buffer)[: min(remaining, _CHUNK)]
        count = f.readinto(view)
        if not count:
            raise SecurityError(f"{path}: truncated package: it ends at byte {end - remaining}")
        if any(view[:count]):
            raise SecurityError(f"{path}: damaged package: the padding before byte {end} is not zero")
        remaining -= count


def _hash_range(f, section: Section, buffer: bytearray, path: str) -> str:
    f.seek(section.offset)
    digest = hashlib.sha256()
    remaining = section.length
    while remaining:
        view = memoryview(buffer)[: min(remaining, _CHUNK)]
        count = f.readinto(view)
        if not count:
            raise SecurityError(f"{path}: truncated package: it ends at byte {section.offset + section.length - remaining}")
        digest.update(view[:count])
        remaining -= count
    return digest.hexdigest()


# --- Writing ----------------------------------------------------------------------


def write(
    path: str | os.PathLike,
    manifest: Mapping[str, Any],
    program: bytes,
    weights: Iterable[tuple[TensorSpec, Any]],
) -> None:
    """Writes a package: `manifest` is every field but the layout ones
    ("format", "format_version", the program's and weights' offsets, lengths
    and hashes), which are filled in here. `weights` gives each weight's spec
    and its array, which is streamed to the file, never copied whole."""
    weights = [(spec, _contiguous(spec, value)) for spec, value in weights]
    layout = _layout(manifest, program, weights)
    manifest_bytes = json.dumps(layout, separators=(",", ":"), sort_keys=True).encode("utf-8")
    header = (
        MAGIC
        + FORMAT_VERSION.to_bytes(4, "little")
        + bytes(4)
        + len(manifest_bytes).to_bytes(8, "little")
        + hashlib.sha256(manifest_bytes).digest()
    )
    path = os.fspath(path)
    temporary = f"{path}.partial"
    with open(temporary, "wb") as f:
        f.write(header + manifest_bytes)
        _write_section(f, layout["program"]["offset"], memoryview(program))
        for (spec, array), entry in zip(weights, layout["weights"]):
            _write_section(f, entry["offset"], memoryview(array.reshape(-1).view(np.uint8)))
    os.replace(temporary, path)


def _contiguous(spec: TensorSpec, value: Any) -> np.ndarray:
    # np.asarray, not np.ascontiguousarray: the latter makes scalars rank 1.
    array = np.asarray(value, order="C")
    if array.dtype != spec.element_type.dtype or tuple(array.shape) != tuple(spec.shape):
        raise ValueError(f"weight {spec.name}: {array.dtype}{list(array.shape)} is not {spec.type_string()}")
    return array


def _layout(manifest: Mapping[str, Any], program: bytes, weights: list[tuple[TensorSpec, np.ndarray]]) -> dict:
    """The manifest with the sections placed. Offsets depend on the
    manifest's own length, so the placing is repeated until it is stable."""
    layout = dict(manifest, format=FORMAT, format_version=FORMAT_VERSION)
    program_entry = dict(layout["program"], length=len(program), sha256=hashlib.sha256(program).hexdigest())
    weight_entries = [
        {"name": spec.name, "dtype": spec.dtype, "shape": list(spec.shape), "length": array.nbytes, "sha256": _sha256(array)}
        for spec, array in weights
    ]
    offset = -1
    while True:
        layout["program"] = program_entry
        layout["weights"] = weight_entries
        manifest_bytes = json.dumps(layout, separators=(",", ":"), sort_keys=True).encode("utf-8")
        start = _aligned(HEADER_BYTES + len(manifest_bytes))
        if start == offset:
            return layout
        offset = start
        position = start
        program_entry = dict(program_entry, offset=position)
        position = _aligned(position + len(program))
        placed = []
        for entry in weight_entries:
            placed.append(dict(entry, offset=position))
            position = _aligned(position + entry["length"])
        weight_entries = placed


def _aligned(offset: int) -> int:
    return -(-offset // ALIGNMENT) * ALIGNMENT


def _sha256(array: np.ndarray) -> str:
    digest = hashlib.sha256()
    flat = array.reshape(-1).view(np.uint8)
    for start in range(0, flat.size, _CHUNK):
        digest.update(memoryview(flat[start : start + _CHUNK]))
    return digest.hexdigest()


def _write_section(f, offset: int, data: memoryview) -> None:
    f.write(bytes(offset - f.tell()))
    for start in range(0, len(data), _CHUNK):
        f.write(data[start : start + _CHUNK])
