"""A model's weights: named tensors its program reads but a call does not pass.

A model compiled with bound weights (`weights_argnums=`, or a package) lists
them in its signature: a name (the pytree path, `params['w1']`), a shape and
a dtype each. Its code reads every weight as an IREE parameter
(`#flow.parameter.named<"model"::NAME>`), so the artifact holds none of their
bytes. At load the runtime binds a value to every name, from one source:

- arrays: a mapping of name to array, or the pytree the weights were
  compiled from (`model.load_weights(params)`); the arrays may be numpy's
  or any library's tensors in CPU memory (`module.state_dict()`, jax
  arrays), read through DLPack or `__array__` (`host_array`);
- a safetensors file (what Hugging Face ships);
- an IREE parameter archive (`.irpa`);
- a WebTensor package (`.wtpkg`, runtime/package.py), whose weights section
  it maps.

Every name, shape, dtype and byte range is checked before IREE sees the
source: a missing or extra name, a wrong shape or dtype, or a truncated file
is one `InvalidArgument` (or `InvalidEncoding`) naming the tensor.

Files are memory-mapped, never read: weights the program uses as they are
are read by the device straight from the mapping, and weights IREE repacks
(data tiling) are packed from it once, into buffers of the model's own, when
the model loads. Arrays are copied once into memory the model owns, since the
caller may change them afterwards; bind large models from a file.

This module owns the sources; the weights a model declares (`Weights`), the
index they are bound into (`BoundWeights`) and the binding of a file's byte
ranges are runtime/parameters.py's.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes
from .errors import InvalidArgument, InvalidEncoding, NotFound
from .package import MAGIC as PACKAGE_MAGIC
from .package import Package
# What a model declares and binds lives in runtime/parameters.py, which a
# package imports too.
from .parameters import (
    BoundWeights,
    FileTensor,
    Weights,
    bind_file_tensors,
    check_names,
    check_type,
    map_file,
    tensor_nbytes,
)
from .signature import TensorSpec, describe_value
from .tree import flatten

if TYPE_CHECKING:  # imported where used: the compiler reads this module without the runtime's IREE
    import iree.runtime as ireert

# safetensors: dtype codes, and the header size its own reader allows.
SAFETENSORS_DTYPES = {
    "bool": "BOOL", "int8": "I8", "uint8": "U8", "int16": "I16", "uint16": "U16",
    "int32": "I32", "uint32": "U32", "int64": "I64", "uint64": "U64",
    "float16": "F16", "bfloat16": "BF16", "float32": "F32", "float64": "F64",
    "complex64": "C64",
}
_SAFETENSORS_NAMES = {code: name for name, code in SAFETENSORS_DTYPES.items()}
MAX_SAFETENSORS_HEADER = 100 << 20

# IRPA: IREE's parameter archive. An entry's metadata says what tensor it is,
# in the form iree.runtime.io writes ("TENSORv0:" and a JSON object).
IRPA_MAGIC = b"IRPA"
IRPA_METADATA_PREFIX = "TENSORv0:"

FORMATS = ("safetensors", "irpa")


def bind(weights: Weights, source: Any) -> BoundWeights:
    """Checks `source` against `weights` and indexes it for IREE.

    `source`: a path (safetensors, .irpa or .wtpkg), a mapping of name to
    array, or the pytree of the weight arguments (`weights.tree`)."""
    if isinstance(source, (str, os.PathLike)):
        return _bind_file(weights, os.fspath(source))
    if isinstance(source, Package):
        return source.bind_weights(weights)
    return _bind_arrays(weights, _by_name(weights, source))


def _by_name(weights: Weights, source: Any) -> dict[str, Any]:
    """A name-to-array mapping from a mapping of names or from a pytree."""
    # Weight names carry their argument's name (`params['w1']`), which a
    # pytree's own keys (`w1`) do not: any key that is a weight name means
    # a mapping by name.
    if isinstance(source, Mapping) and (weights.tree is None or any(isinstance(k, str) and k in weights for k in source)):
        return dict(source)
    if weights.tree is None:
        raise InvalidArgument(
            "weights: expected a mapping of weight name to array "
            f"({', '.join(weights) or 'this model has none'}) or a weights file"
        )
    # One weight argument is given as itself, several as a tuple of them.
    tree = weights.tree.children[0] if len(weights.tree.children) == 1 else weights.tree
    return dict(zip(weights, flatten(tree, source, "weights")))


def _bind_arrays(weights: Weights, arrays: dict[str, Any]) -> BoundWeights:
    import iree.runtime as ireert

    check_names(weights, arrays.keys(), "the arrays given")
    index = ireert.ParameterIndex()
    keep = []
    for spec in weights.specs:
        array = _private_copy(arrays[spec.name], spec)
        keep.append(array)
        index.add_buffer(spec.name, _bytes_view(array))
    return BoundWeights(index, "arrays", keep)


def _private_copy(value: Any, spec: TensorSpec) -> np.ndarray:
    """The model's own copy: a caller may change its array after binding,
    and IREE reads some weights in place."""
    value = host_array(value, f"weight {spec.name}")
    shape, dtype_name = describe_value(value)
    check_type(spec, shape, dtype_name, "given")
    return np.array(value, dtype=spec.element_type.dtype, order="C", copy=True)


# DLPack's device types whose memory the CPU reads (CPU, CUDA host, ROCm
# host, CUDA managed), and the names of others for the error.
_HOST_DEVICES = {1, 3, 11, 13}
_DEVICE_NAMES = {2: "CUDA", 4: "OpenCL", 7: "Vulkan", 8: "Metal", 10: "ROCm", 14: "oneAPI", 15: "WebGPU"}


def host_array(value: Any, what: str) -> np.ndarray:
    """`value` as a numpy array, without a copy where it can be: a numpy
    array, or a tensor of another library in CPU memory (a torch tensor,
    a jax array: anything with DLPack or `__array__`), read without
    importing that library. A tensor that requires grad or lives on a GPU
    is refused, naming `what`, rather than copied or detached behind the
    caller's back."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic):
        return np.asarray(value)
    if not any(hasattr(value, name) for name in ("__dlpack__", "__array__", "dtype")):
        raise InvalidArgument(f"{what}: expected an array, got a {type(value).__name__}")
    if getattr(value, "requires_grad", False) is True:
        raise InvalidArgument(f"{what}: the tensor requires grad; pass module.state_dict() or tensor.detach()")
    device = _dlpack_device(value)
    if device is not None and device not in _HOST_DEVICES:
        where = _DEVICE_NAMES.get(device, f"DLPack device type {device}")
        raise InvalidArgument(f"{what}: the tensor is in {where} memory; copy it to the CPU first (torch: .cpu(), jax: jax.device_get)")
    errors = []
    for convert in (np.from_dlpack, np.asarray, _bfloat16_through_float32):
        try:
            array = convert(value)
        except (BufferError, RuntimeError, TypeError, ValueError, AttributeError) as e:
            errors.append(e)
            continue
        if isinstance(array, np.ndarray) and array.dtype != object:
            return array
    raise InvalidArgument(f"{what}: cannot read a {type(value).__name__} as an array: {_first_line(errors[0]) if errors else 'not numeric'}")


