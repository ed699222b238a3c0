"""webtensor-verify-profile: check a module against the WebTensor profile.

Runs after legalize and again after the sandbox, so a rewrite that produces
something outside the profile fails loudly. It checks, at each op's location:
the op is in the profile (or says why it is forbidden); its element types and
ranks are allowed; loops sit where the iteration budget can reach them; shape
arithmetic holds with exact integers (MLIR's own checks use 64-bit math that
can wrap); the op is in a form IREE lowers (an FFT's lengths); and the
module stays within the limits: elements per tensor (a padded convolution or
window input included), constant bytes, op count and estimated peak live
memory, with the buffers IREE materialises for an op (dialects/liveness.py).
"""

from __future__ import annotations

import dataclasses
import math

from iree.compiler import ir

from ..dialects import cost, liveness, profile
from ..dialects.attributes import attribute, dense_i64_array
from ..dialects.types import element_type, has_static_shape, is_complex, shape, tensor_type
from ..dialects.walk import FUNC, function_type, functions, is_declaration, symbol_name, walk
from ..dialects.profile import BadLimitValue, Limits, UnknownLimit, dynamic_bound
from . import sandbox_select_and_scatter as select_and_scatter
from .base import ModulePass, PassOptionError, Report

MAX_ERRORS = 50


@dataclasses.dataclass(frozen=True)
class VerifyProfile(ModulePass):
    name = "webtensor-verify-profile"
    summary = "Reject every op, type and size outside the WebTensor profile and its limits"

    limits: Limits = Limits()

    @classmethod
    def from_options(cls, options: dict[str, str]) -> "VerifyProfile":
        """Options are the Limits fields: `{max_rank=4 dynamic_dim_bound=64}`."""
        try:
            return cls(Limits.parse(options))
        except UnknownLimit as e:
            raise PassOptionError(f"pass '{cls.name}' has no option '{e.name}' (options: {', '.join(e.names)})") from None
        except BadLimitValue as e:
            raise PassOptionError(f"pass '{cls.name}': option '{e.name}' expects an integer, got '{e.text}'") from None

    def spelling(self) -> str:
        changed = " ".join(f"{name}={text}" for name, text in self.limits.settings().items())
        return f"{self.name}{{{changed}}}" if changed else self.name

    def run(self, module: ir.Operation, report: Report) -> None:
        _Check(self.limits, report).module(module)


class _TooManyErrors(Exception):
    pass


