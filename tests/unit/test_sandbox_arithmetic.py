"""The arithmetic sandbox end to end: integer division, shifts and
float-to-integer conversion compiled through the whole pipeline and run.

Each case checks two things: in-range inputs give exactly what jax.jit gives
(the sandbox never changes a correct model), and the edge cases give the
defined values of passes/sandbox_*.py, computed here by a plain Python
reference. XLA on the CPU happens to define every one of these edge cases the
same way, so jax.jit is compared on the edge cases too.

One module per element type computes every case at once, to keep compiles few.
"""

import itertools

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from jax import lax

import webtensor
from webtensor.tests.spec import convert_reference

SIGNED = [np.int8, np.int16, np.int32, np.int64]
UNSIGNED = [np.uint8, np.uint16, np.uint32, np.uint64]
INTEGERS = SIGNED + UNSIGNED
FLOATS = [np.float16, ml_dtypes.bfloat16, np.float32, np.float64]

# IREE demotes f64 to f32 unless told not to, and the artifact then expects
# f32 arguments; these tests want f64 as f64.
KEEP_F64 = ("--iree-input-demote-f64-to-f32=false",)

MLIR_NAMES = {
    np.dtype(np.int8): "i8", np.dtype(np.int16): "i16", np.dtype(np.int32): "i32", np.dtype(np.int64): "i64",
    np.dtype(np.uint8): "ui8", np.dtype(np.uint16): "ui16", np.dtype(np.uint32): "ui32", np.dtype(np.uint64): "ui64",
    np.dtype(np.float16): "f16", np.dtype(ml_dtypes.bfloat16): "bf16", np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64", np.dtype(np.complex64): "complex<f32>", np.dtype(np.complex128): "complex<f64>",
}


def mlir(dtype) -> str:
    return MLIR_NAMES[np.dtype(dtype)]


def elementwise_module(inputs: list, ops: list[tuple[str, str]], n: int) -> str:
    """`@main(%a, %b, ...)` returning `op(args) -> type` for each (op text, result element)."""
    params = ", ".join(f"%{name}: tensor<{n}x{element}>" for name, element in inputs)
    results = ", ".join(f"tensor<{n}x{element}>" for _, element in ops)
    body = "\n".join(f"  %r{i} = {op}" for i, (op, _) in enumerate(ops))
    names = ", ".join(f"%r{i}" for i in range(len(ops)))
    return f"func.func @main({params}) -> ({results}) {{\n{body}\n  return {names} : {results}\n}}\n"


def wrap(value: int, dtype) -> int:
    """`value` as the integer type holds it (two's complement wrap)."""
    info = np.iinfo(dtype)
    return (value - int(info.min)) % (1 << info.bits) + int(info.min)


@pytest.fixture
def rng():
    return np.random.default_rng()


def as_ints(array) -> list[int]:
    return [int(v) for v in np.asarray(array).tolist()]


# --- Integer division ----------------------------------------------------------

def divide_reference(a: int, b: int, dtype) -> tuple[int, int]:
    """x / 0 = -1, x % 0 = x, INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0; else C's."""
    if b == 0:
        return wrap(-1, dtype), a
    quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    return wrap(quotient, dtype), a - b * quotient


