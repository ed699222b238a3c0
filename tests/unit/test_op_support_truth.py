"""`op_support_limits()` tells the truth: one instance of every (op, element
type) it lists compiles and runs on llvm-cpu.

Each instance is a public function of its own, and the instances of one
element type share a module, so the whole profile costs a compile per type. The elementwise ops that
tests/unit/test_profile.py compiles and runs on every element type the
profile lists (and compares with numpy) are left to it. When the compile
fails, the test names every (op, element type) at fault, not the first: the
front phases run in this process and point at the functions' lines, and a
module that fails inside IREE is split in halves until each failure stands
alone.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

import webtensor
from webtensor.compiler.diagnostics import CompileError
from webtensor.dialects import profile
from webtensor.tests.unit import test_profile

UNARY = {
    "abs", "cbrt", "ceil", "cosine", "count_leading_zeros", "exponential", "exponential_minus_one", "floor",
    "is_finite", "log", "log_plus_one", "logistic", "negate", "not", "popcnt", "real", "imag",
    "round_nearest_afz", "round_nearest_even", "rsqrt", "sign", "sine", "sqrt", "tan", "tanh",
}
BINARY = {
    "add", "and", "atan2", "divide", "maximum", "minimum", "multiply", "or", "power", "remainder",
    "subtract", "xor", "shift_left", "shift_right_arithmetic", "shift_right_logical",
}


def _part(t: str) -> str:
    """complex<f32> -> f32; a real type is its own part."""
    return t[len("complex<"):-1] if t.startswith("complex<") else t


def _literal(t: str) -> str:
    if t == "i1":
        return "true"
    if t.startswith("complex<"):
        return "(1.0, 0.0)"
    return "1.0" if t in profile.FLOATS else "1"


def _zero(t: str) -> str:
    if t == "i1":
        return "false"
    if t.startswith("complex<"):
        return "(0.0, 2.0)"
    return "0.0" if t in profile.FLOATS else "0"


def _same_width(t: str) -> str:
    """Another element type of t's width, for bitcast_convert."""
    return {
        "i1": "i1", "f16": "i16", "bf16": "i16", "f32": "i32", "f64": "i64",
        "i8": "ui8", "i16": "ui16", "i32": "ui32", "i64": "ui64",
        "ui8": "i8", "ui16": "i16", "ui32": "i32", "ui64": "i64",
    }[t]


def _width(t: str) -> int:
    return 1 if t == "i1" else int(re.sub(r"\D", "", t))


def _sort_key(t: str, x: str, y: str, s: str) -> tuple[str, str, str]:
    """Comparator lines `x < y` for scalars of type s (complex: by real part)."""
    if not t.startswith("complex<"):
        return "", x, y
    p = f"tensor<{_part(t)}>"
    lines = (
        f"    %rx = stablehlo.real {x} : ({s}) -> {p}\n"
        f"    %ry = stablehlo.real {y} : ({s}) -> {p}\n"
    )
    return lines, "%rx", "%ry"


@dataclasses.dataclass(frozen=True)
class Instance:
    op: str
    element: str
    args: tuple[str, ...]  # argument types
    results: tuple[str, ...]
    body: str  # lines that define %r0, %r1, ...

    @property
    def function(self) -> str:
        return f"{self.op}__{re.sub(r'[^a-z0-9]', '_', self.element)}"

    def text(self) -> str:
        args = ", ".join(f"%a{i}: {t}" for i, t in enumerate(self.args))
        names = ", ".join(f"%r{i}" for i in range(len(self.results)))
        types = ", ".join(self.results)
        return (
            f"func.func @{self.function}({args}) -> ({types}) {{\n{self.body}"
            f"  return {names} : {types}\n}}\n"
        )


