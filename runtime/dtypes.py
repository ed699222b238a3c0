"""Element types at the artifact boundary: numpy dtype, MLIR spelling, IREE HAL type.

ml_dtypes (numpy's bfloat16) and iree.runtime (the HAL types) are imported
where first needed: the compiler reads these names without either, and
ml_dtypes 0.7.0 took 0.5 to 3 s to import (pyproject.toml keeps below it).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from iree.runtime import HalElementType


@dataclasses.dataclass(frozen=True)
class ElementType:
    name: str  # numpy's name: "float32", "bfloat16", "bool", ...
    mlir: str  # MLIR's spelling: "f32", "bf16", "i1", ...
    hal_name: str  # iree.runtime.HalElementType's member: "FLOAT_32", ...

    @functools.cached_property
    def hal(self) -> HalElementType:  # looked up once: iree.runtime loads on first use
        from iree.runtime import HalElementType

        return getattr(HalElementType, self.hal_name)

    @property
    def dtype(self) -> np.dtype:
        if self.name == "bfloat16":
            return _bfloat16()
        return np.dtype(self.name)


ELEMENT_TYPES = (
    ElementType("bool", "i1", "BOOL_8"),
    ElementType("int8", "i8", "SINT_8"),
    ElementType("int16", "i16", "SINT_16"),
    ElementType("int32", "i32", "SINT_32"),
    ElementType("int64", "i64", "SINT_64"),
    ElementType("uint8", "ui8", "UINT_8"),
    ElementType("uint16", "ui16", "UINT_16"),
    ElementType("uint32", "ui32", "UINT_32"),
    ElementType("uint64", "ui64", "UINT_64"),
    ElementType("float16", "f16", "FLOAT_16"),
    ElementType("bfloat16", "bf16", "BFLOAT_16"),
    ElementType("float32", "f32", "FLOAT_32"),
    ElementType("float64", "f64", "FLOAT_64"),
    ElementType("complex64", "complex<f32>", "COMPLEX_64"),
    ElementType("complex128", "complex<f64>", "COMPLEX_128"),
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
    name = np.dtype(dtype).name
    return BY_NAME.get(name)


@functools.cache
def _bfloat16() -> np.dtype:
    import ml_dtypes  # shipped with iree-base-runtime; gives numpy a bfloat16

    return np.dtype(ml_dtypes.bfloat16)