class _Check:
    def __init__(self, limits: Limits, report: Report):
        self.limits = limits
        self.report = report
        self.derived_bound: int | None = None

    def error(self, op, message: str) -> None:
        self.report.error(op, message)
        if self.report.error_count >= MAX_ERRORS:
            self.report.error(op, f"stopping after {MAX_ERRORS} errors")
            raise _TooManyErrors

    def module(self, module: ir.Operation) -> None:
        try:
            ops = walk(module)
            anchor = _anchor(module)
            if len(ops) > self.limits.max_ops:
                self.error(anchor, f"the module has {len(ops)} ops, above the limit of {self.limits.max_ops}")
            constant_bytes = 0
            for func in functions(module):
                self.derived_bound = self.input_bound(func)
                for op in walk(func):
                    if self.op(op):
                        constant_bytes += _constant_bytes(op)
            if constant_bytes > self.limits.max_constant_bytes:
                self.error(
                    anchor,
                    f"constants take {constant_bytes} bytes, above the limit of {self.limits.max_constant_bytes}; "
                    "pass large arrays (weights) as arguments instead",
                )
            if not self.report.failed:
                self.memory(module)
        except _TooManyErrors:
            pass

    def input_bound(self, func: ir.Operation) -> int | None:
        """The largest bound of any dynamic input dim of `func`.

        webtensor-verify-dynamic-shapes proves that every dynamic dim inside a
        function equals an input dim, so this bounds dims that declare none."""
        bounds = [
            dynamic_bound(ir.RankedTensorType(t), d, self.limits)
            for t in function_type(func).inputs
            if isinstance(t, ir.RankedTensorType)
            for d in range(t.rank)
            if t.is_dynamic_dim(d)
        ]
        return max((b for b in bounds if b is not None), default=None)

    def op(self, op: ir.Operation) -> bool:
        """Checks one op; False when it is not in the profile at all."""
        rule = profile.OPS.get(op.name)
        if rule is None:
            reason = profile.FORBIDDEN.get(op.name)
            if reason:
                self.error(op, f"'{op.name}' is not allowed: {reason}")
            else:
                self.error(op, f"'{op.name}' is not in the WebTensor profile ({profile.VERSION})")
            return False
        self.types(op, rule)
        self.form(op)
        self.placement(op)
        self.shape_arithmetic(op)
        self.work(op)
        return True

    def work(self, op: ir.Operation) -> None:
        """Ops whose cost grows faster than their operands and results."""
        if not all(has_static_shape(v) for v in list(op.operands) + list(op.results)):
            return
        if op.name == "stablehlo.sort":
            size = _dims(op.operands[0])[ir.IntegerAttr(op.attributes["dimension"]).value]
            if size > self.limits.max_sort_size:
                self.error(op, f"sorts {size} elements along one dimension, above the limit of {self.limits.max_sort_size}")
            return
        problem = _WINDOW_CHECKS.get(op.name, lambda op, limits: None)(op, self.limits)
        if problem:
            self.error(op, problem)
            return
        estimate = cost.WORK.get(op.name)
        amount = estimate(op) if estimate else 0
        if amount > self.limits.max_op_work:
            self.error(op, f"'{op.name}' does {amount} element operations, above the limit of {self.limits.max_op_work}")

    def form(self, op: ir.Operation) -> None:
        """Forms of an allowed op that IREE cannot lower."""
        if op.name == select_and_scatter.SELECT_AND_SCATTER:
            problem = _select_and_scatter_problem(op)
            if problem:
                self.error(op, problem)
        elif op.name == "stablehlo.fft":
            operand = element_type(op.operands[0])
            part = ir.ComplexType(operand).element_type if is_complex(operand) else operand
            problem = profile.fft_problem(str(part), dense_i64_array(op, "fft_length"))
            if problem:
                self.error(op, problem)
        elif op.name == "stablehlo.constant" and profile.element_name(element_type(op.results[0])) == "complex<f64>":
            problem = _complex_f64_constant_problem(op)
            if problem:
                self.error(op, f"{problem}; pass it as an argument, or use complex<f32>")

    def types(self, op: ir.Operation, rule: profile.OpRule) -> None:
        if op.name in ("builtin.module", "func.func"):
            return
        results = rule.results or rule.types
        checked = [(v, rule.types) for v in op.operands] + [(v, results) for v in op.results]
        for region in op.regions:
            for block in region.blocks:
                checked.extend((arg, profile.ELEMENT_TYPES) for arg in block.arguments)
        for value, allowed in checked:
            t = value.type
            problem = profile.type_problem(t) or self.size_problem(t, _is_function_argument(value))
            if problem:
                self.error(op, problem)
                return
            element = profile.element_name(element_type(t))
            if element not in allowed:
                self.error(op, f"'{op.name}' does not take {element}; it takes {', '.join(allowed)}")
                return

    def size_problem(self, t: ir.Type, is_input: bool = True) -> str | None:
        """Rank and element count; a dynamic dim counts at its bound. An input
        dim needs a bound of its own; other dims may take the inputs'."""
        t = ir.RankedTensorType(t)
        if t.rank > self.limits.max_rank:
            return f"rank {t.rank} is above the limit of {self.limits.max_rank}"
        dims = []
        for i in range(t.rank):
            if not t.is_dynamic_dim(i):
                dims.append(t.get_dim_size(i))
                continue
            bound = dynamic_bound(t, i, self.limits)
            if bound is None and not is_input:
                bound = self.derived_bound
            if bound is None:
                return (
                    f"dimension {i} of {t} is dynamic with no upper bound; declare one "
                    "(#stablehlo.bounds) or have the host set dynamic_dim_bound"
                )
            dims.append(bound)
        elements = math.prod(dims)
        if elements > self.limits.max_tensor_elements:
            return f"{t} has {elements} elements, above the limit of {self.limits.max_tensor_elements}"
        return None

    def placement(self, op: ir.Operation) -> None:
        if op.name not in profile.CONTROL_FLOW:
            return
        parent = op.parent.operation.name
        if parent not in profile.LOOP_PARENTS:
            self.error(
                op,
                f"'{op.name}' inside '{parent}' is not allowed: control flow may appear only in "
                "functions and in other control flow, where the iteration budget reaches it",
            )
        elif op.name == "stablehlo.while" and _in_a_loop_condition(op):
            # The budget flows through loop bodies and branches; a condition
            # returns only its predicate, so a loop there could never spend it.
            self.error(
                op,
                "'stablehlo.while' inside the condition of 'stablehlo.while' is not allowed: the "
                "iteration budget reaches loops in bodies and branches, not in conditions",
            )

    def shape_arithmetic(self, op: ir.Operation) -> None:
        for name in op.attributes:
            if name.startswith("webtensor."):
                continue  # our own marks (a function's price), not shapes
            for value in _shape_integers(op, name):
                if abs(value) > self.limits.max_tensor_elements:
                    self.error(op, f"attribute '{name}' holds {value}, beyond any tensor size the profile allows")
                    return
        check = _SHAPE_CHECKS.get(op.name)
        if check and all(has_static_shape(v) for v in list(op.operands) + list(op.results)):
            problem = check(op)
            if problem:
                self.error(op, problem)

    def memory(self, module: ir.Operation) -> None:
        def bound(t, i):
            return dynamic_bound(t, i, self.limits) or 0

        for func in functions(module):
            if is_declaration(func):
                continue
            peak = liveness.peak_bytes(func.regions[0].blocks[0], bound)
            if peak > self.limits.max_live_bytes:
                self.error(
                    func,
                    f"@{symbol_name(func)} needs an estimated {peak} bytes of live tensors, "
                    f"above the limit of {self.limits.max_live_bytes}",
                )