def instance(op: str, t: str) -> Instance:
    """One use of `op` on element type `t`, as a function."""
    T, M, S = f"tensor<4x{t}>", f"tensor<2x3x{t}>", f"tensor<{t}>"
    reducer = f"  ^bb0(%x: {S}, %y: {S}):\n    %z = stablehlo.add %x, %y : {S}\n    stablehlo.return %z : {S}\n"
    if op in UNARY:
        result = T
        if op == "is_finite":
            result = "tensor<4xi1>"
        elif op in ("abs", "real", "imag"):
            result = f"tensor<4x{_part(t)}>"
        return Instance(op, t, (T,), (result,), f'  %r0 = "stablehlo.{op}"(%a0) : ({T}) -> {result}\n')
    if op in BINARY:
        return Instance(op, t, (T, T), (T,), f'  %r0 = "stablehlo.{op}"(%a0, %a1) : ({T}, {T}) -> {T}\n')
    if op == "complex":
        part = f"tensor<4x{_part(t)}>"
        whole = f"tensor<4xcomplex<{_part(t)}>>"
        return Instance(op, t, (part, part), (whole,), f"  %r0 = stablehlo.complex %a0, %a1 : {whole}\n")
    if op == "reduce_precision":
        return Instance(op, t, (T,), (T,), f"  %r0 = stablehlo.reduce_precision %a0, format = e5m10 : {T}\n")
    if op == "clamp":
        return Instance(op, t, (T, T), (T,), f"  %r0 = stablehlo.clamp %a0, %a1, %a0 : {T}\n")
    if op == "select":
        return Instance(op, t, ("tensor<4xi1>", T, T), (T,), f"  %r0 = stablehlo.select %a0, %a1, %a2 : tensor<4xi1>, {T}\n")
    if op == "compare":
        direction = "EQ" if t.startswith("complex<") else "LT"
        return Instance(op, t, (T, T), ("tensor<4xi1>",), f"  %r0 = stablehlo.compare {direction}, %a0, %a1 : ({T}, {T}) -> tensor<4xi1>\n")
    if op == "convert":
        body = (
            f"  %r0 = stablehlo.convert %a0 : ({T}) -> tensor<4xf32>\n"
            f"  %r1 = stablehlo.convert %a1 : (tensor<4xi32>) -> {T}\n"
        )
        return Instance(op, t, (T, "tensor<4xi32>"), ("tensor<4xf32>", T), body)
    if op == "bitcast_convert":
        other = f"tensor<4x{_same_width(t)}>"
        body = f"  %r0 = stablehlo.bitcast_convert %a0 : ({T}) -> {other}\n"
        if _width(t) <= 8:
            return Instance(op, t, (T,), (other,), body)
        split = f"tensor<4x{_width(t) // 8}xi8>"
        body += f"  %r1 = stablehlo.bitcast_convert %a0 : ({T}) -> {split}\n"
        body += f"  %r2 = stablehlo.bitcast_convert %a1 : ({split}) -> {T}\n"
        return Instance(op, t, (T, split), (other, split, T), body)
    if op == "constant":
        # Read by another op, and not a splat: a complex<f64> constant that
        # IREE would have to make a buffer of is outside the profile (its notes).
        values = ", ".join([_literal(t), _zero(t)] * 2)
        body = f"  %c = stablehlo.constant dense<[{values}]> : {T}\n  %r0 = stablehlo.add %a0, %c : {T}\n"
        return Instance(op, t, (T,), (T,), body)
    if op == "iota":
        return Instance(op, t, (), (T,), f"  %r0 = stablehlo.iota dim = 0 : {T}\n")
    if op == "broadcast_in_dim":
        return Instance(op, t, (T,), (f"tensor<3x4x{t}>",), f"  %r0 = stablehlo.broadcast_in_dim %a0, dims = [1] : ({T}) -> tensor<3x4x{t}>\n")
    if op == "broadcast":
        return Instance(op, t, (T,), (f"tensor<3x4x{t}>",), f'  %r0 = "stablehlo.broadcast"(%a0) {{broadcast_sizes = array<i64: 3>}} : ({T}) -> tensor<3x4x{t}>\n')
    if op == "concatenate":
        return Instance(op, t, (T, T), (f"tensor<8x{t}>",), f"  %r0 = stablehlo.concatenate %a0, %a1, dim = 0 : ({T}, {T}) -> tensor<8x{t}>\n")
    if op == "pad":
        result = f"tensor<10x{t}>"
        return Instance(op, t, (T, S), (result,), f"  %r0 = stablehlo.pad %a0, %a1, low = [1], high = [2], interior = [1] : ({T}, {S}) -> {result}\n")
    if op == "reshape":
        return Instance(op, t, (T,), (f"tensor<2x2x{t}>",), f"  %r0 = stablehlo.reshape %a0 : ({T}) -> tensor<2x2x{t}>\n")
    if op == "reverse":
        return Instance(op, t, (T,), (T,), f"  %r0 = stablehlo.reverse %a0, dims = [0] : {T}\n")
    if op == "slice":
        return Instance(op, t, (T,), (f"tensor<2x{t}>",), f"  %r0 = stablehlo.slice %a0 [1:3] : ({T}) -> tensor<2x{t}>\n")
    if op == "transpose":
        return Instance(op, t, (M,), (f"tensor<3x2x{t}>",), f"  %r0 = stablehlo.transpose %a0, dims = [1, 0] : ({M}) -> tensor<3x2x{t}>\n")
    if op == "dynamic_slice":
        result = f"tensor<2x{t}>"
        return Instance(op, t, (T, "tensor<i32>"), (result,), f"  %r0 = stablehlo.dynamic_slice %a0, %a1, sizes = [2] : ({T}, tensor<i32>) -> {result}\n")
    if op == "dynamic_update_slice":
        update = f"tensor<2x{t}>"
        return Instance(op, t, (T, update, "tensor<i32>"), (T,), f"  %r0 = stablehlo.dynamic_update_slice %a0, %a1, %a2 : ({T}, {update}, tensor<i32>) -> {T}\n")
    if op == "gather":
        body = (
            '  %r0 = "stablehlo.gather"(%a0, %a1) {dimension_numbers = #stablehlo.gather<offset_dims = [1], '
            "collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, slice_sizes = array<i64: 1, 3>, "
            f"indices_are_sorted = false}} : ({M}, tensor<2x1xi32>) -> {M}\n"
        )
        return Instance(op, t, (M, "tensor<2x1xi32>"), (M,), body)
    if op == "scatter":
        body = (
            f'  %r0 = "stablehlo.scatter"(%a0, %a1, %a2) ({{\n  ^bb0(%x: {S}, %y: {S}):\n    stablehlo.return %y : {S}\n'
            "  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], "
            "scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, indices_are_sorted = false, unique_indices = false} "
            f": ({M}, tensor<2x1xi32>, {M}) -> {M}\n"
        )
        return Instance(op, t, (M, "tensor<2x1xi32>", M), (M,), body)
    if op == "get_dimension_size":
        return Instance(op, t, (T,), ("tensor<i32>",), f"  %r0 = stablehlo.get_dimension_size %a0, dim = 0 : ({T}) -> tensor<i32>\n")
    if op == "reduce":
        body = f'  %r0 = "stablehlo.reduce"(%a0, %a1) ({{\n{reducer}  }}) {{dimensions = array<i64: 0>}} : ({T}, {S}) -> {S}\n'
        return Instance(op, t, (T, S), (S,), body)
    if op == "reduce_window":
        result = f"tensor<4x{t}>"
        body = (
            f'  %r0 = "stablehlo.reduce_window"(%a0, %a1) ({{\n{reducer}  }}) {{window_dimensions = array<i64: 2>, '
            f"padding = dense<[[1, 0]]> : tensor<1x2xi64>}} : ({T}, {S}) -> {result}\n"
        )
        return Instance(op, t, (T, S), (result,), body)
    if op == "select_and_scatter":
        key, x, y = _sort_key(t, "%x", "%y", S)
        direction = "GE" if not t.startswith("complex<") else "GE"
        body = (
            f'  %r0 = "stablehlo.select_and_scatter"(%a0, %a1, %a2) ({{\n  ^bb0(%x: {S}, %y: {S}):\n{key}'
            f"    %c = stablehlo.compare {direction}, {x}, {y} : ({'tensor<' + _part(t) + '>' if key else S}, "
            f"{'tensor<' + _part(t) + '>' if key else S}) -> tensor<i1>\n    stablehlo.return %c : tensor<i1>\n"
            f"  }}, {{\n{reducer}  }}) {{window_dimensions = array<i64: 2>, window_strides = array<i64: 2>}} "
            f": ({T}, tensor<2x{t}>, {S}) -> {T}\n"
        )
        return Instance(op, t, (T, f"tensor<2x{t}>", S), (T,), body)
    if op == "sort":
        key, x, y = _sort_key(t, "%x", "%y", S)
        k = f"tensor<{_part(t)}>" if key else S
        body = (
            f'  %r0 = "stablehlo.sort"(%a0) ({{\n  ^bb0(%x: {S}, %y: {S}):\n{key}'
            f"    %c = stablehlo.compare LT, {x}, {y} : ({k}, {k}) -> tensor<i1>\n    stablehlo.return %c : tensor<i1>\n"
            f"  }}) {{dimension = 0 : i64, is_stable = true}} : ({T}) -> {T}\n"
        )
        return Instance(op, t, (T,), (T,), body)
    if op in ("map", "return"):
        body = f'  %r0 = "stablehlo.map"(%a0, %a1) ({{\n{reducer}  }}) {{dimensions = array<i64: 0>}} : ({T}, {T}) -> {T}\n'
        return Instance(op, t, (T, T), (T,), body)
    if op == "while":
        body = (
            "  %zero = stablehlo.constant dense<0> : tensor<i32>\n"
            "  %one = stablehlo.constant dense<1> : tensor<i32>\n"
            "  %three = stablehlo.constant dense<3> : tensor<i32>\n"
            f"  %w:2 = stablehlo.while(%i = %zero, %v = %a0) : tensor<i32>, {T}\n"
            "    cond {\n"
            "      %c = stablehlo.compare LT, %i, %three : (tensor<i32>, tensor<i32>) -> tensor<i1>\n"
            "      stablehlo.return %c : tensor<i1>\n"
            "    } do {\n"
            "      %n = stablehlo.add %i, %one : tensor<i32>\n"
            f"      %u = stablehlo.reverse %v, dims = [0] : {T}\n"
            f"      stablehlo.return %n, %u : tensor<i32>, {T}\n"
            "    }\n"
            f"  %r0 = stablehlo.reverse %w#1, dims = [0] : {T}\n"
        )
        return Instance(op, t, (T,), (T,), body)
    if op == "if":
        body = f'  %r0 = "stablehlo.if"(%a0) ({{\n    stablehlo.return %a1 : {T}\n  }}, {{\n    stablehlo.return %a2 : {T}\n  }}) : (tensor<i1>) -> {T}\n'
        return Instance(op, t, ("tensor<i1>", T, T), (T,), body)
    if op == "case":
        body = f'  %r0 = "stablehlo.case"(%a0) ({{\n    stablehlo.return %a1 : {T}\n  }}, {{\n    stablehlo.return %a2 : {T}\n  }}) : (tensor<i32>) -> {T}\n'
        return Instance(op, t, ("tensor<i32>", T, T), (T,), body)
    if op == "optimization_barrier":
        return Instance(op, t, (T,), (T,), f"  %r0 = stablehlo.optimization_barrier %a0 : {T}\n")
    if op in ("dot_general", "dot"):
        rhs, result = f"tensor<3x2x{t}>", f"tensor<2x2x{t}>"
        if op == "dot":
            line = f"  %r0 = stablehlo.dot %a0, %a1 : ({M}, {rhs}) -> {result}\n"
        else:
            line = f"  %r0 = stablehlo.dot_general %a0, %a1, contracting_dims = [1] x [0] : ({M}, {rhs}) -> {result}\n"
        return Instance(op, t, (M, rhs), (result,), line)
    if op == "convolution":
        x, w, result = f"tensor<1x4x4x1x{t}>", f"tensor<2x2x1x1x{t}>", f"tensor<1x3x3x1x{t}>"
        body = (
            f"  %r0 = stablehlo.convolution(%a0, %a1) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], "
            "window = {stride = [1, 1]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} "
            f": ({x}, {w}) -> {result}\n"
        )
        return Instance(op, t, (x, w), (result,), body)
    if op == "fft":
        n = 8
        if t.startswith("complex<"):
            real = f"tensor<{n}x{_part(t)}>"
            half = f"tensor<{n // 2 + 1}x{t}>"
            full = f"tensor<{n}x{t}>"
            body = (
                f"  %r0 = stablehlo.fft %a0, type = FFT, length = [{n}] : ({full}) -> {full}\n"
                f"  %r1 = stablehlo.fft %a0, type = IFFT, length = [{n}] : ({full}) -> {full}\n"
                f"  %r2 = stablehlo.fft %a1, type = IRFFT, length = [{n}] : ({half}) -> {real}\n"
            )
            return Instance(op, t, (full, half), (full, full, real), body)
        result = f"tensor<{n // 2 + 1}xcomplex<{t}>>"
        return Instance(op, t, (f"tensor<{n}x{t}>",), (result,), f"  %r0 = stablehlo.fft %a0, type = RFFT, length = [{n}] : (tensor<{n}x{t}>) -> {result}\n")
    if op == "batch_norm_inference":
        v = f"tensor<3x{t}>"
        body = (
            f'  %r0 = "stablehlo.batch_norm_inference"(%a0, %a1, %a2, %a3, %a4) {{epsilon = 1.0e-03 : f32, feature_index = 1 : i64}} '
            f": ({M}, {v}, {v}, {v}, {v}) -> {M}\n"
        )
        return Instance(op, t, (M, v, v, v, v), (M,), body)
    if op == "batch_norm_training":
        v = f"tensor<3x{t}>"
        body = (
            f'  %r0, %r1, %r2 = "stablehlo.batch_norm_training"(%a0, %a1, %a2) {{epsilon = 1.0e-03 : f32, feature_index = 1 : i64}} '
            f": ({M}, {v}, {v}) -> ({M}, {v}, {v})\n"
        )
        return Instance(op, t, (M, v, v), (M, v, v), body)
    if op == "rng_bit_generator":
        body = f"  %r0, %r1 = stablehlo.rng_bit_generator %a0, algorithm = DEFAULT : (tensor<2xui64>) -> (tensor<2xui64>, {T})\n"
        return Instance(op, t, ("tensor<2xui64>",), ("tensor<2xui64>", T), body)
    raise NotImplementedError(f"no instance of stablehlo.{op} written for this test")


