"""The profile's claims hold: every elementwise op it allows compiles and
runs on every element type it lists, with numpy's results where numpy has
the same op; and the profile is queryable as data."""

import json

import numpy as np
import pytest

import webtensor
from webtensor.dialects import profile
from webtensor.runtime import dtypes

UNARY = (
    "abs cbrt ceil cosine count_leading_zeros exponential exponential_minus_one floor is_finite log "
    "log_plus_one logistic negate not popcnt round_nearest_afz round_nearest_even rsqrt sign sine sqrt tan tanh"
).split()
BINARY = "add and atan2 divide maximum minimum multiply or power remainder subtract xor".split()

# Where numpy computes the same thing (modulo float tolerance).
NUMPY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "maximum": np.maximum,
    "minimum": np.minimum, "negate": np.negative, "and": np.bitwise_and, "or": np.bitwise_or,
    "xor": np.bitwise_xor, "not": np.invert, "abs": np.abs, "exponential": np.exp, "log": np.log,
    "sine": np.sin, "cosine": np.cos, "tanh": np.tanh, "sqrt": np.sqrt, "floor": np.floor,
    "ceil": np.ceil, "sign": np.sign, "round_nearest_even": np.rint,
}


def _allowed(op: str, element: str) -> bool:
    rule = profile.OPS[f"stablehlo.{op}"]
    return element in rule.types


def _module(element: str, ops: list[str]) -> str:
    t = f"tensor<8x{element}>"
    lines, results, types = [], [], []
    for i, op in enumerate(ops):
        result_type = f"tensor<8xi1>" if op == "is_finite" else t
        if op == "abs" and element.startswith("complex"):
            result_type = f"tensor<8x{element[len('complex<'):-1]}>"  # |complex| is real
        operands = "(%a, %b)" if op in BINARY else "(%a)"
        signature = f"({t}, {t})" if op in BINARY else f"({t})"
        lines.append(f'  %r{i} = "stablehlo.{op}"{operands} : {signature} -> {result_type}')
        results.append(f"%r{i}")
        types.append(result_type)
    return (
        f"func.func @main(%a: {t}, %b: {t}) -> ({', '.join(types)}) {{\n"
        + "\n".join(lines)
        + f"\n  return {', '.join(results)} : {', '.join(types)}\n}}\n"
    )


def _inputs(element: str, rng):
    dtype = dtypes.BY_MLIR[element].dtype
    if element.startswith("complex"):
        return [(rng.uniform(0.5, 2, 8) + 1j * rng.uniform(0.5, 2, 8)).astype(dtype) for _ in range(2)]
    if element in profile.FLOATS:
        return [rng.uniform(0.5, 2.0, 8).astype(dtype) for _ in range(2)]
    if element == "i1":
        return [rng.integers(0, 2, 8).astype(bool) for _ in range(2)]
    info = np.iinfo(dtype)
    low = max(info.min, -100)
    return [rng.integers(low, 100, 8).astype(dtype), rng.integers(1, 100, 8).astype(dtype)]


@pytest.mark.parametrize("element", profile.ELEMENT_TYPES)
def test_allowed_elementwise_ops_compile_and_run(element):
    ops = [op for op in UNARY + BINARY if _allowed(op, element)]
    model = webtensor.compile(_module(element, ops))
    rng = np.random.default_rng(7)
    a, b = _inputs(element, rng)
    results = model(a, b)
    results = results if isinstance(results, tuple) else (results,)
    tolerance = {"f16": 2e-3, "bf16": 2e-2}.get(element, 1e-5)
    for op, got in zip(ops, results):
        assert got.shape == (8,)
        reference = NUMPY.get(op)
        if reference is None or (op == "sign" and element.startswith("complex")):
            continue
        want = reference(a, b) if op in BINARY else reference(a)
        if element in profile.INTEGERS or element == "i1":
            np.testing.assert_array_equal(got, want.astype(got.dtype), err_msg=op)
        else:
            np.testing.assert_allclose(
                got.astype(np.complex128 if element.startswith("complex") else np.float64),
                want.astype(np.complex128 if element.startswith("complex") else np.float64),
                rtol=tolerance, atol=tolerance, err_msg=op,
            )


def test_op_support_limits_is_json_data():
    limits = profile.op_support_limits()
    assert limits["version"] == profile.VERSION
    assert json.loads(json.dumps(limits)) == limits
    assert limits["ops"]["sine"]["element_types"] == ["f16", "bf16", "f32", "f64", "complex<f32>", "complex<f64>"]
    assert limits["ops"]["exponential"]["element_types"] == ["f16", "bf16", "f32", "f64", "complex<f32>", "complex<f64>"]
    assert limits["ops"]["add"]["rank_range"] == [0, profile.Limits().max_rank]
    assert "custom_call" in limits["forbidden"] and "custom_call" not in limits["ops"]
    assert limits["limits"]["max_tensor_elements"] == profile.Limits().max_tensor_elements


def test_every_rule_names_known_element_types():
    for name, rule in profile.OPS.items():
        assert set(rule.types) <= set(profile.ELEMENT_TYPES), name
        assert name not in profile.FORBIDDEN, name
