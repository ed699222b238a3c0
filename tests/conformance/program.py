"""One StableHLO testdata file as a program to compile, its inputs, and the
checks its results must pass.

A file of openxla/stablehlo's `stablehlo/testdata` is self-checking: `@main`
calls `@inputs()` and `@expected()` (functions of constants), computes, and
compares with `stablehlo.custom_call @check.expect_*(actual, expected)`. The
custom calls are no program a host accepts, and constant inputs would let a
compiler fold the whole computation away, so `load` rewrites `@main`: the
values of `@inputs()` become its arguments, every check's actual value one of
its results, and the checks go. The inputs and the expected values are read
from their constants here, in numpy, never through the compiler under test.

`compare` applies a check with the semantics of stablehlo-translate
--interpret (stablehlo/tools/StablehloTranslateMain.cpp and
stablehlo/tests/CheckOps.cpp at the data's commit):

- `check.expect_eq`: every element equal (IEEE equality for floats, so
  -0 == 0 and NaN != NaN; complex parts each);
- `check.expect_almost_eq`: |actual - expected| <= 0.001 for each float (or
  complex part), where NaN matches only NaN and an infinity only itself;
- `check.expect_close`: at most 3 ULP apart (0 for bitwise-equal values and
  for any two NaNs; a finite and a non-finite value never match).
"""

from __future__ import annotations

import dataclasses
import re

import ml_dtypes
import numpy as np
from iree.compiler import ir

CHECKS = ("check.expect_eq", "check.expect_almost_eq", "check.expect_close")
ALMOST_EQ_TOLERANCE = 0.001
CLOSE_MAX_ULP = 3

DTYPES = {
    "i1": np.dtype(np.bool_),
    "i8": np.dtype(np.int8), "i16": np.dtype(np.int16), "i32": np.dtype(np.int32), "i64": np.dtype(np.int64),
    "ui8": np.dtype(np.uint8), "ui16": np.dtype(np.uint16), "ui32": np.dtype(np.uint32), "ui64": np.dtype(np.uint64),
    "f16": np.dtype(np.float16), "bf16": np.dtype(ml_dtypes.bfloat16),
    "f32": np.dtype(np.float32), "f64": np.dtype(np.float64),
    "complex<f32>": np.dtype(np.complex64), "complex<f64>": np.dtype(np.complex128),
}

_FAMILY_END = re.compile(r"_(dtypes|shape|shapes|float|bfloat|int|uint|complex|bool|\d).*$")


class Unsupported(Exception):
    """A file this harness cannot turn into a program (not a finding about
    the compiler)."""


@dataclasses.dataclass
class Check:
    kind: str  # one of CHECKS
    expected: np.ndarray


@dataclasses.dataclass
class Case:
    name: str
    family: str
    program: str  # StableHLO text: @main(inputs...) -> (actual values...)
    inputs: list[np.ndarray]
    checks: list[Check]


def family_of(name: str) -> str:
    """`scatter_add_...` -> `scatter_add`, `abs_float32_20_20` -> `abs`."""
    stem = name.removesuffix(".mlir")
    return _FAMILY_END.sub("", stem).rstrip("_") or stem


def load(path: str) -> Case:
    with open(path) as f:
        text = f.read()
    name = path.rsplit("/", 1)[-1]
    with ir.Context(), ir.Location.unknown():
        module = ir.Module.parse(text)
        return _rewrite(name, module)


def _rewrite(name: str, module: ir.Module) -> Case:
    functions = {_symbol(op): op for op in module.body.operations if op.operation.name == "func.func"}
    main = functions.get("main")
    if main is None:
        raise Unsupported("no @main")
    block = main.regions[0].blocks[0]
    ops = [op.operation for op in block.operations]
    checks = [op for op in ops if op.name == "stablehlo.custom_call" and _callee(op, "call_target_name") in CHECKS]
    if not checks:
        raise Unsupported("no check.expect_* call in @main")
    inputs = _bind_inputs(block, ops, functions)
    expected = [Check(_callee(op, "call_target_name"), _constant_of(op.operands[1], functions)) for op in checks]
    actual = [op.operands[0] for op in checks]
    old_return = ops[-1]
    with ir.InsertionPoint(old_return), old_return.location:
        ir.Operation.create("func.return", operands=actual)
    for op in checks + [old_return]:
        op.erase()
    _erase_dead_calls(block)
    for symbol in ("inputs", "expected"):
        if symbol in functions:
            functions[symbol].operation.erase()
    arguments = [arg.type for arg in block.arguments]
    main.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(arguments, [v.type for v in actual]))
    for attr in ("arg_attrs", "res_attrs"):
        if attr in main.attributes:
            del main.attributes[attr]
    program = module.operation.get_asm(assume_verified=True)
    return Case(name, family_of(name), program, inputs, expected)