def claimed() -> list[tuple[str, str]]:
    """Every (op, element type) op_support_limits() lists."""
    ops = profile.op_support_limits()["ops"]
    return [(op, t) for op, entry in ops.items() for t in entry["element_types"]]


# Compiled and run on every element type the profile lists, with numpy's
# results, by test_profile.test_allowed_elementwise_ops_compile_and_run.
ELEMENTWISE_TESTED = frozenset(test_profile.UNARY + test_profile.BINARY)


def _random(spec, rng) -> np.ndarray:
    dtype = spec.element_type.dtype
    shape = tuple(spec.shape)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    if dtype == np.int32:
        return rng.integers(0, 2, shape).astype(dtype)  # indices, case branches
    if np.issubdtype(dtype, np.complexfloating):
        return (rng.uniform(0.5, 2, shape) + 1j * rng.uniform(0.5, 2, shape)).astype(dtype)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(1, 4, shape).astype(dtype)
    return rng.uniform(0.5, 2.0, shape).astype(dtype)


def _failing_functions(error: CompileError, instances: list[Instance]) -> set[str]:
    """The functions whose lines the diagnostics point at."""
    starts = []
    line = 1
    for inst in instances:
        text = inst.text()
        starts.append((line, line + text.count("\n") - 1, inst.function))
        line += text.count("\n")
    named = set()
    for diagnostic in error.diagnostics:
        for d in (diagnostic, *diagnostic.notes):
            if d.location is None:
                continue
            named |= {f for first, last, f in starts if first <= d.location.line <= last}
    return named


