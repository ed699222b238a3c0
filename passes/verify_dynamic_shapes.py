"""webtensor-verify-dynamic-shapes: every dynamic size must come from an input.

IREE trusts the sizes it is given: a dynamic `add` fed operands of different
lengths reads past the shorter buffer. So WebTensor accepts a dynamic
dimension only where it can prove which input dimensions it equals, and the
runtime checks those equalities (and the bounds) before anything runs.

The proof is a union-find over dimensions. Ops that need equal sizes (the
elementwise ops, the matching dims of dot_general, a loop's carried values,
...) unite the dimensions involved; ops that only move dimensions (transpose,
broadcast_in_dim, reduce) carry them along. Every dynamic dimension must end
in a group that holds an entry-point input dimension; an op outside these
rules that sees a dynamic dimension is rejected. Each entry point gets a
`webtensor.dim_groups` attribute for the signature, JSON:
`{"equal": [[[arg, dim], ...], ...], "fixed": [[[[arg, dim], ...], size], ...]}`:
groups of input dimensions that must be equal, and groups that must equal a
static size.
"""

from __future__ import annotations

import dataclasses
import json

from iree.compiler import ir

from ..dialects.attributes import dense_i64_array, dot_dimension_numbers
from ..dialects.types import element_type, has_static_shape, is_unsigned, tensor_type
from ..dialects.walk import FUNC, function_type, functions, is_declaration, walk
from ..dialects.webtensor import GROUPS_ATTR
from .base import ModulePass, Report


# Ops whose operands and results all have one shape (scalars aside, for the
# predicate of select and the bounds of clamp).
SAME_SHAPE = {
    f"stablehlo.{name}"
    for name in (
        "abs add and atan2 cbrt ceil clamp compare complex convert cosine count_leading_zeros divide "
        "exponential exponential_minus_one floor imag is_finite log log_plus_one logistic maximum "
        "minimum multiply negate not or popcnt power real reduce_precision remainder "
        "round_nearest_afz round_nearest_even rsqrt select shift_left shift_right_arithmetic "
        "shift_right_logical sign sine sqrt subtract tan tanh xor optimization_barrier"
    ).split()
}
NO_SHAPE_EFFECT = {"stablehlo.get_dimension_size", "stablehlo.constant", "stablehlo.iota", "stablehlo.return", "func.return"}


@dataclasses.dataclass(frozen=True)
class VerifyDynamicShapes(ModulePass):
    name = "webtensor-verify-dynamic-shapes"
    summary = "Accept dynamic dimensions only where they provably equal input dimensions"

    def run(self, module: ir.Operation, report: Report) -> None:
        for func in functions(module):
            if is_declaration(func) or not _has_dynamic(func):
                continue
            _Analysis(func, report).run()


def _has_dynamic(func: ir.Operation) -> bool:
    ftype = function_type(func)
    if any(not has_static_shape(t) for t in list(ftype.inputs) + list(ftype.results)):
        return True
    return any(not has_static_shape(r.type) for op in walk(func) for r in op.results)


