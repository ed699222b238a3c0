"""The web runtime in Node: wasm32 artifacts from our compiler, run through
the JS API (web/webtensor.mjs), give jax.jit's results, the sandbox's
defined values, and the runtime's typed errors."""

import numpy as np
import pytest

import webtensor
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions
from webtensor.bench.models import MODELS
from webtensor.web.node import run_in_node


def wasm32(source, *args) -> bytes:
    return compile_artifact(import_source(source, args if args else None), CompileOptions(target="wasm32"))


@pytest.mark.parametrize("name", ["mlp", "cnn", "encoder_block"])
def test_models_match_jax_in_node(node, name):
    import jax

    model = MODELS[name]
    rng = np.random.default_rng(16)
    params, *rest = model.example_args(rng)
    artifact = wasm32(model.fn, params, *rest)
    leaves = jax.tree_util.tree_leaves((params, *rest))
    got = run_in_node(artifact, [np.asarray(leaf) for leaf in leaves]).outputs
    want = jax.tree_util.tree_leaves(jax.jit(model.fn)(params, *rest))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, np.asarray(w), rtol=model.rtol, atol=model.atol)


ADD = """
func.func @main(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = stablehlo.add %a, %b : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}"""


def test_libcalls_in_executables_run_on_the_runtime_libm(node):
    # LLVM leaves arith.remf as a call to fmodf, which the side module
    # imports from the runtime, once per element; 128 of them once broke
    # the runtime's heap (every export re-ran the static constructors).
    import jax

    rng = np.random.default_rng(3)
    x = (rng.standard_normal(128) * 5).astype(np.float32)
    y = np.full(128, 1.5, np.float32)
    fn = lambda a, b: jax.lax.rem(a, b)  # noqa: E731
    got = run_in_node(wasm32(fn, x, y), [x, y]).outputs[0]
    np.testing.assert_array_equal(got, np.asarray(jax.jit(fn)(x, y)))


def test_a_wrong_shape_is_refused_before_anything_runs(node):
    x = np.ones((2, 3), np.float32)
    with pytest.raises(webtensor.InvalidArgument) as caught:
        run_in_node(wasm32(ADD), [x, np.ones((3, 2), np.float32)])
    assert str(caught.value) == "argument arg1: expected float32[2, 3], got float32[3, 2]"


def test_a_wrong_dtype_is_refused(node):
    x = np.ones((2, 3), np.float32)
    with pytest.raises(webtensor.InvalidArgument) as caught:
        run_in_node(wasm32(ADD), [x, np.ones((2, 3), np.int32)])
    assert str(caught.value) == "argument arg1: expected float32[2, 3] in a Float32Array, got a Int32Array"


def test_a_cpu_artifact_is_refused_naming_the_target(node):
    artifact = compile_artifact(import_source(ADD), CompileOptions(target="llvm-cpu", target_cpu="generic"))
    x = np.ones((2, 3), np.float32)
    with pytest.raises(webtensor.UnsupportedOperation) as caught:
        run_in_node(artifact, [x, x])
    assert str(caught.value) == (
        "this artifact was compiled for target 'llvm-cpu'; the web runtime runs wasm32 artifacts (webtensor-compile --target=wasm32)"
    )


def test_bytes_that_are_no_artifact_are_refused(node):
    with pytest.raises(webtensor.InvalidEncoding, match="^not a WebTensor artifact: expected an IREE .vmfb"):
        run_in_node(b"\x00asm\x01\x00\x00\x00 not a vmfb", [])


def test_a_corrupted_artifact_is_a_clean_error(node):
    artifact = bytearray(wasm32(ADD))
    artifact[len(artifact) // 2 : len(artifact) // 2 + 64] = bytes(64)
    x = np.ones((2, 3), np.float32)
    with pytest.raises(webtensor.WebTensorError):
        run_in_node(bytes(artifact), [x, x])


def test_webtensor_run_runs_a_web_artifact_in_node(node, tmp_path, capsys):
    from webtensor.tools import run

    path = tmp_path / "add.vmfb"
    path.write_bytes(wasm32(ADD))
    assert run.main([str(path), "--device=node", "--input=2x3xf32=1,2,3,4,5,6", "--input=2x3xf32=1,1,1,1,1,1"]) == 0
    assert capsys.readouterr().out == "EXEC @main\nresult[0]: hal.buffer_view\n2x3xf32=[2 3 4][5 6 7]\n"
    assert run.main([str(path), "--device=node", "--input=2x3xf32=1,2,3,4,5,6", "--input=3xf32=1,1,1"]) == 1
    assert capsys.readouterr().err == "webtensor-run: error: argument arg1: expected float32[2, 3], got float32[3]\n"


JS_ERRORS = """
import * as webtensor from "%(web)s/webtensor.mjs";
const model = await webtensor.load(process.argv[2]);
const x = { data: new Float32Array(6), shape: [2, 3] };
const attempts = [
  () => model.run([x]),
  () => model.run([x, { data: new Float32Array(5), shape: [2, 3] }]),
  () => model.run({ arg0: x, nosuch: x }),
  () => model.run([x, x], { function: "other" }),
  () => model.run([x, x], { fuel: -1 }),
];
for (const attempt of attempts) {
  try { await attempt(); console.log("no error"); } catch (e) { console.log(`${e.name}: ${e.message}`); }
}
"""


def test_js_api_errors_are_typed_with_one_message(node, tmp_path):
    import subprocess

    from webtensor.web.node import WEB_DIR

    (tmp_path / "add.vmfb").write_bytes(wasm32(ADD))
    (tmp_path / "errors.mjs").write_text(JS_ERRORS % {"web": WEB_DIR.as_posix()})
    done = subprocess.run([node, str(tmp_path / "errors.mjs"), str(tmp_path / "add.vmfb")], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "InvalidArgument: main takes 2 inputs, got 1",
        "InvalidArgument: argument arg1: shape [2, 3] needs 6 Float32Array elements, the data has 5",
        "InvalidArgument: main has no input named nosuch; its inputs: arg0, arg1",
        "NotFound: no function 'other'; the artifact has: main",
        "InvalidArgument: fuel must be an integer from 0 to 4611686018427387904, got -1",
    ]