def _without_blamed(remaining: list[Instance], problems: dict[str, str], compile_once) -> list[Instance]:
    """Runs `compile_once(text)` until it passes, dropping the functions each
    failure blames (every one it names, so most failures cost one round)."""
    while remaining:
        try:
            compile_once("".join(inst.text() for inst in remaining))
            return remaining
        except CompileError as e:
            first_line = e.render().splitlines()[0]
            blamed = _failing_functions(e, remaining) or {inst.function for inst in remaining}
            for inst in remaining:
                if inst.function in blamed:
                    problems[inst.function] = f"compile: {first_line}"
            remaining = [inst for inst in remaining if inst.function not in blamed]
    return remaining


def _compile_halving(instances: list[Instance], problems: dict[str, str]) -> list[tuple[object, list[Instance]]]:
    """Models for the instances that compile, and their instances. IREE's
    own failures do not point at our lines (it reports locations of the IR
    it made), so a failing module is split in halves until each failure
    stands alone."""
    try:
        return [(webtensor.compile("".join(inst.text() for inst in instances), cache=False), instances)]
    except CompileError as e:
        if len(instances) == 1:
            problems[instances[0].function] = f"compile: {e.render().splitlines()[0]}"
            return []
    half = len(instances) // 2
    return _compile_halving(instances[:half], problems) + _compile_halving(instances[half:], problems)