def _dlpack_device(value: Any) -> int | None:
    try:
        return int(value.__dlpack_device__()[0])
    except Exception:  # noqa: BLE001 - no DLPack, or a broken one: the converters say why
        return None


def _bfloat16_through_float32(value: Any) -> np.ndarray:
    """torch's bfloat16 tensors cross neither DLPack into numpy nor
    `__array__`; float32 holds every bfloat16 exactly, so the round trip
    through it loses nothing."""
    if str(getattr(value, "dtype", "")) != "torch.bfloat16":
        raise TypeError("not a torch bfloat16 tensor")
    return np.asarray(value.float()).astype(dtypes.BY_NAME["bfloat16"].dtype)


def _bytes_view(array: np.ndarray) -> np.ndarray:
    # A flat byte view: the buffer protocol knows neither bfloat16 nor 0-d shapes.
    return array.reshape(-1).view(np.uint8)


# --- Files ----------------------------------------------------------------------


def file_format(path: str) -> str:
    """"safetensors", "irpa" or "wtpkg", from the file's first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidEncoding(f"{path}: is a directory, not a weights file") from None
    if head.startswith(PACKAGE_MAGIC):
        return "wtpkg"
    if head.startswith(IRPA_MAGIC):
        return "irpa"
    if len(head) >= 9 and head[8:9] == b"{":
        return "safetensors"
    raise InvalidEncoding(f"{path}: not a weights file (safetensors, .irpa or a .wtpkg package)")


def file_tensor_specs(path: str) -> list[TensorSpec]:
    """The names, shapes and dtypes of the tensors in a weights file."""
    kind = file_format(path)
    if kind == "wtpkg":
        return [entry.spec for entry in Package.open(path).weights]
    if kind == "safetensors":
        return [tensor.spec for tensor in read_safetensors(path).values()]
    specs = []
    for name, entry in _load_irpa(path).items():
        declared = _irpa_tensor_type(entry.metadata)
        if declared is None:
            raise InvalidEncoding(f"{path}: tensor {name!r} does not say its shape and dtype (no {IRPA_METADATA_PREFIX} metadata)")
        specs.append(TensorSpec(name, declared[0], declared[1]))
    return specs


def read_arrays(path: str) -> dict[str, np.ndarray]:
    """Every tensor of a weights file, as read-only arrays over a mapping of it."""
    kind = file_format(path)
    if kind == "irpa":
        arrays = {}
        for name, entry in _load_irpa(path).items():
            declared = _irpa_tensor_type(entry.metadata)
            if declared is None or not entry.is_file:
                raise InvalidEncoding(f"{path}: tensor {name!r} does not say its shape and dtype")
            flat = np.asarray(entry.file_view)
            arrays[name] = flat.view(dtypes.by_name(declared[1]).dtype).reshape(declared[0])
        return arrays
    if kind == "wtpkg":
        tensors = {e.spec.name: FileTensor(e.spec, e.section.offset, e.section.length) for e in Package.open(path).weights}
    else:
        tensors = read_safetensors(path)
    mapping, _ = map_file(path)
    return {
        name: np.frombuffer(mapping, t.spec.element_type.dtype, math.prod(t.spec.shape), t.offset).reshape(t.spec.shape)
        for name, t in tensors.items()
    }


def _bind_file(weights: Weights, path: str) -> BoundWeights:
    kind = file_format(path)
    if kind == "wtpkg":
        return Package.open(path).bind_weights(weights)
    if kind == "irpa":
        return _bind_irpa(weights, path)
    return _bind_safetensors(weights, path)


def read_safetensors(path: str) -> dict[str, FileTensor]:
    """The tensors of a safetensors file: 8 bytes of header length (little
    endian), a JSON header, then the data. Every range is checked against the
    file's size, so a truncated file is refused here, naming the tensor."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise InvalidEncoding(f"{path}: truncated safetensors file ({size} bytes)")
        length = int.from_bytes(head, "little")
        if length > min(MAX_SAFETENSORS_HEADER, size - 8):
            raise InvalidEncoding(f"{path}: malformed safetensors file (a header of {length} bytes in a file of {size})")
        try:
            header = json.loads(f.read(length))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise InvalidEncoding(f"{path}: malformed safetensors file (the header is not JSON)") from None
    if not isinstance(header, dict):
        raise InvalidEncoding(f"{path}: malformed safetensors file (the header is not an object)")
    start = 8 + length
    return {
        name: _safetensors_entry(path, name, entry, start, size)
        for name, entry in header.items()
        if name != "__metadata__"
    }


