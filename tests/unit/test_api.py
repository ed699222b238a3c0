"""webtensor.compile / webtensor.load from Python, for every kind of source."""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import webtensor
from webtensor.compiler.frontends.jax_function import portable_artifact

ADD_TEXT = """
func.func @main(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = stablehlo.add %a, %b : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
func.func @scale(%a: tensor<3xi32>) -> (tensor<3xi32>, tensor<3xi32>) {
  %0 = stablehlo.add %a, %a : tensor<3xi32>
  return %0, %a : tensor<3xi32>, tensor<3xi32>
}
"""


def _bytecode(text: str) -> bytes:
    import io

    from webtensor.compiler.frontends.stablehlo_file import load_text
    from webtensor.compiler.session import CompilerSession

    module = CompilerSession().parse(load_text(text))
    buffer = io.BytesIO()
    module.operation.write_bytecode(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(1234)


@pytest.mark.parametrize("kind", ["text", "path", "pathlike", "bytecode"])
def test_stablehlo_sources(kind, tmp_path, rng):
    path = tmp_path / "add.mlir"
    path.write_text(ADD_TEXT)
    source = {
        "text": ADD_TEXT,
        "path": str(path),
        "pathlike": path,
        "bytecode": _bytecode(ADD_TEXT),
    }[kind]
    model = webtensor.compile(source)
    a, b = rng.standard_normal((2, 2, 3)).astype(np.float32)
    np.testing.assert_array_equal(model(a, b), a + b)
    np.testing.assert_array_equal(model.main(a, b), a + b)
    doubled, same = model["scale"](np.array([1, -2, 3], np.int32))
    assert doubled.tolist() == [2, -4, 6] and same.tolist() == [1, -2, 3]
    assert sorted(model.functions) == ["main", "scale"]


def test_portable_artifact_bytes(rng):
    def f(x, y):
        return jnp.sin(x) * y

    x, y = rng.standard_normal((2, 5)).astype(np.float32)
    blob = portable_artifact(f, (x, y))
    assert blob.startswith(b"ML\xefR") and b"StableHLO_v" in blob[:32]
    model = webtensor.compile(blob)
    np.testing.assert_allclose(model(x, y), jax.jit(f)(x, y), rtol=1e-6, atol=1e-6)


def test_jax_pytrees_in_and_out(rng):
    def f(params, x, extras):
        h = x @ params["w"] + params["b"]
        return {"out": h, "parts": (h.sum(), extras[0] * 2)}

    params = {"w": rng.standard_normal((4, 3)).astype(np.float32), "b": rng.standard_normal(3).astype(np.float32)}
    x = rng.standard_normal((2, 4)).astype(np.float32)
    extras = [np.arange(3, dtype=np.int32)]
    model = webtensor.compile(f, params, x, extras)
    got = model(params, x, extras)
    want = jax.jit(f)(params, x, extras)
    assert set(got) == {"out", "parts"} and isinstance(got["parts"], tuple)
    np.testing.assert_allclose(got["out"], want["out"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got["parts"][0], want["parts"][0], rtol=1e-5)
    assert got["parts"][1].tolist() == [0, 2, 4]
    names = [t.name for t in model.signature.inputs]
    assert names == ["params['b']", "params['w']", "x", "extras[0]"]
    assert [t.name for t in model.signature.outputs] == ["result['out']", "result['parts'][0]", "result['parts'][1]"]


def test_shape_dtype_struct_examples(rng):
    model = webtensor.compile(lambda x: x * 2, jax.ShapeDtypeStruct((3,), jnp.int16))
    assert model(np.array([1, 2, 3], np.int16)).tolist() == [2, 4, 6]
    assert model.signature.inputs[0].dtype == "int16"


def test_save_and_load(tmp_path, rng):
    def f(p, x):
        return jnp.tanh(x * p["s"])

    params = {"s": np.float32(3.0)}
    model = webtensor.compile(f, params, np.zeros(4, np.float32))
    path = tmp_path / "m.vmfb"
    model.save(path)
    x = rng.standard_normal(4).astype(np.float32)
    for loaded in (webtensor.load(path), webtensor.load(str(path)), webtensor.load(path.read_bytes())):
        np.testing.assert_array_equal(loaded(params, x), model(params, x))
        assert loaded.signature == model.signature


def test_results_are_caller_owned_and_inputs_untouched(rng):
    model = webtensor.compile(ADD_TEXT)
    a, b = rng.standard_normal((2, 2, 3)).astype(np.float32)
    a_copy = a.copy()
    first = model(a, b)
    first[:] = 0
    second = model(a, b)
    np.testing.assert_array_equal(second, a_copy + b)
    np.testing.assert_array_equal(a, a_copy)
    assert first.flags.writeable and first.flags.owndata


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda m: m(np.zeros((2, 3), np.float32)), webtensor.InvalidArgument, "main takes 2 arguments (arg0, arg1), got 1"),
        (lambda m: m(np.zeros((3, 2), np.float32), np.zeros((2, 3), np.float32)), webtensor.InvalidArgument, "argument arg0: expected float32[2,3], got float32[3,2]"),
        (lambda m: m(np.zeros((2, 3), np.float64), np.zeros((2, 3), np.float32)), webtensor.InvalidArgument, "argument arg0: expected float32[2,3], got float64[2,3]"),
        (lambda m: m["nope"], webtensor.NotFound, "no function 'nope' in this model; functions: main, scale"),
        (lambda m: m.nope, AttributeError, "no function 'nope'"),
    ],
)
def test_call_errors(call, error, message):
    model = webtensor.compile(ADD_TEXT)
    with pytest.raises(error) as info:
        call(model)
    assert message in str(info.value)