def compile_and_run(instances: list[Instance]) -> dict[str, str]:
    """Compiles the instances as one module and calls each; the problems by
    function name. The front phases run in this process first (they are
    quick, and name every function at fault), then the whole compile."""
    problems: dict[str, str] = {}
    remaining = list(instances)
    for phase in ("sandboxed", "linalg"):
        remaining = _without_blamed(
            remaining, problems, lambda text: webtensor.compile_ir(text, phase=phase, isolate=False)
        )
    rng = np.random.default_rng(11)
    for model, compiled in _compile_halving(remaining, problems) if remaining else []:
        for inst in compiled:
            entry = model[inst.function]
            try:
                results = entry.call_flat([_random(spec, rng) for spec in entry.signature.inputs])
            except Exception as e:  # noqa: BLE001 - any failure is what the test reports
                problems[inst.function] = f"run: {type(e).__name__}: {e}"
                continue
            if len(results) != len(inst.results):
                problems[inst.function] = f"run: {len(results)} results, expected {len(inst.results)}"
    return problems


@pytest.mark.slow
def test_every_claimed_op_and_element_type_compiles_and_runs():
    instances = [instance(op, t) for op, t in claimed() if op not in ELEMENTWISE_TESTED]
    problems: dict[str, str] = {}
    # One module per element type: all of them in one would outlast the
    # compiler worker's wall-time limit on a busy machine.
    for element in profile.ELEMENT_TYPES:
        problems |= compile_and_run([inst for inst in instances if inst.element == element])
    assert not problems, "\n".join(f"{name}: {why}" for name, why in sorted(problems.items()))


