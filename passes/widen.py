"""Computing a narrow float type in f32, op by op: what webtensor-wasm-float16
(for f16) and webtensor-round-bf16 (for bfloat16) share.

An op that computes on narrow operands or results computes in f32 instead,
between a convert of each narrow operand to f32 and a convert of each narrow
result back: one rounding per op, as StableHLO's types say. Data movement
(reshape, transpose, slice, gather, select, ...) keeps the narrow type.
"""

from __future__ import annotations

from iree.compiler import ir

from ..dialects import build
from ..dialects.types import element_type, with_element_type

CONVERT = "stablehlo.convert"

# Ops that compute on their float operands or results; anything else moves data.
COMPUTING = frozenset(
    "stablehlo." + name
    for name in (
        "abs add atan2 batch_norm_grad batch_norm_inference batch_norm_training cbrt ceil cholesky clamp compare "
        "convolution cosine divide dot dot_general exponential "
        "exponential_minus_one floor is_finite iota log log_plus_one logistic maximum minimum multiply negate "
        "power reduce_precision remainder round_nearest_afz round_nearest_even rsqrt sign sine sqrt subtract "
        "tan tanh triangular_solve"
    ).split()
)


def touches(op: ir.Operation, narrow: ir.Type) -> bool:
    """Whether an operand or a result of `op` has element type `narrow`."""
    return any(element_type(v) == narrow for v in [*op.operands, *op.results])


def compute_in_f32(op: ir.Operation, narrow: ir.Type) -> None:
    """Replaces `op` with the same op on f32, its `narrow` operands widened
    and its `narrow` results rounded back."""
    loc = op.location
    f32 = ir.F32Type.get()
    with ir.InsertionPoint(op):
        operands = [build.convert(v, f32, loc=loc) if element_type(v) == narrow else v for v in op.operands]
        result_types = [with_element_type(r, f32) if element_type(r) == narrow else r.type for r in op.results]
        attributes = {name: op.attributes[name] for name in op.attributes}
        wide = build.create(op.name, result_types, operands, attributes, loc=loc)
        results = [
            build.convert(w, narrow, loc=loc) if element_type(r) == narrow else w for r, w in zip(op.results, wide.results)
        ]
    build.replace_op(op, results)
