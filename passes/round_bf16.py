"""webtensor-round-bf16: bfloat16 rounding done on f32 before IREE sees it,
and bfloat16 arithmetic computed in f32 with that rounding after each op.

IREE computes bfloat16 in f32 (`iree-convert-bf16-arith-to-f32`), and
where a bf16 value never goes to memory inside one fused dispatch, it
drops the `arith.truncf` to bf16 with the `arith.extf` back, and with them
the rounding: `x.astype(bfloat16).astype(float16)` returns x unchanged, and
`(a * b).astype(float32)` of bfloat16 operands keeps all of f32's bits.
llvm-cpu, wasm32 and vulkan-spirv are all affected, so the pass runs for
every target.

Rounding an f32 to bfloat16 is `reduce_precision` to 8 exponent and 7
mantissa bits on the f32: bfloat16 is the top half of an f32, so normals,
subnormals, overflow to infinity and NaN come out as the convert's would,
and the convert that follows is exact, so nothing is lost when IREE drops
it. A convert to bfloat16 from another type first converts to f32, as XLA
does on the CPU: exact from f16, bool and integers of 16 bits or fewer;
from f64 and wider integers that rounds twice, bit for bit as jax.jit does
(and unlike ml_dtypes' direct rounding). From a complex, the real part.
Ops that compute on bfloat16 compute in f32, between converts, as
webtensor-wasm-float16 does for f16: one rounding per op. (XLA skips
the rounding of an op whose result only goes on to f32; that is a choice
of precision, not IEEE's, and is not copied.)
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import build
from ..dialects.types import element_type, is_complex, with_element_type
from ..dialects.walk import walk
from .base import ModulePass, Report
from .widen import CONVERT, COMPUTING, compute_in_f32, touches

REDUCE_PRECISION = "stablehlo.reduce_precision"
SCATTERS = ("stablehlo.scatter", "stablehlo.select_and_scatter")


@dataclasses.dataclass(frozen=True)
class RoundBf16(ModulePass):
    name = "webtensor-round-bf16"
    summary = "Round to bfloat16 with reduce_precision on f32 and compute bfloat16 in f32 (IREE drops bf16 roundings)"

    def run(self, module: ir.Operation, report: Report) -> None:
        with module.context:
            self._rewrite(module)

    def _rewrite(self, module: ir.Operation) -> None:
        for op in walk(module):
            if op.name in COMPUTING and touches(op, _bf16()) and not _combines_scatter_updates(op):
                compute_in_f32(op, _bf16())
        for op in walk(module, CONVERT):
            source, result = element_type(op.operands[0]), element_type(op.results[0])
            if result == _bf16() and source != result:
                _round_convert(op, source)


def _bf16() -> ir.Type:
    return ir.BF16Type.get()


def _f32() -> ir.Type:
    return ir.F32Type.get()


def _combines_scatter_updates(op: ir.Operation) -> bool:
    """Whether `op` is in a scatter's combiner, which IREE lowers only on the
    operand's own element type (widened, it fails to legalize). The combiner
    writes each update to memory, so its roundings are not dropped."""
    parent = op.parent
    return parent is not None and parent.name in SCATTERS


def _round_convert(op: ir.Operation, source: ir.Type) -> None:
    loc = op.location
    x = op.operands[0]
    with ir.InsertionPoint(op):
        if is_complex(source):
            source = ir.ComplexType(source).element_type
            x = build.unary("real", x, loc=loc, result_type=with_element_type(x, source))
        if source != _f32():
            x = build.convert(x, _f32(), loc=loc)
        rounded = _reduce_precision(x, exponent_bits=8, mantissa_bits=7, loc=loc)
        narrow = build.convert(rounded, _bf16(), loc=loc)
    build.replace_op(op, [narrow])


def _reduce_precision(x: ir.Value, *, exponent_bits: int, mantissa_bits: int, loc: ir.Location) -> ir.Value:
    i32 = ir.IntegerType.get_signless(32)
    attributes = {
        "exponent_bits": ir.IntegerAttr.get(i32, exponent_bits),
        "mantissa_bits": ir.IntegerAttr.get(i32, mantissa_bits),
    }
    return build.create(REDUCE_PRECISION, [x.type], [x], attributes, loc=loc).result