def test_every_op_in_the_profile_has_an_instance():
    # The generator covers every listed op, so a new rule cannot slip past
    # the test above untried.
    for op, t in claimed():
        assert instance(op, t).op == op


# FFTs IREE 3.13 fails on deep inside its own lowering (f64, other lengths,
# several dimensions) are DFTs by matrix products (webtensor-expand-fft) up
# to a length; beyond it the profile refuses them at the op's line.
TOO_LONG = (
    f"is not in the profile: beyond IREE's own FFT (f32, one power-of-two dimension) it is a DFT by "
    f"matrix products, of lengths up to {profile.MAX_DFT_LENGTH}"
)
REFUSED_FFTS = [
    ("FFT, length = [2048]", "tensor<2048xcomplex<f64>>", "tensor<2048xcomplex<f64>>", f"an fft of length [2048] {TOO_LONG}"),
    ("RFFT, length = [1025]", "tensor<1025xf32>", "tensor<513xcomplex<f32>>", f"an fft of length [1025] {TOO_LONG}"),
    ("IRFFT, length = [4, 2048]", "tensor<4x1025xcomplex<f32>>", "tensor<4x2048xf32>", f"an fft of length [4, 2048] {TOO_LONG}"),
]


@pytest.mark.parametrize("kind, operand, result, message", REFUSED_FFTS)
def test_ffts_beyond_the_dft_length_are_refused_by_the_profile(kind, operand, result, message):
    src = (
        f"func.func @main(%x: {operand}) -> {result} {{\n"
        f"  %0 = stablehlo.fft %x, type = {kind} : ({operand}) -> {result}\n"
        f"  return %0 : {result}\n}}\n"
    )
    with pytest.raises(CompileError) as caught:
        webtensor.compile(src, cache=False)
    assert f"<text>:2:8: error: {message}" in str(caught.value)
    assert "the legalized phase failed" in caught.value.summary


def test_the_profile_lists_ffts_as_iree_and_the_dft_compute_them():
    entry = profile.op_support_limits()["ops"]["fft"]
    assert entry["element_types"] == ["f32", "f64", "complex<f32>", "complex<f64>"]
    assert entry["notes"] == profile.FFT_NOTES
    assert profile.fft_problem("f32", (1 << 16,)) is None  # IREE's own FFT
    assert profile.fft_problem("f64", (1 << 16,)) is not None
    assert profile.fft_problem("f64", (3, 5, profile.MAX_DFT_LENGTH)) is None


