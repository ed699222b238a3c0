"""webtensor-sandbox-pad: `pad` with negative edge padding, without the
memory it costs in IREE.

Negative edge padding crops: `pad(x, low = [-k])` drops x's first k
elements. Its result is always right, but IREE 3.13 lowers it as a pad by
|low| and |high| followed by a slice, so it allocates an intermediate of
about |low| + |high| elements whatever the result's size: a 3-element
result with low = 2^31 - 8, high = -(2^31 - 8) allocated 16 GiB, and a rank-2
version exhausts any host's memory. That is a denial of service from a
one-line model, so the sandbox crops before it pads:

    pad(x, v, low, high, interior)
      -> pad(slice(x, first, last + 1), v, low', high', interior)

where first..last are the elements of x the result shows (along each
dimension, those whose padded position lo + k * (interior + 1) falls in
[0, size)), and low', high' >= 0 place them where they were. No
intermediate is larger than the result. If some dimension shows no element
of x at all, the result is all padding: a broadcast of the padding value.
The values are those of the spec (and jax.lax.pad); pads without negative
edge padding, and pads of dynamic shapes, are left alone.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import build
from ..dialects.attributes import dense_i64_array
from ..dialects.types import has_static_shape, shape, tensor_type
from ..dialects.walk import walk
from .base import ModulePass, Report

PAD = "stablehlo.pad"


@dataclasses.dataclass(frozen=True)
class SandboxPad(ModulePass):
    name = "webtensor-sandbox-pad"
    summary = "Crop before padding, so negative edge padding allocates nothing beyond the result"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module, PAD):
            if _crops(op) and has_static_shape(op.operands[0]) and has_static_shape(op.result):
                _sandbox(op)


def _crops(op: ir.Operation) -> bool:
    edges = dense_i64_array(op, "edge_padding_low") + dense_i64_array(op, "edge_padding_high")
    return any(p < 0 for p in edges)


@dataclasses.dataclass(frozen=True)
class _Visible:
    """The elements first..last of one dimension of x that the result shows,
    and the non-negative padding that puts them where they were."""

    first: int
    last: int
    low: int
    high: int


def _visible(n: int, low: int, interior: int, size: int) -> _Visible | None:
    """None when the result shows no element of this dimension."""
    step = interior + 1
    first = max(0, -(low // step))  # ceil(-low / step), at least 0
    last = min(n - 1, (size - 1 - low) // step)
    if n == 0 or first > last:
        return None
    new_low = low + first * step
    count = last - first + 1
    return _Visible(first, last, new_low, size - new_low - count - (count - 1) * interior)


def _sandbox(op: ir.Operation) -> None:
    loc = op.location
    x, padding_value = op.operands
    interior = dense_i64_array(op, "interior_padding")
    lows = dense_i64_array(op, "edge_padding_low")
    dims = [
        _visible(n, low, i, size)
        for n, low, i, size in zip(shape(x), lows, interior, shape(op.result))
    ]
    with ir.InsertionPoint(op):
        if any(d is None for d in dims):
            result = build.broadcast_in_dim(padding_value, tensor_type(op.result), [], loc=loc)
        else:
            cropped = build.slice_(x, [d.first for d in dims], [d.last + 1 for d in dims], loc=loc)
            result = build.pad(
                cropped, padding_value, [d.low for d in dims], [d.high for d in dims], loc=loc, interior=interior
            )
    build.replace_op(op, [result])
