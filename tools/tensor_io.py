"""Tensors on the command line, in the notation IREE's tools use.

    2x3xf32=1,2,3,4,5,6   a 2x3 float32 tensor, row-major values
    2x3xf32=0             one value fills the whole tensor
    f32=1.5               a rank-0 tensor
    @x.npy                a numpy file
    2x3xf32               shape and type only (webtensor-compile's example args)
    2xcomplex<f32>=1+2i,3-1i   complex values, as results print

Results print as `2x3xf32=[1 2 3][4 5 6]`, floats like C's %G, so output from
webtensor-run and iree-run-module reads the same.
"""

from __future__ import annotations

import math

import numpy as np

from ..runtime import dtypes


class TensorSpecError(ValueError):
    pass


def parse_type(text: str) -> tuple[tuple[int, ...], dtypes.ElementType]:
    """`2x3xf32` -> ((2, 3), float32); `3xcomplex<f32>` -> ((3,), complex64)."""
    text = text.strip()
    # "complex<f32>" holds an x that is no dimension separator.
    start = text.find("complex<")
    if start < 0:
        *dims, element = text.split("x")
    else:
        head, element = text[:start], text[start:]
        if head and not head.endswith("x"):
            raise TensorSpecError(f"malformed shape in '{text}'; write e.g. 2x3xcomplex<f32>")
        dims = head[:-1].split("x") if head else []
    element_type = dtypes.BY_MLIR.get(element)
    if element_type is None:
        valid = ", ".join(dtypes.BY_MLIR)
        raise TensorSpecError(f"unknown element type '{element}' in '{text}'; valid: {valid}")
    try:
        shape = tuple(int(d) for d in dims)
    except ValueError:
        raise TensorSpecError(f"malformed shape in '{text}'; write e.g. 2x3xf32") from None
    if any(d < 0 for d in shape):
        raise TensorSpecError(f"negative dimension in '{text}'")
    return shape, element_type


def parse_value(text: str) -> np.ndarray:
    """An input tensor from `TYPE=VALUES` or `@file.npy`."""
    if text.startswith("@"):
        return _load_npy(text[1:])
    type_text, sep, values_text = text.partition("=")
    if not sep:
        raise TensorSpecError(f"input '{text}' has no values; write e.g. 2x3xf32=1,2,3,4,5,6 or @file.npy")
    shape, element_type = parse_type(type_text)
    values = [v for v in values_text.replace("[", " ").replace("]", " ").replace(",", " ").split() if v]
    count = int(np.prod(shape, dtype=np.int64))
    if len(values) == 1:
        values = values * count
    if len(values) != count:
        raise TensorSpecError(f"input '{type_text}' needs {count} values, got {len(values)}")
    try:
        flat = np.array([_parse_scalar(v, element_type) for v in values], dtype=element_type.dtype)
    except (ValueError, OverflowError) as e:
        raise TensorSpecError(f"input '{type_text}': {e}") from None
    return flat.reshape(shape)


def _parse_scalar(text: str, element_type: dtypes.ElementType):
    if element_type.name == "bool":
        if text.lower() in ("1", "true"):
            return True
        if text.lower() in ("0", "false"):
            return False
        raise ValueError(f"'{text}' is not a boolean")
    if element_type.name.startswith(("int", "uint")):
        value = int(text, 0)
        info = np.iinfo(element_type.dtype)
        if not info.min <= value <= info.max:
            raise ValueError(f"{value} is out of range for {element_type.name}")
        return value
    if element_type.name.startswith("complex"):
        # Results print as 1+2i (IREE's spelling); Python writes 1+2j.
        return complex(text[:-1] + "j" if text.endswith("i") and not text.lower().endswith("inf") else text)
    return float(text)


def _load_npy(path: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise TensorSpecError(f"{path}: no such file") from None
    except (ValueError, OSError) as e:
        raise TensorSpecError(f"{path}: not a .npy file: {e}") from None


def type_string(array: np.ndarray) -> str:
    element = dtypes.by_dtype(array.dtype)
    name = element.mlir if element else str(array.dtype)
    return "x".join([*map(str, array.shape), name])


def format_tensor(array: np.ndarray, max_elements: int = 1024) -> str:
    """`2x3xf32=[1 2 3][4 5 6]`; past `max_elements`, the values are elided."""
    prefix = type_string(array) + "="
    if array.size > max_elements:
        return prefix + "..."
    if array.ndim == 0:
        return prefix + _format_scalar(array[()])
    return prefix + _format_nested(array)


def _format_nested(array: np.ndarray) -> str:
    # IREE brackets every level but the outermost: [1 2][3 4], [[1 1][1 1]][[...]].
    if array.ndim == 1:
        return _bracketed(array)
    return "".join(_bracketed(sub) for sub in array)


def _bracketed(array: np.ndarray) -> str:
    if array.ndim == 1:
        return "[" + " ".join(_format_scalar(v) for v in array) + "]"
    return "[" + "".join(_bracketed(sub) for sub in array) + "]"


def _format_scalar(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (np.integer, int)):
        return str(int(value))
    if isinstance(value, (np.complexfloating, complex)):
        sign = "-" if math.copysign(1.0, value.imag) < 0 and not math.isnan(value.imag) else "+"
        return f"{_format_float(value.real)}{sign}{_format_float(abs(value.imag))}i"
    return _format_float(float(value))


def _format_float(value: float) -> str:
    return "%G" % value
