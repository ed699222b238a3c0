"""Element types at the artifact boundary: numpy dtype, MLIR spelling, IREE HAL type."""

from __future__ import annotations

import dataclasses

import ml_dtypes  # shipped with iree-base-runtime; gives numpy a bfloat16
import numpy as np
from iree.runtime import HalElementType


@dataclasses.dataclass(frozen=True)
class ElementType:
    name: str  # numpy's name: "float32", "bfloat16", "bool", ...
    mlir: str  # MLIR's spelling: "f32", "bf16", "i1", ...
    hal: HalElementType

    @property
    def dtype(self) -> np.dtype:
        if self.name == "bfloat16":
            return np.dtype(ml_dtypes.bfloat16)
        return np.dtype(self.name)


ELEMENT_TYPES = (
    ElementType("bool", "i1", HalElementType.BOOL_8),
    ElementType("int8", "i8", HalElementType.SINT_8),
    ElementType("int16", "i16", HalElementType.SINT_16),
    ElementType("int32", "i32", HalElementType.SINT_32),
    ElementType("int64", "i64", HalElementType.SINT_64),
    ElementType("uint8", "ui8", HalElementType.UINT_8),
    ElementType("uint16", "ui16", HalElementType.UINT_16),
    ElementType("uint32", "ui32", HalElementType.UINT_32),
    ElementType("uint64", "ui64", HalElementType.UINT_64),
    ElementType("float16", "f16", HalElementType.FLOAT_16),
    ElementType("bfloat16", "bf16", HalElementType.BFLOAT_16),
    ElementType("float32", "f32", HalElementType.FLOAT_32),
    ElementType("float64", "f64", HalElementType.FLOAT_64),
    ElementType("complex64", "complex<f32>", HalElementType.COMPLEX_64),
    ElementType("complex128", "complex<f64>", HalElementType.COMPLEX_128),
)

BY_NAME = {t.name: t for t in ELEMENT_TYPES}
BY_MLIR = {t.mlir: t for t in ELEMENT_TYPES}


def by_name(name: str) -> ElementType:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(
            f"unsupported element type '{name}'; supported: {', '.join(BY_NAME)}"
        ) from None


def by_dtype(dtype: np.dtype) -> ElementType | None:
    name = "bfloat16" if dtype == np.dtype(ml_dtypes.bfloat16) else np.dtype(dtype).name
    return BY_NAME.get(name)