def _safetensors_entry(path: str, name: str, entry: Any, start: int, size: int) -> FileTensor:
    def bad(why: str) -> InvalidEncoding:
        return InvalidEncoding(f"{path}: tensor {name!r}: {why}")

    if not isinstance(entry, dict):
        raise bad("malformed entry")
    dtype = _SAFETENSORS_NAMES.get(entry.get("dtype"))
    if dtype is None:
        raise bad(f"unsupported dtype {entry.get('dtype')!r}")
    shape, offsets = entry.get("shape"), entry.get("data_offsets")
    if not _int_list(shape) or not _int_list(offsets) or len(offsets) != 2:
        raise bad("malformed shape or data_offsets")
    begin, end = offsets
    expected = math.prod(shape) * dtypes.by_name(dtype).dtype.itemsize
    if end - begin != expected:
        raise bad(f"{end - begin} bytes of data for {dtype}{list(shape)}, which needs {expected}")
    if start + end > size:
        raise bad(f"the data ends at byte {start + end}, past the end of the file ({size} bytes): the file is truncated")
    return FileTensor(TensorSpec(name, tuple(shape), dtype), start + begin, expected)


def _int_list(value: Any) -> bool:
    return isinstance(value, list) and all(type(v) is int and v >= 0 for v in value)