def _in_a_loop_condition(op: ir.Operation) -> bool:
    """Whether `op` lies, at any depth, in the condition region of a while."""
    current = op.operation
    while current.name != "func.func":
        region = current.block.region
        owner = region.owner.operation
        if owner.name == "stablehlo.while" and region == owner.regions[0]:
            return True
        current = owner
    return False


def _is_function_argument(value: ir.Value) -> bool:
    block = value.owner
    if not isinstance(block, ir.Block):
        return False  # an op's result
    return block.region.owner.operation.name == FUNC


def _anchor(module: ir.Operation):
    """Where to report what concerns the whole module: its first function
    (an implicit module has no source location of its own)."""
    return next(functions(module), module)


def _shape_integers(op: ir.Operation, name: str):
    attr = attribute(op, name)
    if isinstance(attr, ir.DenseI64ArrayAttr):
        return list(attr)
    if isinstance(attr, ir.DenseIntElementsAttr) and op.name != "stablehlo.constant":
        return [int(v) for v in attr]
    return []


def _dims(value: ir.Value) -> list[int]:
    return shape(value)


def _check_pad(op: ir.Operation) -> str | None:
    low = dense_i64_array(op, "edge_padding_low")
    high = dense_i64_array(op, "edge_padding_high")
    interior = dense_i64_array(op, "interior_padding")
    for i, (n, lo, hi, mid, got) in enumerate(zip(_dims(op.operands[0]), low, high, interior, _dims(op.results[0]))):
        want = lo + hi + n + max(n - 1, 0) * mid
        if mid < 0 or want != got:
            return f"pad dimension {i} is {got}, but its padding makes it {want}"
    return None


def _check_concatenate(op: ir.Operation) -> str | None:
    axis = ir.IntegerAttr(op.attributes["dimension"]).value
    total = sum(_dims(v)[axis] for v in op.operands)
    got = _dims(op.results[0])[axis]
    if total != got:
        return f"concatenate result dimension {axis} is {got}, but its operands add up to {total}"
    return None


def _check_reshape(op: ir.Operation) -> str | None:
    before, after = math.prod(_dims(op.operands[0])), math.prod(_dims(op.results[0]))
    if before != after:
        return f"reshape from {before} elements to {after}"
    return None


