"""Bound weights: `weights_argnums`, weights files, swapping, and what never
holds a weight's bytes (the program, the artifact, the cache key)."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import webtensor
from webtensor.compiler.artifact_key import cache_key
from webtensor.compiler.options import CompileOptions
from webtensor.compiler.api import import_source
from webtensor.compiler.frontends.jax_function import portable_artifact
from webtensor.runtime.weights import save_weights
from webtensor.bench.models import mlp, mlp_params
from webtensor.tests.runtime_only import run_without_compiler


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(99)


@pytest.fixture(scope="module")
def params(rng):
    return mlp_params(rng, (16, 32, 32, 4))


@pytest.fixture(scope="module")
def x(rng):
    return rng.standard_normal((3, 16)).astype(np.float32)


@pytest.fixture(scope="module")
def bound(params, x, tmp_path_factory):
    cache = tmp_path_factory.mktemp("weights-cache")
    return webtensor.compile(mlp, params, x, weights_argnums=0, cache=cache)


def _reference(params, x):
    return np.asarray(jax.jit(mlp)(params, x))


def test_bound_weights_match_jax_and_the_full_signature(bound, params, x):
    full = webtensor.compile(mlp, params, x)
    np.testing.assert_allclose(bound(x), _reference(params, x), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(bound(x), full(params, x))
    assert str(bound.signature) == "main(x: float32[3,16]) -> (result: float32[3,4])"
    assert bound.signature.arg_names == ("x",)


def test_passing_the_bound_weights_says_they_are_bound(bound, params, x):
    message = "main takes 1 argument (x), got 2; its weights are bound (weights_argnums): call it without them"
    with pytest.raises(webtensor.InvalidArgumentType, match=_literal(message)):
        bound(params, x)


def test_the_model_lists_its_weights(bound, params):
    weights = bound.weights
    assert list(weights) == [f"params['{k}']" for k in sorted(params)]
    assert weights["params['w1']"].shape == (16, 32) and weights["params['w1']"].dtype == "float32"
    assert weights.nbytes == sum(a.nbytes for a in params.values())
    text = str(weights)
    assert "params['w2']  float32[32,32]" in text and f"6 weights, {weights.nbytes:,} bytes" in text
    assert bound.weights_source == "arrays"


def test_new_weights_swap_in_without_a_recompile(bound, params, x, rng):
    tuned = {k: v + rng.standard_normal(v.shape).astype(np.float32) * 0.1 for k, v in params.items()}
    bound.load_weights(tuned)
    try:
        np.testing.assert_allclose(bound(x), _reference(tuned, x), rtol=1e-5, atol=1e-5)
        bound.load_weights({name: tuned[name[8:-2]] for name in bound.weights})  # by name
        np.testing.assert_allclose(bound(x), _reference(tuned, x), rtol=1e-5, atol=1e-5)
    finally:
        bound.load_weights(params)
    np.testing.assert_allclose(bound(x), _reference(params, x), rtol=1e-5, atol=1e-5)


def test_changing_the_callers_array_changes_nothing(params, x):
    mine = {k: v.copy() for k, v in params.items()}
    model = webtensor.compile(mlp, mine, x, weights_argnums=0)
    before = model(x)
    for value in mine.values():
        value[...] = 0  # IREE reads some weights in place: the model holds its own copy
    np.testing.assert_array_equal(model(x), before)


@pytest.mark.parametrize("suffix", [".safetensors", ".irpa"])
def test_weights_files_round_trip(bound, params, x, tmp_path, suffix, rng):
    tuned = {name: rng.standard_normal(spec.shape).astype(np.float32) for name, spec in bound.weights.items()}
    path = tmp_path / f"tuned{suffix}"
    save_weights(path, tuned)
    bound.load_weights(path)
    try:
        expected = _reference({name[8:-2]: value for name, value in tuned.items()}, x)
        np.testing.assert_allclose(bound(x), expected, rtol=1e-5, atol=1e-5)
        assert bound.weights_source == f"{suffix[1:]} {path}"
    finally:
        bound.load_weights(params)


def test_a_weights_file_binds_in_a_runtime_only_process(bound, params, x, tmp_path):
    artifact, weights = tmp_path / "mlp.vmfb", tmp_path / "mlp.safetensors"
    bound.save(artifact)
    save_weights(weights, {f"params['{k}']": v for k, v in params.items()})
    np.save(tmp_path / "x.npy", x)
    result = run_without_compiler(
        f"""
        import numpy as np, webtensor
        model = webtensor.load({str(artifact)!r}, weights={str(weights)!r})
        np.save({str(tmp_path / 'y.npy')!r}, model(np.load({str(tmp_path / 'x.npy')!r})))
        """
    )
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), _reference(params, x), rtol=1e-5, atol=1e-5)


def _safetensors(path, entries):
    """A safetensors file written by hand: (name, dtype code, shape, bytes)."""
    header, data, offset = {}, b"", 0
    for name, code, shape, payload in entries:
        header[name] = {"dtype": code, "shape": shape, "data_offsets": [offset, offset + len(payload)]}
        data += payload
        offset += len(payload)
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + data)
    return path


def test_mismatched_weights_are_refused_naming_the_tensor(bound, params, tmp_path):
    good = {f"params['{k}']": v for k, v in params.items()}
    cases = [
        ({k: v for k, v in good.items() if k != "params['b2']"}, webtensor.InvalidArgument,
         "weights: the arrays given do not match the model: missing params['b2']"),
        ({**good, "params['extra']": np.zeros(2, np.float32)}, webtensor.InvalidArgument,
         "not weights of this model: params['extra']"),
        ({**good, "params['w1']": np.zeros((16, 31), np.float32)}, webtensor.InvalidArgument,
         "weight params['w1']: the model needs float32[16,32], given float32[16,31]"),
        ({**good, "params['w1']": np.zeros((16, 32), np.float64)}, webtensor.InvalidArgument,
         "weight params['w1']: the model needs float32[16,32], given float64[16,32]"),
        ({"w1": 1}, webtensor.InvalidArgument, "weights: missing keys"),
    ]
    for source, error, message in cases:
        with pytest.raises(error, match=_literal(message)):
            bound.load_weights(source)
    short = tmp_path / "short.safetensors"
    save_weights(short, good)
    short.write_bytes(short.read_bytes()[:-10])
    with pytest.raises(webtensor.InvalidEncoding, match=_literal("the file is truncated")):
        bound.load_weights(short)
    lying = _safetensors(tmp_path / "lying.safetensors", [("params['b1']", "F32", [32], b"\0" * 100)])
    with pytest.raises(webtensor.InvalidEncoding, match=_literal("100 bytes of data for float32[32], which needs 128")):
        bound.load_weights(lying)
    irpa = tmp_path / "short.irpa"
    save_weights(irpa, {**good, "params['b3']": np.zeros(3, np.float32)})
    with pytest.raises(webtensor.InvalidArgument, match=_literal("weight params['b3']: the model needs float32[4]")):
        bound.load_weights(irpa)
    text = tmp_path / "notes.txt"
    text.write_text("not weights")
    with pytest.raises(webtensor.InvalidEncoding, match="not a weights file"):
        bound.load_weights(text)
    # The model is still bound to what it had.
    assert bound.weights_source == "arrays" or bound.weights_source.startswith(("safetensors", "irpa"))


def _literal(text):
    import re

    return re.escape(text)


def test_weights_given_as_shapes_are_bound_later(params, x):
    shapes = jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), params)
    model = webtensor.compile(mlp, shapes, x, weights_argnums=0)
    with pytest.raises(webtensor.NotFound, match="this model reads 6 weights .* and none are bound"):
        model(x)
    model.load_weights(params)
    np.testing.assert_allclose(model(x), _reference(params, x), rtol=1e-5, atol=1e-5)


def test_bad_weights_argnums(params, x):
    with pytest.raises(ValueError, match="weights_argnums=2: the function has 2 example arguments"):
        webtensor.compile(mlp, params, x, weights_argnums=2)
    with pytest.raises(ValueError, match="names an argument twice"):
        webtensor.compile(mlp, params, x, weights_argnums=(0, -2))
    half = dict(params, w1=jax.ShapeDtypeStruct((16, 32), np.float32))
    with pytest.raises(ValueError, match="mix arrays and jax.ShapeDtypeStruct"):
        webtensor.compile(mlp, half, x, weights_argnums=0)
    with pytest.raises(TypeError, match="weights_argnums is only for JAX functions"):
        webtensor.compile("func.func @main() { return }", weights_argnums=0)


def test_several_weight_arguments(rng):
    def f(a, x, b):
        return x @ a["w"] + b

    a = {"w": rng.standard_normal((4, 2)).astype(np.float32)}
    b = rng.standard_normal(2).astype(np.float32)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    model = webtensor.compile(f, a, x, b, weights_argnums=(0, 2))
    assert list(model.weights) == ["a['w']", "b"]
    np.testing.assert_allclose(model(x), x @ a["w"] + b, rtol=1e-6)
    model.load_weights(({"w": a["w"] * 2}, b * 0))
    np.testing.assert_allclose(model(x), x @ (a["w"] * 2), rtol=1e-6)


def test_no_weight_bytes_in_the_program_the_artifact_or_the_key(params, x, rng):
    marked = {k: np.full(v.shape, 1234.5678, np.float32) for k, v in params.items()}
    pattern = np.float32(1234.5678).tobytes() * 4
    model = webtensor.compile(mlp, marked, x, weights_argnums=0, cache=False)
    assert pattern not in model.artifact.data
    other = {k: rng.standard_normal(v.shape).astype(np.float32) for k, v in params.items()}
    assert webtensor.compile(mlp, other, x, weights_argnums=0, cache=False).artifact.data == model.artifact.data
    linalg = webtensor.compile_ir(mlp, marked, x, weights_argnums=0, phase="linalg")
    assert "1234.5678" not in linalg and "1.234567" not in linalg
    assert 'util.global private @__webtensor_weight_0 = #flow.parameter.named<"model"::"params[\'b1\']">' in linalg
    # Other weights of the same architecture: the same key, a cache hit.
    options = CompileOptions()
    assert cache_key(import_source(mlp, (marked, x), 0), options) == cache_key(import_source(mlp, (other, x), 0), options)
    webtensor.compile(mlp, marked, x, weights_argnums=0)
    stats = webtensor.ArtifactCache().stats()
    webtensor.compile(mlp, other, x, weights_argnums=0)
    assert webtensor.ArtifactCache().stats().hits == stats.hits + 1


def test_closed_over_arrays_become_weights(rng):
    big = rng.standard_normal((256, 128)).astype(np.float32)  # 128 KiB: hoisted
    small = rng.standard_normal(128).astype(np.float32)  # stays a constant

    def f(x):
        return jnp.tanh(x @ big + small)

    x = rng.standard_normal((2, 256)).astype(np.float32)
    model = webtensor.compile(f, x)
    assert list(model.weights) == ["constants[0]"] and model.weights["constants[0]"].shape == (256, 128)
    np.testing.assert_allclose(model(x), jax.jit(f)(x), rtol=1e-5, atol=1e-5)
    assert len(model.artifact.data) < big.nbytes
    assert str(model.signature) == "main(x: float32[2,256]) -> (result: float32[2,128])"
    baked = webtensor.compile(f, x, hoist_constants=False)
    assert not baked.weights and len(baked.artifact.data) > big.nbytes
    np.testing.assert_allclose(baked(x), jax.jit(f)(x), rtol=1e-5, atol=1e-5)


def test_int8_weights_with_per_channel_scales(rng, tmp_path):
    def quantized(q, x):
        w = q["w"].astype(jnp.float32) * q["scale"]
        return x @ w

    w = rng.standard_normal((64, 32)).astype(np.float32)
    scale = (np.abs(w).max(axis=0) / 127).astype(np.float32)
    q = {"w": np.round(w / scale).astype(np.int8), "scale": scale}
    x = rng.standard_normal((4, 64)).astype(np.float32)
    model = webtensor.compile(quantized, q, x, weights_argnums=0)
    assert model.weights["q['w']"].dtype == "int8"
    np.testing.assert_allclose(model(x), jax.jit(quantized)(q, x), rtol=1e-5, atol=1e-5)
    path = tmp_path / "q.safetensors"
    save_weights(path, {"q['w']": q["w"], "q['scale']": q["scale"]})
    assert path.stat().st_size < w.nbytes / 3  # int8 on disk: a quarter of f32, plus the scales
    model.load_weights(path)
    np.testing.assert_allclose(model(x), jax.jit(quantized)(q, x), rtol=1e-5, atol=1e-5)


def test_arguments_jax_export_drops_keep_their_place(rng):
    def f(p, x):
        return x * p["scale"]

    p = {"scale": rng.standard_normal(3).astype(np.float32), "unused": np.ones(2, np.float32)}
    x = rng.standard_normal(3).astype(np.float32)
    model = webtensor.compile(f, p, x)
    assert [t.name for t in model.signature.inputs] == ["p['scale']", "p['unused']", "x"]
    np.testing.assert_allclose(model(p, x), x * p["scale"], rtol=1e-6)
    with pytest.raises(webtensor.InvalidArgument, match=_literal("argument p['unused']: expected float32[2], got float32[5]")):
        model(dict(p, unused=np.ones(5, np.float32)), x)
    bound = webtensor.compile(f, p, x, weights_argnums=0)
    assert list(bound.weights) == ["p['scale']", "p['unused']"]
    np.testing.assert_allclose(bound(x), x * p["scale"], rtol=1e-6)


def test_stablehlo_weights_by_argument_name(params, x, tmp_path):
    # What jax.export writes names each argument by its pytree path.
    text = portable_artifact(mlp, (params, x))
    weights = tmp_path / "mlp.safetensors"
    save_weights(weights, {f"params['{k}']": v for k, v in params.items()})
    model = webtensor.compile(text, weights=str(weights))
    assert len(model.weights) == 6 and str(model.signature) == "main(arg0: float32[3,16]) -> (result0: float32[3,4])"
    np.testing.assert_allclose(model(x), _reference(params, x), rtol=1e-5, atol=1e-5)
    save_weights(weights, {"params['nope']": np.zeros(2, np.float32)})
    with pytest.raises(webtensor.CompileError, match=_literal("no function has an argument named as weight(s) params['nope']")):
        webtensor.compile(text, weights=str(weights))


def test_a_graph_binds_weights_too(bound, params, x, tmp_path):
    artifact, weights = tmp_path / "mlp.vmfb", tmp_path / "mlp.irpa"
    bound.save(artifact)
    save_weights(weights, {f"params['{k}']": v for k, v in params.items()})
    context = webtensor.load_graph(artifact, weights=weights).init_execution_context()
    outputs = context.compute({"x": x})
    np.testing.assert_allclose(outputs["result"], _reference(params, x), rtol=1e-5, atol=1e-5)