class _Analysis:
    def __init__(self, func: ir.Operation, report: Report):
        self.func = func
        self.report = report
        self.parent: dict = {}
        self.fixed: dict = {}  # group root -> the static size it must equal

    # -- union-find over (value, dim) keys; static dims are ("static", n) --
    def key(self, value: ir.Value, dim: int):
        t = tensor_type(value)
        return ("static", t.get_dim_size(dim)) if not t.is_dynamic_dim(dim) else (value, dim)

    def find(self, key):
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def unite(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if ra[0] == "static":
            ra, rb = rb, ra
        self.parent[ra] = rb

    def unite_dims(self, a: ir.Value, i: int, b: ir.Value, j: int) -> None:
        self.unite(self.key(a, i), self.key(b, j))

    # -- the walk --
    def run(self) -> None:
        block = self.func.regions[0].blocks[0]
        for op in walk(self.func):
            if op.name != FUNC:
                self.op(op)
        ftype = function_type(self.func)
        returned = list(block.operations)[-1].operands
        for value, t in zip(returned, ftype.results):
            for d in range(tensor_type(t).rank):
                if tensor_type(t).is_dynamic_dim(d):
                    self.find(self.key(value, d))
        self.check_sources(block)

    def op(self, op: ir.Operation) -> None:
        name = op.name
        values = list(op.operands) + list(op.results)
        if all(has_static_shape(v) for v in values):
            return
        if any(not has_static_shape(v) and is_unsigned(element_type(v)) for v in values):
            self.report.error(op, "dynamic shapes of unsigned integers are not supported (IREE 3.13 cannot compile them)")
            return
        rule = _RULES.get(name)
        if name in SAME_SHAPE:
            rule = _same_shape
        if rule is None and name not in NO_SHAPE_EFFECT:
            self.report.error(op, f"'{name}' does not support dynamic dimensions")
            return
        if rule:
            rule(self, op)

    def check_sources(self, block: ir.Block) -> None:
        inputs = {}
        for arg_index, arg in enumerate(block.arguments):
            t = tensor_type(arg)
            for d in range(t.rank):
                if t.is_dynamic_dim(d):
                    inputs.setdefault(self.find((arg, d)), []).append([arg_index, d])
        for key in list(self.parent):
            if key[0] == "static":
                continue
            root = self.find(key)
            if root[0] != "static" and root not in inputs:
                owner = key[0].owner
                where = owner if isinstance(owner, (ir.Operation, ir.OpView)) else self.func
                self.report.error(where, f"dimension {key[1]} of a value here is dynamic but not equal to any input dimension")
                return
        equal = [members for root, members in inputs.items() if root[0] != "static" and len(members) > 1]
        fixed = [[members, root[1]] for root, members in inputs.items() if root[0] == "static"]
        data = {"equal": equal, "fixed": fixed}
        self.func.attributes[GROUPS_ATTR] = ir.StringAttr.get(json.dumps(data), context=self.func.context)


def _same_shape(a: _Analysis, op: ir.Operation) -> None:
    values = [v for v in list(op.operands) + list(op.results) if tensor_type(v).rank > 0]
    for other in values[1:]:
        for d in range(tensor_type(other).rank):
            a.unite_dims(values[0], d, other, d)


def _broadcast_in_dim(a: _Analysis, op: ir.Operation) -> None:
    operand, result = op.operands[0], op.results[0]
    mapped = dense_i64_array(op, "broadcast_dimensions")
    for i, target in enumerate(mapped):
        source_dynamic = tensor_type(operand).is_dynamic_dim(i)
        if source_dynamic and not tensor_type(result).is_dynamic_dim(target):
            a.report.error(op, "broadcasting a dynamic dimension to a static one is not supported")
            return
        if source_dynamic:
            a.unite_dims(operand, i, result, target)
    for d in range(tensor_type(result).rank):
        if d not in mapped and tensor_type(result).is_dynamic_dim(d):
            a.report.error(op, f"result dimension {d} is dynamic but comes from no operand dimension")


def _transpose(a: _Analysis, op: ir.Operation) -> None:
    for d, source in enumerate(dense_i64_array(op, "permutation")):
        a.unite_dims(op.results[0], d, op.operands[0], source)


def _reduce(a: _Analysis, op: ir.Operation) -> None:
    reduced = set(dense_i64_array(op, "dimensions"))
    count = len(op.results)
    inputs = list(op.operands)[:count]
    for value in inputs[1:]:
        _unite_all(a, inputs[0], value)
    for result in op.results:
        kept = [d for d in range(tensor_type(inputs[0]).rank) if d not in reduced]
        for r, d in enumerate(kept):
            a.unite_dims(result, r, inputs[0], d)


def _dot_general(a: _Analysis, op: ir.Operation) -> None:
    numbers = dot_dimension_numbers(op)
    lhs, rhs, result = op.operands[0], op.operands[1], op.results[0]
    for l, r in zip(numbers.lhs_batching_dimensions, numbers.rhs_batching_dimensions):
        a.unite_dims(lhs, l, rhs, r)
    for l, r in zip(numbers.lhs_contracting_dimensions, numbers.rhs_contracting_dimensions):
        a.unite_dims(lhs, l, rhs, r)
    out = 0
    for d in numbers.lhs_batching_dimensions:
        a.unite_dims(result, out, lhs, d)
        out += 1
    sides = (
        (lhs, numbers.lhs_batching_dimensions, numbers.lhs_contracting_dimensions),
        (rhs, numbers.rhs_batching_dimensions, numbers.rhs_contracting_dimensions),
    )
    for side, batch, contract in sides:
        for d in range(tensor_type(side).rank):
            if d not in batch and d not in contract:
                a.unite_dims(result, out, side, d)
                out += 1


def _carried(a: _Analysis, op: ir.Operation) -> None:
    """while: operands, region arguments, the body's returns and the results line up."""
    body = op.regions[1].blocks[0]
    cond = op.regions[0].blocks[0]
    returned = list(body.operations)[-1].operands
    for i, operand in enumerate(op.operands):
        for other in (cond.arguments[i], body.arguments[i], returned[i], op.results[i]):
            _unite_all(a, operand, other)


def _branches(a: _Analysis, op: ir.Operation) -> None:
    """if/case: every branch returns values shaped like the results."""
    for region in op.regions:
        returned = list(region.blocks[0].operations)[-1].operands
        for value, result in zip(returned, op.results):
            _unite_all(a, value, result)


def _unite_all(a: _Analysis, x: ir.Value, y: ir.Value) -> None:
    for d in range(tensor_type(x).rank):
        a.unite_dims(x, d, y, d)


_RULES = {
    "stablehlo.broadcast_in_dim": _broadcast_in_dim,
    "stablehlo.transpose": _transpose,
    "stablehlo.reduce": _reduce,
    "stablehlo.dot_general": _dot_general,
    "stablehlo.while": _carried,
    "stablehlo.if": _branches,
    "stablehlo.case": _branches,
}
