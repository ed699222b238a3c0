"""webtensor-sandbox-gather: clamp every gather's start indices into bounds.

The StableHLO spec defines an out-of-bounds gather: component k of each start
index is clamped into [0, dim(operand, d) - slice_sizes[d]] with
d = start_index_map[k], so that the whole slice lies inside the operand. IREE
does not clamp (it reads whatever memory is there), so this pass writes the
spec's clamp as plain StableHLO in front of the gather:

    %bounds = <upper bound of each component, along index_vector_dim>
    %safe = stablehlo.clamp %zero, %start_indices, %bounds
    stablehlo.gather(%operand, %safe) {indices_are_sorted = false, ...}

The clamp works on the full index value in its own type, so an i64 index
beyond 2^32 clamps before IREE truncates anything; a bound beyond the index
type's largest value (an i8 index into 1000 rows) saturates to that value.
Batching dimensions need nothing: their indices are the positions in
start_indices, in bounds by the verifier's shape rules. Clamping may reorder
the indices, so `indices_are_sorted` becomes false.

IREE's gather lowering reads an index as signed (`arith.index_cast`), so an
unsigned index whose clamped value has its top bit set (a ui8 index of 200)
would turn negative; such indices are converted to a wider signed type after
the clamp.

Gathers with dynamic shapes are reported as errors, and so is
`stablehlo.dynamic_gather` (its slice sizes are not constants); the profile
verifier rejects both as well, this pass does not rely on it.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import build
from ..dialects.attributes import dense_i64_array, gather_dimension_numbers
from ..dialects.types import element_type, has_static_shape, saturate, shape
from ..dialects.walk import walk
from .base import ModulePass, Report

GATHER = "stablehlo.gather"
DYNAMIC_GATHER = "stablehlo.dynamic_gather"


@dataclasses.dataclass(frozen=True)
class SandboxGather(ModulePass):
    name = "webtensor-sandbox-gather"
    summary = "Clamp gather start indices into bounds, as the StableHLO spec defines"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module, DYNAMIC_GATHER):
            report.error(op, "the sandbox does not support stablehlo.dynamic_gather; use stablehlo.gather")
        for op in walk(module, GATHER):
            if not all(has_static_shape(v) for v in op.operands):
                report.error(op, "the sandbox does not support gather on dynamic shapes; give the operand and start indices static shapes")
                continue
            _clamp_start_indices(op)


def _clamp_start_indices(op: ir.Operation) -> None:
    operand, indices = op.operands[0], op.operands[1]
    dims = gather_dimension_numbers(op)
    slice_sizes = dense_i64_array(op, "slice_sizes")
    operand_shape = shape(operand)
    upper = [operand_shape[d] - slice_sizes[d] for d in dims.start_index_map]
    op.attributes["indices_are_sorted"] = ir.BoolAttr.get(False, context=op.context)
    if not upper:
        return  # No start index components: every slice starts at 0.
    with ir.InsertionPoint(op):
        clamped = build.clamp_index_vectors(indices, upper, dims.index_vector_dim, loc=op.location)
        op.operands[1] = _signed_for_iree(clamped, max(upper), loc=op.location)


def _signed_for_iree(indices: ir.Value, upper: int, *, loc: ir.Location) -> ir.Value:
    """`indices` (clamped into [0, upper]) in a type that IREE may read as signed."""
    element = element_type(indices)
    width = element.width
    if not element.is_unsigned or saturate(upper, element) < 1 << (width - 1):
        return indices
    wider = ir.IntegerType.get_signless(min(64, max(8, 2 * width)), element.context)
    return build.convert(indices, wider, loc=loc)