# Element types the profile no longer lists for an op, because IREE 3.13
# failed on them deep inside its own pipeline (a complex<f64> fill is a
# 128-bit splat its stream dialect rejects; rng_bit_generator into f16, bf16
# or f64 does not lower).
REMOVED = [
    ("pad", "complex<f64>"),
    ("reduce_window", "complex<f64>"),
    ("scatter", "complex<f64>"),
    ("rng_bit_generator", "f64"),
    ("rng_bit_generator", "bf16"),
]


@pytest.mark.parametrize("op, element", REMOVED)
def test_removed_element_types_are_refused_by_the_profile(op, element):
    allowed = ", ".join(profile.OPS[f"stablehlo.{op}"].types)
    with pytest.raises(CompileError) as caught:
        webtensor.compile(instance(op, element).text(), cache=False)
    assert f"error: 'stablehlo.{op}' does not take {element}; it takes {allowed}" in str(caught.value)
    assert "the legalized phase failed" in caught.value.summary


SPLAT_IN_A_LOOP = """
func.func @main(%x: tensor<4xcomplex<f64>>, %n: tensor<i32>) -> tensor<4xcomplex<f64>> {
  %z = stablehlo.constant dense<(0.0, 0.0)> : tensor<4xcomplex<f64>>
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %w:2 = stablehlo.while(%i = %zero, %acc = %z) : tensor<i32>, tensor<4xcomplex<f64>>
    cond {
      %c = stablehlo.compare LT, %i, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %i2 = stablehlo.add %i, %one : tensor<i32>
      %a2 = stablehlo.add %acc, %x : tensor<4xcomplex<f64>>
      stablehlo.return %i2, %a2 : tensor<i32>, tensor<4xcomplex<f64>>
    }
  return %w#1 : tensor<4xcomplex<f64>>
}
"""


RETURNED = """
func.func @main() -> tensor<2xcomplex<f64>> {
  %0 = stablehlo.constant dense<[(1.0, 2.0), (3.0, 4.0)]> : tensor<2xcomplex<f64>>
  return %0 : tensor<2xcomplex<f64>>
}
"""

SPLAT = """
func.func @main(%x: tensor<4xcomplex<f64>>) -> tensor<4xcomplex<f64>> {
  %0 = stablehlo.constant dense<(1.0, 2.0)> : tensor<4xcomplex<f64>>
  %1 = stablehlo.add %x, %0 : tensor<4xcomplex<f64>>
  return %1 : tensor<4xcomplex<f64>>
}
"""

MATERIALISED = (
    "a complex<f64> constant that is returned, carried by a loop or a branch, or passed to "
    "optimization_barrier is not in the profile: IREE 3.13 cannot make a buffer of it"
)


@pytest.mark.parametrize(
    "src, message",
    [
        # IREE 3.13: "'stream.async.splat' op operand #0 must be 8-bit ... signless integer, but got 'i128'".
        (SPLAT_IN_A_LOOP, MATERIALISED),
        # IREE 3.13: the compiler died of SIGFPE.
        (RETURNED, MATERIALISED),
        (SPLAT, "a complex<f64> constant whose elements are all equal is not in the profile: IREE 3.13 cannot fill a buffer with a 128-bit value"),
    ],
    ids=["loop-carried splat", "returned", "splat"],
)
def test_complex_f64_constants_iree_cannot_buffer_are_refused_by_the_profile(src, message):
    with pytest.raises(CompileError) as caught:
        webtensor.compile(src, cache=False)
    assert f"<text>:3:8: error: {message}; pass it as an argument, or use complex<f32>" in str(caught.value)
    assert "the legalized phase failed" in caught.value.summary


def test_the_same_constants_in_complex_f32_compile_and_run():
    for src in (SPLAT_IN_A_LOOP, RETURNED):
        model = webtensor.compile(src.replace("complex<f64>", "complex<f32>"), cache=False)
        if src is RETURNED:
            np.testing.assert_array_equal(model(), np.array([1 + 2j, 3 + 4j], np.complex64))
            continue
        x = np.array([1 + 2j, 3, -1j, 0.5], np.complex64)
        np.testing.assert_allclose(model(x, np.int32(3)), 3 * x, rtol=1e-6)
