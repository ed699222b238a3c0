"""webtensor-sandbox-dynamic-slice: clamp the start indices of
`stablehlo.dynamic_slice` and `stablehlo.dynamic_update_slice` into bounds.

The StableHLO spec clamps each start index i into
[0, dim(operand, i) - size_i], where size_i is the slice size
(dynamic_slice) or the update's dimension (dynamic_update_slice), so that the
whole slice lies inside the operand. IREE's lowering happens to clamp today;
the sandbox writes the clamp explicitly, as plain StableHLO, so that no
backend's behaviour is trusted:

    %safe_i = stablehlo.clamp %zero, %start_i, %bound_i : tensor<iN>

An index known to be in bounds is left alone: a constant, or the counter of
a counted loop (a `scan`) whose range fits. A clamp inside such a loop costs
more than its arithmetic: IREE then computes the index on the device and
reads it back on every iteration (a 50-step scan ran five times slower).
A constant out of bounds is replaced by its clamped value.

Start indices are rank-0 tensors of one integer type (the verifier checks
that all of them share it). The clamp works on the full value in that type;
a bound beyond the type's largest value saturates to it. Ops on dynamic
shapes are reported as errors: their bounds are not constants.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import loops
from ..dialects import build
from ..dialects.attributes import dense_i64_array
from ..dialects.types import has_static_shape, saturate, shape, tensor_type
from ..dialects.walk import walk
from .base import ModulePass, Report

DYNAMIC_SLICE = "stablehlo.dynamic_slice"
DYNAMIC_UPDATE_SLICE = "stablehlo.dynamic_update_slice"


@dataclasses.dataclass(frozen=True)
class SandboxDynamicSlice(ModulePass):
    name = "webtensor-sandbox-dynamic-slice"
    summary = "Clamp dynamic_slice and dynamic_update_slice start indices into bounds"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in [op for op in walk(module) if op.name in (DYNAMIC_SLICE, DYNAMIC_UPDATE_SLICE)]:
            if not all(has_static_shape(v) for v in op.operands):
                report.error(op, f"the sandbox does not support {op.name} on dynamic shapes; give the operands static shapes")
                continue
            _clamp_start_indices(op)


def _clamp_start_indices(op: ir.Operation) -> None:
    operand_shape = shape(op.operands[0])
    if op.name == DYNAMIC_SLICE:
        first, sizes = 1, dense_i64_array(op, "slice_sizes")
    else:
        first, sizes = 2, shape(op.operands[1])
    loc = op.location
    with ir.InsertionPoint(op):
        for i, size in enumerate(sizes):
            index = op.operands[first + i]
            t = tensor_type(index)
            bound = saturate(operand_shape[i] - size, t.element_type)
            known = loops.int_range(index)
            if known and 0 <= known[0] and known[1] <= bound:
                continue  # provably in bounds: a constant, or a scan's counter
            if known and known[0] == known[1]:
                op.operands[first + i] = build.splat(min(max(known[0], 0), bound), t, loc=loc)
                continue
            high = build.splat(bound, t, loc=loc)
            op.operands[first + i] = build.clamp(build.splat(0, t, loc=loc), index, high, loc=loc)