def _bind_safetensors(weights: Weights, path: str) -> BoundWeights:
    return bind_file_tensors(weights, path, read_safetensors(path), "safetensors")


def _load_irpa(path: str, index: ireert.ParameterIndex | None = None) -> dict[str, ireert.ParameterIndexEntry]:
    import iree.runtime as ireert

    index = index if index is not None else ireert.ParameterIndex()
    try:
        index.load(path, mmap=True)
    except (RuntimeError, ValueError, OSError) as e:
        raise InvalidEncoding(f"{path}: not a readable IREE parameter archive: {_first_line(e)}") from None
    return dict(index.items())


def _bind_irpa(weights: Weights, path: str) -> BoundWeights:
    import iree.runtime as ireert

    index = ireert.ParameterIndex()
    entries = _load_irpa(path, index)
    check_names(weights, entries.keys(), f"the tensors in {path}")
    for spec in weights.specs:
        entry = entries[spec.name]
        if entry.length != tensor_nbytes(spec):
            raise InvalidArgument(
                f"weight {spec.name}: the model needs {spec.type_string()} ({tensor_nbytes(spec)} bytes), "
                f"{path} holds {entry.length} bytes"
            )
        declared = _irpa_tensor_type(entry.metadata)
        if declared is not None:
            check_type(spec, declared[0], declared[1], f"{path} holds")
    return BoundWeights(index, f"irpa {path}", [])


def _irpa_tensor_type(metadata: bytes) -> tuple[tuple[int, ...], str] | None:
    """(shape, dtype) from an entry's TENSORv0 metadata, if it has any."""
    text = bytes(metadata).decode("utf-8", "replace")
    if not text.startswith(IRPA_METADATA_PREFIX):
        return None
    try:
        described = json.loads(text[len(IRPA_METADATA_PREFIX):])
        return tuple(int(d) for d in described["shape"]), str(described["dtype"])
    except (ValueError, KeyError, TypeError):
        return None


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


# --- Writing ----------------------------------------------------------------------


def save_weights(path: str | os.PathLike, arrays: Mapping[str, Any], format: str | None = None) -> None:
    """Writes named arrays as safetensors or an IREE parameter archive.

    The format is `format`, else the extension (`.irpa` or `.safetensors`).
    Names are kept as given: use `model.weights`' names (the pytree paths)
    for a file that `model.load_weights` takes."""
    path = os.fspath(path)
    kind = format or ("irpa" if path.endswith(".irpa") else "safetensors" if path.endswith(".safetensors") else None)
    if kind not in FORMATS:
        raise InvalidArgument(f"{path}: say format='safetensors' or 'irpa' (or use one of those extensions)")
    named = {}
    for name, value in arrays.items():
        array = np.asarray(value, order="C")  # not ascontiguousarray, which makes scalars rank 1
        element = dtypes.by_dtype(array.dtype)
        if not isinstance(name, str) or element is None:
            raise InvalidArgument(f"weight {name!r}: need a string name and an array of a supported dtype, got {array.dtype}")
        named[name] = (array, element.name)
    if kind == "irpa":
        _write_irpa(path, named)
    else:
        _write_safetensors(path, named)


def _write_safetensors(path: str, named: dict[str, tuple[np.ndarray, str]]) -> None:
    header, offset = {}, 0
    for name, (array, dtype) in named.items():
        if dtype not in SAFETENSORS_DTYPES:
            raise InvalidArgument(f"weight {name}: safetensors has no {dtype}; save as .irpa")
        header[name] = {"dtype": SAFETENSORS_DTYPES[dtype], "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text)
        for array, _ in named.values():
            f.write(memoryview(_bytes_view(array)))


def _write_irpa(path: str, named: dict[str, tuple[np.ndarray, str]]) -> None:
    import iree.runtime as ireert

    index = ireert.ParameterIndex()
    for name, (array, dtype) in named.items():
        metadata = IRPA_METADATA_PREFIX + json.dumps({"type": "Tensor", "dtype": dtype, "shape": list(array.shape)})
        index.add_buffer(name, _bytes_view(array), metadata=metadata)
    index.create_archive_file(path)