def division_operands(dtype, rng) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of edge values, then random pairs."""
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    edges = sorted({0, 1, 7, hi, hi - 1, lo, lo + 1, wrap(-1, dtype), wrap(-7, dtype)})
    a_edge, b_edge = zip(*itertools.product(edges, edges))
    a_random = rng.integers(lo, hi, 200, dtype=dtype, endpoint=True)
    b_random = rng.integers(lo, hi, 200, dtype=dtype, endpoint=True) >> rng.integers(0, info.bits, 200).astype(dtype)
    a = np.concatenate([np.array(a_edge, dtype), a_random])
    b = np.concatenate([np.array(b_edge, dtype), b_random])
    return a, b


@pytest.mark.parametrize("dtype", INTEGERS, ids=lambda d: mlir(d))
def test_integer_division(dtype, rng):
    a, b = division_operands(dtype, rng)
    t = f"tensor<{a.size}x{mlir(dtype)}>"
    text = elementwise_module(
        [("a", mlir(dtype)), ("b", mlir(dtype))],
        [(f"stablehlo.divide %a, %b : {t}", mlir(dtype)), (f"stablehlo.remainder %a, %b : {t}", mlir(dtype))],
        a.size,
    )
    quotient, remainder = webtensor.compile(text)(a, b)
    want = [divide_reference(x, y, dtype) for x, y in zip(as_ints(a), as_ints(b))]
    assert as_ints(quotient) == [q for q, _ in want]
    assert as_ints(remainder) == [r for _, r in want]
    with jax.enable_x64(True):
        np.testing.assert_array_equal(quotient, jax.jit(lax.div)(a, b))
        np.testing.assert_array_equal(remainder, jax.jit(lax.rem)(a, b))


def test_the_named_division_edge_cases():
    a = np.array([5, -5, -128, -128, 0, -128], np.int8)
    b = np.array([0, 0, -1, -1, 0, 0], np.int8)
    text = elementwise_module(
        [("a", "i8"), ("b", "i8")],
        [("stablehlo.divide %a, %b : tensor<6xi8>", "i8"), ("stablehlo.remainder %a, %b : tensor<6xi8>", "i8")],
        6,
    )
    quotient, remainder = webtensor.compile(text)(a, b)
    assert quotient.tolist() == [-1, -1, -128, -128, -1, -1]
    assert remainder.tolist() == [5, -5, 0, 0, 0, -128]


def test_boolean_division_is_rejected_at_parse_time():
    text = elementwise_module([("a", "i1"), ("b", "i1")], [("stablehlo.divide %a, %b : tensor<4xi1>", "i1")], 4)
    with pytest.raises(webtensor.CompileError, match="must be ranked tensor of 2/4/8/16/32/64-bit integer"):
        webtensor.compile(text)


# --- Shifts -------------------------------------------------------------------

SHIFTS = ("shift_left", "shift_right_logical", "shift_right_arithmetic")


def shift_reference(op: str, x: int, amount: int, dtype) -> int:
    """Amounts read as unsigned; at least the width gives 0, or the sign fill."""
    bits = np.iinfo(dtype).bits
    pattern = x % (1 << bits)  # x's bits, as an unsigned number
    signed = pattern - (1 << bits) if pattern >> (bits - 1) else pattern  # top bit read as a sign
    n = amount % (1 << bits)
    if op == "shift_right_arithmetic":
        return wrap(signed >> min(n, bits - 1), dtype)
    if n >= bits:
        return 0
    if op == "shift_left":
        return wrap(pattern << n, dtype)
    return wrap(pattern >> n, dtype)


def shift_operands(dtype, rng) -> tuple[np.ndarray, np.ndarray]:
    """Edge values shifted by edge amounts, then random values by in-range amounts."""
    info = np.iinfo(dtype)
    bits = info.bits
    values = [0, 1, 5, int(info.max), wrap(int(info.min), dtype), wrap(-5, dtype), wrap(1 << (bits - 1), dtype)]
    amounts = [wrap(n, dtype) for n in (0, 1, bits - 1, bits, bits + 1, 255, -1, 2 * bits, 1 << (bits - 1))]
    x_edge, n_edge = zip(*itertools.product(values, amounts))
    x_random = rng.integers(info.min, info.max, 200, dtype=dtype, endpoint=True)
    n_random = rng.integers(0, bits, 200).astype(dtype)
    return np.concatenate([np.array(x_edge, dtype), x_random]), np.concatenate([np.array(n_edge, dtype), n_random])


@pytest.mark.parametrize("dtype", INTEGERS, ids=lambda d: mlir(d))
def test_shifts(dtype, rng):
    x, n = shift_operands(dtype, rng)
    t = f"tensor<{x.size}x{mlir(dtype)}>"
    text = elementwise_module(
        [("x", mlir(dtype)), ("n", mlir(dtype))], [(f"stablehlo.{op} %x, %n : {t}", mlir(dtype)) for op in SHIFTS], x.size
    )
    results = webtensor.compile(text)(x, n)
    for op, got in zip(SHIFTS, results):
        want = [shift_reference(op, a, b, dtype) for a, b in zip(as_ints(x), as_ints(n))]
        assert as_ints(got) == want, op
    with jax.enable_x64(True):
        for got, oracle in zip(results, (lax.shift_left, lax.shift_right_logical, lax.shift_right_arithmetic)):
            np.testing.assert_array_equal(got, jax.jit(oracle)(x, n))


def test_the_named_shift_edge_cases():
    x = np.array([-5, -5, -5, -5, 5, 5], np.int32)
    n = np.array([32, 33, 255, -1, 32, 31], np.int32)
    t = "tensor<6xi32>"
    text = elementwise_module([("x", "i32"), ("n", "i32")], [(f"stablehlo.{op} %x, %n : {t}", "i32") for op in SHIFTS], 6)
    left, logical, arithmetic = webtensor.compile(text)(x, n)
    assert left.tolist() == [0, 0, 0, 0, 0, -(1 << 31)]
    assert logical.tolist() == [0, 0, 0, 0, 0, 0]
    assert arithmetic.tolist() == [-1, -1, -1, -1, 0, 0]


# --- Float to integer ------------------------------------------------------------




def neighbours(value: float, dtype) -> list:
    """value as `dtype`, and the values of `dtype` just below and above it."""
    v = np.array([value], dtype)
    bits = v.view(f"u{v.itemsize}")
    return [v, (bits - 1).view(dtype), (bits + 1).view(dtype)]


def float_operands(dtype, rng) -> np.ndarray:
    """NaN, infinities, zeros, each integer type's bounds and their
    neighbours, the largest finite values, then random values of every size."""
    finfo = ml_dtypes.finfo(dtype)
    edges = [np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, -0.5, 1.5, -1.5, -1.0], dtype)]
    for value in (float(finfo.max), float(finfo.smallest_subnormal)):
        edges += neighbours(value, dtype) + neighbours(-value, dtype)
    for bits in (7, 8, 15, 16, 31, 32, 63, 64):
        edges += neighbours(2.0**bits, dtype) + neighbours(-(2.0**bits), dtype)
    magnitudes = 2.0 ** rng.uniform(-2, 70, 300)
    random = (rng.choice([-1.0, 1.0], 300) * magnitudes).astype(dtype)
    return np.concatenate(edges + [random])


def float_to_int_module(source, n: int) -> str:
    return elementwise_module(
        [("x", mlir(source))],
        [(f"stablehlo.convert %x : (tensor<{n}x{mlir(source)}>) -> tensor<{n}x{mlir(t)}>", mlir(t)) for t in INTEGERS],
        n,
    )


@pytest.mark.parametrize("source", FLOATS, ids=lambda d: mlir(d))
def test_float_to_int(source, rng):
    with np.errstate(over="ignore"):  # 2^31 and up are inf in f16, on purpose
        x = float_operands(source, rng)
    results = webtensor.compile(float_to_int_module(source, x.size), iree_flags=KEEP_F64)(x)
    values = [float(v) for v in x.astype(np.float64)]
    for target, got in zip(INTEGERS, results):
        want = [convert_reference(v, target) for v in values]
        assert as_ints(got) == want, mlir(target)
    with jax.enable_x64(True):
        for target, got in zip(INTEGERS, results):
            np.testing.assert_array_equal(got, jax.jit(lambda v, t=target: lax.convert_element_type(v, t))(x))


def test_the_named_float_to_int_edge_cases():
    x = np.array([np.nan, np.inf, -np.inf, 3e9, -3e9, -0.0, 2.0**31, 2147483520.0, -2.7, 2.7], np.float32)
    results = webtensor.compile(float_to_int_module(np.float32, x.size))(x)
    by_target = dict(zip(INTEGERS, results))
    assert by_target[np.int32].tolist() == [
        0, 2**31 - 1, -(2**31), 2**31 - 1, -(2**31), 0, 2**31 - 1, 2147483520, -2, 2,
    ]
    assert by_target[np.uint8].tolist() == [0, 255, 0, 255, 0, 0, 255, 255, 0, 2]
    assert by_target[np.int64].tolist()[:7] == [0, 2**63 - 1, -(2**63), 3000000000, -3000000000, 0, 2**31]


@pytest.mark.parametrize("source", [np.complex64, np.complex128], ids=lambda d: mlir(d))
def test_complex_to_int_converts_the_real_part(source, rng):
    real = np.concatenate([[np.nan, np.inf, -np.inf, 1e20, -1e20, -0.0, 2.5, -2.5], rng.uniform(-300, 300, 8)])
    x = (real + 1j * rng.uniform(-1e30, 1e30, real.size)).astype(source)
    results = webtensor.compile(float_to_int_module(source, x.size), iree_flags=KEEP_F64)(x)
    for target, got in zip(INTEGERS, results):
        assert as_ints(got) == [convert_reference(float(v), target) for v in x.real], mlir(target)


def test_float_to_bool_is_not_zero():
    """Already defined, left alone: NaN and any non-zero value are true."""
    # Not a subnormal: the CPU (IREE's and XLA's alike) reads those as zero.
    x = np.array([np.nan, np.inf, 0.0, -0.0, 1e-30, -2.0], np.float32)
    text = elementwise_module([("x", "f32")], [("stablehlo.convert %x : (tensor<6xf32>) -> tensor<6xi1>", "i1")], 6)
    assert webtensor.compile(text)(x).tolist() == [True, True, False, False, True, True]


# --- From JAX, and with dynamic shapes -------------------------------------------

def test_jax_function_matches_jax_jit(rng):
    """Integer floor division, shifts and float casts as JAX writes them."""

    def f(a, b, x):
        return a // b, a % b, a << (b & 31), lax.shift_right_arithmetic(a, b), x.astype(jnp.int32), x.astype(jnp.uint8)

    a = rng.integers(-(2**31), 2**31, 64, dtype=np.int32)
    b = rng.integers(-40, 40, 64, dtype=np.int32)
    x = (rng.standard_normal(64) * 1e3).astype(np.float32)
    model = webtensor.compile(f, a, b, x)
    for _ in range(2):
        a = rng.integers(-(2**31), 2**31, 64, dtype=np.int32)
        b = rng.integers(-40, 40, 64, dtype=np.int32)
        x = (rng.standard_normal(64) * 1e3).astype(np.float32)
        for got, want in zip(model(a, b, x), jax.jit(f)(a, b, x)):
            np.testing.assert_array_equal(got, want)


DYNAMIC = """
func.func @main(%a: tensor<?xi32, #stablehlo.bounds<16>>, %b: tensor<?xi32, #stablehlo.bounds<16>>,
                %x: tensor<?xbf16, #stablehlo.bounds<16>>)
    -> (tensor<?xi32, #stablehlo.bounds<16>>, tensor<?xi32, #stablehlo.bounds<16>>,
        tensor<?xi32, #stablehlo.bounds<16>>, tensor<?xi16, #stablehlo.bounds<16>>) {
  %0 = stablehlo.divide %a, %b : tensor<?xi32, #stablehlo.bounds<16>>
  %1 = stablehlo.remainder %a, %b : tensor<?xi32, #stablehlo.bounds<16>>
  %2 = stablehlo.shift_right_arithmetic %a, %b : tensor<?xi32, #stablehlo.bounds<16>>
  %3 = stablehlo.convert %x : (tensor<?xbf16, #stablehlo.bounds<16>>) -> tensor<?xi16, #stablehlo.bounds<16>>
  return %0, %1, %2, %3 : tensor<?xi32, #stablehlo.bounds<16>>, tensor<?xi32, #stablehlo.bounds<16>>,
                          tensor<?xi32, #stablehlo.bounds<16>>, tensor<?xi16, #stablehlo.bounds<16>>
}
"""


def test_dynamic_shapes():
    """A dynamic shape has no splat constant; the rewrites still apply."""
    model = webtensor.compile(DYNAMIC)
    for n in (3, 7):
        a = np.array([7, -(2**31), -(2**31), -9, 100, 5, 6][:n], np.int32)
        b = np.array([0, -1, 0, 40, -1, 2, 3][:n], np.int32)
        x = np.array([np.nan, np.inf, -np.inf, 4e4, -4e4, -1.5, 1.5][:n], ml_dtypes.bfloat16)
        quotient, remainder, shifted, converted = model(a, b, x)
        assert quotient.tolist() == [divide_reference(int(p), int(q), np.int32)[0] for p, q in zip(a, b)]
        assert remainder.tolist() == [divide_reference(int(p), int(q), np.int32)[1] for p, q in zip(a, b)]
        assert shifted.tolist() == [shift_reference("shift_right_arithmetic", int(p), int(q), np.int32) for p, q in zip(a, b)]
        assert converted.tolist() == [convert_reference(float(v), np.int16) for v in x.astype(np.float64)]


# --- compares that choose their own signedness --------------------------------

DIRECTIONS = {"LT": np.less, "LE": np.less_equal, "GT": np.greater, "GE": np.greater_equal}


@pytest.mark.parametrize("dtype", INTEGERS, ids=lambda t: np.dtype(t).name)
def test_compares_read_integers_as_their_compare_type_says(dtype):
    """IREE alone reads integers by their element type and ignores the
    compare's SIGNED/UNSIGNED; sandboxed, both readings are the spec's."""
    info = np.iinfo(dtype)
    name = {"i": "i", "u": "ui"}[np.dtype(dtype).kind] + str(info.bits)
    t = f"tensor<16x{name}>"
    lines, results = [], []
    for direction in DIRECTIONS:
        for kind in ("SIGNED", "UNSIGNED"):
            lines.append(f"%{direction}_{kind} = stablehlo.compare {direction}, %a, %b, {kind} : ({t}, {t}) -> tensor<16xi1>")
            results.append(f"%{direction}_{kind}")
    text = (
        f"func.func @main(%a: {t}, %b: {t}) -> ({', '.join(['tensor<16xi1>'] * len(results))}) {{\n"
        + "\n".join(lines)
        + f"\nreturn {', '.join(results)} : {', '.join(['tensor<16xi1>'] * len(results))}\n}}"
    )
    rng = np.random.default_rng(0)
    edges = np.array([info.min, info.min + 1, -1 if info.min else 1, 0, 1, info.max - 1, info.max, 2], dtype=np.int64 if info.min else np.uint64)
    a = np.concatenate([edges, rng.integers(info.min, info.max, 8, endpoint=True, dtype=dtype)]).astype(dtype)
    b = np.concatenate([edges[::-1], rng.integers(info.min, info.max, 8, endpoint=True, dtype=dtype)]).astype(dtype)
    got = webtensor.compile(text)(a, b)
    bits = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}[info.bits]
    signed = {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}[info.bits]
    readings = {"SIGNED": (a.view(signed), b.view(signed)), "UNSIGNED": (a.view(bits), b.view(bits))}
    want = [DIRECTIONS[d](*readings[k]) for d in DIRECTIONS for k in ("SIGNED", "UNSIGNED")]
    for (d, k), g, w in zip(itertools.product(DIRECTIONS, ("SIGNED", "UNSIGNED")), got, want):
        np.testing.assert_array_equal(g, w, err_msg=f"{d} {k}")