def test_python_lists_take_the_signature_dtype():
    model = webtensor.compile(ADD_TEXT)
    assert model([[1, 2, 3], [4, 5, 6]], [[0.5] * 3] * 2).tolist() == [[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]]


def test_compile_errors_carry_located_diagnostics():
    text = "func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {\n  %0 = stablehlo.bogus %a : tensor<4xf32>\n  return %0 : tensor<4xf32>\n}"
    with pytest.raises(webtensor.CompileError) as info:
        webtensor.compile(text)
    error = info.value
    assert [str(d.location) for d in error.diagnostics] == ["-:2:8"]
    assert "<text>:2:8: error: custom op 'stablehlo.bogus' is unknown" in str(error)
    assert error.reproducer and os.path.exists(error.reproducer)
    assert error.command.startswith(f"webtensor-compile {error.reproducer} --target=llvm-cpu")


def test_reproducer_names_the_user_file(tmp_path):
    path = tmp_path / "bad.mlir"
    path.write_text("func.func @main() {\n  %0 = stablehlo.bogus : tensor<4xf32>\n  return\n}\n")
    with pytest.raises(webtensor.CompileError) as info:
        webtensor.compile(path)
    assert f"{path}:2:8: error:" in str(info.value)
    assert info.value.reproducer is None
    assert str(path) in info.value.command


@pytest.mark.parametrize(
    "source, args, error, message",
    [
        (ADD_TEXT, (np.zeros(2),), TypeError, "example arguments are only for JAX functions"),
        (42, (), TypeError, "cannot compile a int"),
        ("no/such/file.mlir", (), webtensor.CompileError, "no/such/file.mlir: no such file"),
        (b"\x00\x01garbage", (), webtensor.CompileError, "MLIR text contains a NUL byte"),
        (b"\xff\xfe\x00", (), webtensor.CompileError, r"neither MLIR text \(not UTF-8 at byte 0\)"),
        (b"ML\xefR\x0dStableHLO_v1.0.0\x00junk", (), webtensor.CompileError, "not a valid StableHLO portable artifact"),
    ],
)
def test_source_errors(source, args, error, message):
    with pytest.raises(error, match=message):
        webtensor.compile(source, *args)


def test_unknown_option_is_rejected():
    with pytest.raises(TypeError, match=r"unknown compile option\(s\) \['targt'\]"):
        webtensor.compile(ADD_TEXT, targt="cuda")


def test_jax_trace_errors_become_compile_errors():
    with pytest.raises(webtensor.CompileError, match="jax.export failed"):
        webtensor.compile(lambda x: x.reshape(7), np.zeros(4, np.float32))


@pytest.mark.parametrize("phase", ["input", "legalized", "sandboxed", "linalg"])
def test_compile_ir_every_phase(phase):
    text = webtensor.compile_ir(ADD_TEXT, phase=phase)
    assert "func.func @main" in text
    assert ("linalg.generic" in text) == (phase == "linalg")