def _check_slice(op: ir.Operation) -> str | None:
    start = dense_i64_array(op, "start_indices")
    limit = dense_i64_array(op, "limit_indices")
    strides = dense_i64_array(op, "strides")
    for i, (n, lo, hi, step, got) in enumerate(zip(_dims(op.operands[0]), start, limit, strides, _dims(op.results[0]))):
        if not (0 <= lo <= hi <= n and step > 0) or got != -(-(hi - lo) // step):
            return f"slice of dimension {i} ({lo}:{hi}:{step} of {n}) does not give {got} elements"
    return None


_SHAPE_CHECKS = {
    "stablehlo.pad": _check_pad,
    "stablehlo.concatenate": _check_concatenate,
    "stablehlo.reshape": _check_reshape,
    "stablehlo.slice": _check_slice,
}


def _padded_input(op: ir.Operation, limits: Limits) -> str | None:
    """IREE materializes the padded, dilated input in full: count it."""
    padded = liveness.padded_input_elements(op)
    if padded is not None and padded > limits.max_tensor_elements:
        kind = op.name.removeprefix("stablehlo.")
        return f"the padded input of this {kind} has {padded} elements, above the limit of {limits.max_tensor_elements}"
    return None


def _select_and_scatter_problem(op: ir.Operation) -> str | None:
    """What webtensor-sandbox-select-and-scatter cannot make IREE-lowerable.
    It decomposes select_and_scatter over static shapes, in O(window
    elements) ops; IREE 3.13 itself lowers only windows that tile the
    operand, and not on unsigned elements."""
    if select_and_scatter.iree_lowers(op) or select_and_scatter.decomposable(op):
        return None
    why = "windows that do not tile the operand" if not select_and_scatter.Windows.of(op).tile else "unsigned elements"
    fix = "(window_strides equal to window_dimensions, no padding)"
    if not all(has_static_shape(v) for v in list(op.operands) + list(op.results)):
        return f"select_and_scatter with {why} needs static shapes"
    elements = select_and_scatter.Windows.of(op).elements
    if elements > select_and_scatter.MAX_WINDOW_ELEMENTS:
        tiling = f"; windows that tile the operand {fix} have no limit" if why.startswith("windows") else ""
        return (
            f"select_and_scatter with {why} takes windows of at most "
            f"{select_and_scatter.MAX_WINDOW_ELEMENTS} elements; this one has {elements}{tiling}"
        )
    return f"select_and_scatter on complex<f64> is supported only with windows that tile the operand {fix}"


_WINDOW_CHECKS = {
    "stablehlo.convolution": _padded_input,
    "stablehlo.reduce_window": _padded_input,
}


# Uses that make IREE materialise a constant as a buffer of its own, rather
# than fold it into the code that reads it.
_MATERIALISING_USERS = frozenset(("func.return", "stablehlo.optimization_barrier") + profile.CONTROL_FLOW)


def _materialises(user: ir.Operation) -> bool:
    if user.name == "stablehlo.return":  # a branch's or a loop body's result
        return user.parent.name in profile.CONTROL_FLOW
    return user.name in _MATERIALISING_USERS


def _complex_f64_constant_problem(op: ir.Operation) -> str | None:
    """IREE 3.13 cannot make a buffer of complex<f64> constants: a splat
    is a 128-bit fill its stream dialect rejects, and a returned or
    loop-carried one fails the same way (or, with distinct elements,
    crashes the compiler with SIGFPE). Read inside a computation, they work."""
    if any(_materialises(use.owner) for use in op.results[0].uses):
        return (
            "a complex<f64> constant that is returned, carried by a loop or a branch, or passed to "
            "optimization_barrier is not in the profile: IREE 3.13 cannot make a buffer of it"
        )
    t = tensor_type(op.results[0])
    # The bindings cannot read complex dense data (attribute), so this
    # reads the printed op: MLIR prints a splat as one element, `dense<(re,im)>`.
    if t.has_static_shape and math.prod(t.shape) > 1 and "dense<(" in op.get_asm(large_elements_limit=1):
        return (
            "a complex<f64> constant whose elements are all equal is not in the profile: IREE 3.13 "
            "cannot fill a buffer with a 128-bit value"
        )
    return None


def _constant_bytes(op: ir.Operation) -> int:
    if op.name != "stablehlo.constant":
        return 0
    value = attribute(op, "value")
    if isinstance(value, ir.DenseElementsAttr) and value.is_splat:
        return 0  # a fill, not stored data
    return liveness.tensor_bytes(op.results[0].type, lambda t, i: 0)