def _bind_inputs(block: ir.Block, ops: list, functions: dict) -> list[np.ndarray]:
    """Replaces `call @inputs()` with arguments of @main; their values."""
    calls = [op for op in ops if op.name == "func.call" and _callee(op, "callee") == "inputs"]
    if not calls:
        return []
    if len(calls) > 1 or len(block.arguments):
        raise Unsupported("@main calls @inputs more than once or has arguments")
    call = calls[0]
    values = []
    for result in call.results:
        values.append(_constant_of(result, functions))
        result.replace_all_uses_with(block.add_argument(result.type, call.location))
    call.erase()
    return values


def _erase_dead_calls(block: ir.Block) -> None:
    for op in [op.operation for op in block.operations]:
        if op.name == "func.call" and _callee(op, "callee") == "expected":
            if any(True for result in op.results for _ in result.uses):
                raise Unsupported("@expected() is used by more than the checks")
            op.erase()


def _constant_of(value: ir.Value, functions: dict) -> np.ndarray:
    """The numpy value of `value`: a constant, or a result of a call of a
    function that returns constants (@inputs, @expected)."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        raise Unsupported("a check compares a block argument")
    owner = owner.operation
    if owner.name == "func.call":
        callee = functions[_callee(owner, "callee")]
        returned = list(callee.regions[0].blocks[0].operations)[-1].operation
        return _constant_of(returned.operands[value.result_number], functions)
    if owner.name == "stablehlo.constant":
        return parse_constant(owner)
    raise Unsupported(f"an expected value or input is computed by {owner.name}, not a constant")


def _symbol(op) -> str:
    return ir.StringAttr(op.operation.attributes["sym_name"]).value


def _callee(op: ir.Operation, attr: str) -> str:
    value = op.attributes[attr]
    if isinstance(value, ir.FlatSymbolRefAttr):
        return value.value
    return ir.StringAttr(value).value


# --- Dense literals ---------------------------------------------------------------

_DENSE = re.compile(r"dense<(.*)>\s*:\s*(tensor<[^>]*(?:<[^>]*>)?[^>]*>)\s*$", re.S)
_TOKEN = re.compile(r"[^\s\[\](),]+")


def parse_constant(op: ir.Operation) -> np.ndarray:
    """The value of a `stablehlo.constant`, read from its printed text (the
    bindings cannot read complex data)."""
    t = ir.RankedTensorType(op.results[0].type)
    element = str(t.element_type)
    if element not in DTYPES:
        raise Unsupported(f"element type {element}")
    text = op.get_asm(assume_verified=True).strip()
    match = _DENSE.search(text)
    if not match:
        raise Unsupported(f"constant not in dense<...> form: {text[:80]}")
    return parse_dense(match.group(1).strip(), element, list(t.shape))


def parse_dense(body: str, element: str, shape: list[int]) -> np.ndarray:
    """`dense<BODY>` of a tensor of `element` and `shape` as numpy."""
    dtype = DTYPES[element]
    count = int(np.prod(shape, dtype=np.int64))
    if body.startswith('"0x'):
        raw = bytes.fromhex(body[3:-1])
        flat = np.frombuffer(raw, dtype=np.uint8).astype(np.bool_) if dtype == np.bool_ else np.frombuffer(raw, dtype=dtype)
    else:
        flat = _parse_literals(_TOKEN.findall(body), element)
    if flat.size == 1 and count != 1:
        flat = np.full(count, flat[0], dtype=dtype)
    if flat.size != count:
        raise Unsupported(f"a constant holds {flat.size} values for shape {shape}")
    return flat.reshape(shape).copy()


def _parse_literals(tokens: list[str], element: str) -> np.ndarray:
    dtype = DTYPES[element]
    if dtype == np.bool_:
        return np.array([_bool(t) for t in tokens], dtype=np.bool_)
    if dtype.kind in "iu":
        return np.array([_wrap(int(t, 0), dtype) for t in tokens], dtype=np.uint64 if dtype.kind == "u" else np.int64).astype(dtype)
    part = np.dtype(np.float32) if dtype == np.complex64 else np.dtype(np.float64) if dtype == np.complex128 else dtype
    values = np.array([_float(t, part) for t in tokens], dtype=part)
    if dtype.kind != "c":
        return values
    pairs = np.empty(values.size // 2, dtype=dtype)
    pairs.real, pairs.imag = values[0::2], values[1::2]
    return pairs


def _bool(token: str) -> bool:
    if token in ("true", "false"):
        return token == "true"
    return bool(int(token, 0))


def _wrap(value: int, dtype: np.dtype) -> int:
    bits = dtype.itemsize * 8
    value %= 1 << bits
    if dtype.kind == "i" and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def _float(token: str, dtype: np.dtype):
    if token.lower().startswith("0x"):  # a bit pattern: NaN, infinity
        bits = np.array([int(token, 16)], dtype=f"u{dtype.itemsize}")
        return bits.view(dtype)[0]
    return np.array(float(token)).astype(dtype)[()]


# --- The checks ---------------------------------------------------------------------


def compare(kind: str, actual: np.ndarray, expected: np.ndarray) -> str | None:
    """Why `actual` fails the check, or None if it passes."""
    actual = np.asarray(actual)
    if actual.shape != expected.shape:
        return f"shape {list(actual.shape)}, expected {list(expected.shape)}"
    if actual.dtype != expected.dtype:
        return f"element type {actual.dtype}, expected {expected.dtype}"
    if kind == "check.expect_eq" or expected.dtype.kind in "biu":
        bad = ~_equal(actual, expected)
    elif kind == "check.expect_almost_eq":
        bad = ~_parts(actual, expected, _almost_equal)
    else:
        bad = ~_parts(actual, expected, lambda a, e: _ulp_difference(a, e) <= CLOSE_MAX_ULP)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"{kind}: {int(bad.sum())} of {bad.size} elements differ; at {list(index)}: {actual[index]!r} vs {expected[index]!r} (expected)"


def _equal(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    if actual.dtype == ml_dtypes.bfloat16:
        return actual.astype(np.float32) == expected.astype(np.float32)
    return actual == expected


def _parts(actual: np.ndarray, expected: np.ndarray, ok) -> np.ndarray:
    if actual.dtype.kind == "c":
        return ok(actual.real, expected.real) & ok(actual.imag, expected.imag)
    return ok(actual, expected)


def _almost_equal(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    a, e = actual.astype(np.float64), expected.astype(np.float64)
    both_nan = np.isnan(a) & np.isnan(e)
    finite = np.isfinite(a) & np.isfinite(e)
    with np.errstate(invalid="ignore"):
        return both_nan | (a == e) | (finite & (np.abs(a - e) <= ALMOST_EQ_TOLERANCE))


def _ulp_difference(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """StableHLO's ULPDifference, elementwise, as uint64 (max for a
    finite/non-finite pair)."""
    unsigned = np.dtype(f"u{actual.dtype.itemsize}")
    a_bits, e_bits = actual.view(unsigned).astype(np.uint64), expected.view(unsigned).astype(np.uint64)
    sign = np.uint64(1) << np.uint64(actual.dtype.itemsize * 8 - 1)
    a_mag, e_mag = a_bits & ~sign, e_bits & ~sign
    a_neg, e_neg = (a_bits & sign) != 0, (e_bits & sign) != 0
    wide_a, wide_e = actual.astype(np.float64), expected.astype(np.float64)
    finite = np.isfinite(wide_a) & np.isfinite(wide_e)
    same_sign = np.where(a_mag > e_mag, a_mag - e_mag, e_mag - a_mag)
    distance = np.where(a_neg == e_neg, same_sign, a_mag + e_mag)
    top = np.uint64(np.iinfo(np.uint64).max)
    result = np.where(finite, distance, top)
    result = np.where(np.isnan(wide_a) & np.isnan(wide_e), np.uint64(0), result)
    return np.where(a_bits == e_bits, np.uint64(0), result)
