"""Bound weights in the web runtime: a wasm32 model compiled with
`weights_argnums` reads its weights as IREE parameters (scope "model"),
bound at load from arrays, a safetensors file or a package, through the JS
API in Node; it gives jax.jit's and the CPU runtime's results, and every
mismatch is one typed error that names the weight."""

import json
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import webtensor
from webtensor.bench.models import mlp
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions
from webtensor.runtime.weights import save_weights
from webtensor.web.node import run_in_node

WEB = Path(webtensor.__file__).parent / "web"


@pytest.fixture(scope="module")
def package(params, x, tmp_path_factory):
    """A package of the same model, and its program compiled for wasm32."""
    folder = tmp_path_factory.mktemp("package")
    webtensor.export(mlp, params, x, weights_argnums=0).save(folder / "mlp.wtpkg")
    (folder / "mlp.vmfb").write_bytes(compile_artifact(import_source(str(folder / "mlp.wtpkg")), CompileOptions(target="wasm32")))
    return folder / "mlp.wtpkg", folder / "mlp.vmfb"


def _reference(params, x):
    return np.asarray(jax.jit(mlp)(params, x))


def test_bound_weights_match_jax_and_the_cpu_runtime(node, artifact, params, named, x):
    got = run_in_node(artifact, [x], weights=named).outputs
    assert len(got) == 1
    np.testing.assert_allclose(got[0], _reference(params, x), rtol=1e-5, atol=1e-5)
    cpu = webtensor.compile(mlp, params, x, weights_argnums=0)
    np.testing.assert_allclose(got[0], cpu(x), rtol=1e-5, atol=1e-6)


def test_weights_from_a_safetensors_file(node, artifact, params, named, x, tmp_path):
    save_weights(tmp_path / "mlp.safetensors", named)
    got = run_in_node(artifact, [x], weights=tmp_path / "mlp.safetensors").outputs[0]
    np.testing.assert_allclose(got, _reference(params, x), rtol=1e-5, atol=1e-5)


def test_weights_from_a_package(node, package, params, x):
    path, program = package
    got = run_in_node(program, [x], weights=path).outputs[0]
    np.testing.assert_allclose(got, _reference(params, x), rtol=1e-5, atol=1e-5)


def test_webtensor_run_binds_weights_on_node(node, artifact, params, named, x, tmp_path):
    save_weights(tmp_path / "mlp.safetensors", named)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "y.npy"
    command = [sys.executable, "-m", "webtensor.tools.run", str(artifact), "--device=node",
               f"--weights={tmp_path / 'mlp.safetensors'}", f"--input=@{tmp_path / 'x.npy'}", f"--output=@{out}"]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "EXEC @main\n"
    np.testing.assert_allclose(np.load(out), _reference(params, x), rtol=1e-5, atol=1e-5)


def test_webtensor_run_runs_a_package_on_node_as_on_the_cpu(node, package, x, tmp_path, capsys):
    # The package is compiled here for wasm32 and its own weights bound.
    from webtensor.tools import run

    path, _ = package
    np.save(tmp_path / "x.npy", x)
    for device in ("cpu", "node"):
        where = [] if device == "cpu" else ["--device=node"]
        assert run.main([str(path), *where, f"--input=@{tmp_path / 'x.npy'}", f"--output=@{tmp_path / device}.npy"]) == 0
        assert capsys.readouterr().out == "EXEC @main\n"
    np.testing.assert_allclose(np.load(tmp_path / "node.npy"), np.load(tmp_path / "cpu.npy"), rtol=1e-5, atol=1e-6)


def _error(artifact, x, weights):
    with pytest.raises(webtensor.WebTensorError) as caught:
        run_in_node(artifact, [x], weights=weights)
    return type(caught.value).__name__, str(caught.value)


def test_missing_extra_and_mistyped_weights_are_refused(node, artifact, named, x):
    missing = {k: v for k, v in named.items() if k != "params['w2']"}
    assert _error(artifact, x, missing) == (
        "InvalidArgument", "weights: the arrays given do not match the model: missing params['w2']")
    extra = {**named, "params['w4']": named["params['w1']"]}
    assert _error(artifact, x, extra) == (
        "InvalidArgument", "weights: the arrays given do not match the model: not weights of this model: params['w4']")
    transposed = {**named, "params['w1']": named["params['w1']"].T.copy()}
    assert _error(artifact, x, transposed) == (
        "InvalidArgument", "weight params['w1']: the model needs float32[16,32], given float32[32,16]")
    integers = {**named, "params['w1']": named["params['w1']"].astype(np.int32)}
    assert _error(artifact, x, integers) == (
        "InvalidArgument", "weight params['w1']: the model needs float32[16,32] in a Float32Array, given an Int32Array")


def test_a_file_that_disagrees_names_the_tensor(node, artifact, named, x, tmp_path):
    path = tmp_path / "wrong.safetensors"
    save_weights(path, {**named, "params['b1']": np.zeros(31, np.float32)})
    assert _error(artifact, x, path) == (
        "InvalidArgument", f"weight params['b1']: the model needs float32[32], {path} holds float32[31]")


def test_a_truncated_safetensors_file_is_refused(node, artifact, named, x, tmp_path):
    path = tmp_path / "cut.safetensors"
    save_weights(path, named)
    data = path.read_bytes()
    path.write_bytes(data[:-4])
    kind, message = _error(artifact, x, path)
    assert kind == "InvalidEncoding"
    assert message.startswith(f"{path}: tensor '") and message.endswith(
        f"the data ends at byte {len(data)}, past the end of the file ({len(data) - 4} bytes): the file is truncated")


def test_no_weights_bound_says_how_to_bind_them(node, artifact, x):
    assert _error(artifact, x, None) == (
        "NotFound",
        "this model reads 6 weights (6,928 bytes) and none are bound; "
        "bind them with webtensor.load(source, { weights }) or model.loadWeights(arrays or a weights file)",
    )


def test_a_damaged_package_is_refused(node, package, x, tmp_path):
    path, program = package
    data = bytearray(path.read_bytes())
    data[-1] ^= 1  # the last byte of the last weight
    damaged = tmp_path / "damaged.wtpkg"
    damaged.write_bytes(bytes(data))
    kind, message = _error(program, x, damaged)
    assert kind == "SecurityError"
    assert message.startswith(f"{damaged}: the section at byte ") and message.endswith("does not match its hash: the package is damaged or was altered")


def test_an_irpa_file_goes_to_node_as_it_is(node, artifact, params, named, x, tmp_path):
    # The JS API reads .irpa itself (tests/web/test_irpa_node.py checks its
    # reader); webtensor-run --device=node hands the file over unchanged.
    save_weights(tmp_path / "mlp.irpa", named)
    got = run_in_node(artifact, [x], weights=tmp_path / "mlp.irpa").outputs[0]
    np.testing.assert_allclose(got, _reference(params, x), rtol=1e-5, atol=1e-5)


JS_API = """
import * as webtensor from "%(web)s/webtensor.mjs";
import { loadInWorker } from "%(web)s/worker_client.mjs";
const [artifact, weights, x] = JSON.parse(process.argv[1]);
const typed = (values) => Float32Array.from(values.flat());
const arrays = Object.fromEntries(Object.entries(weights).map(([name, value]) => [name, typed(value)]));
const model = await webtensor.load(artifact, { weights: arrays });
const input = { data: typed(x), shape: [x.length, x[0].length] };
const first = Array.from((await model.run([input]))[0].data);
// New weights (every one doubled, one given as {data, shape}, in a Map)
// swap in without a recompile.
const doubled = new Map(Object.entries(arrays).map(([name, data]) => [name, data.map((v) => 2 * v)]));
doubled.set("params['w1']", { data: doubled.get("params['w1']"), shape: [16, 32] });
await model.loadWeights(doubled);
const second = Array.from((await model.run([input]))[0].data);
const refusals = [];
for (const attempt of [() => webtensor.load(process.argv[2], { weights: arrays })]) {
  try {
    await attempt();
  } catch (error) {
    refusals.push(`${error.name}: ${error.message}`);
  }
}
// Unbound, a model still says what it takes; in a worker, weights bind later.
const unbound = (await webtensor.load(artifact)).signature.inputs;
const worker = await loadInWorker(artifact);
await worker.loadWeights(doubled);
const inWorker = Array.from((await worker.run([input]))[0].data);
await worker.close();
console.log(JSON.stringify({ weights: model.weights, source: model.weightsSource, first, second, refusals, unbound, inWorker }));
"""


def test_the_js_api_binds_and_swaps_weights(node, artifact, params, named, x, tmp_path):
    doubled = {k: 2 * v for k, v in params.items()}
    bare = tmp_path / "add.vmfb"
    bare.write_bytes(compile_artifact(import_source(lambda a: a + 1, (x,)), CompileOptions(target="wasm32")))
    script = JS_API % {"web": WEB.as_posix()}
    argument = json.dumps([str(artifact), {k: v.tolist() for k, v in named.items()}, x.tolist()])
    done = subprocess.run([node, "--input-type=module", "-e", script, argument, str(bare)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["weights"][0] == {"name": "params['b1']", "shape": [32], "dtype": "float32"}
    assert [w["name"] for w in reply["weights"]] == sorted(named)  # the pytree's order
    assert reply["source"] == "arrays"
    np.testing.assert_allclose(np.reshape(reply["first"], (3, 4)), _reference(params, x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.reshape(reply["second"], (3, 4)), _reference(doubled, x), rtol=1e-5, atol=1e-5)
    assert reply["unbound"] == [{"name": "x", "shape": [3, 16], "dtype": "float32"}]
    np.testing.assert_allclose(reply["inWorker"], reply["second"])
    assert reply["refusals"] == [
        "InvalidArgument: this model has no weights to bind: it was compiled without weights_argnums",
    ]


ONE_COPY = """
import { readFile } from "node:fs/promises";
import { DEFAULT_FUEL, Model } from "%(web)s/webtensor.mjs";
import { Runtime } from "%(web)s/runtime.mjs";
const runtime = await Runtime.create(new Uint8Array(await readFile("%(web)s/dist/webtensor_runtime.wasm")));
const model = new Model(runtime, new Uint8Array(await readFile(process.argv[1])), DEFAULT_FUEL);
const before = runtime.memory.buffer.byteLength;
await model.loadWeights({ w: new Float32Array(2048 * 2048).fill(0.5) });
const grown = runtime.memory.buffer.byteLength - before;
const [y] = await model.run([new Float32Array(2048).fill(1)]);
console.log(JSON.stringify({ grown, y: y.data[0] }));
"""


def test_a_weight_sits_in_wasm_memory_once(node, tmp_path):
    # The runtime imports each weight's bytes as the device's buffer (they
    # are aligned for it) instead of copying them: 16 MiB of weights grow
    # the wasm memory by 16 MiB and change, not 32.
    w = np.zeros((2048, 2048), np.float32)
    x = np.zeros((1, 2048), np.float32)
    path = tmp_path / "matvec.vmfb"
    path.write_bytes(compile_artifact(import_source(lambda w, x: x @ w, (w, x), weights_argnums=0), CompileOptions(target="wasm32")))
    done = subprocess.run([node, "--input-type=module", "-e", ONE_COPY % {"web": WEB.as_posix()}, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["y"] == 1024.0
    assert 16 << 20 <= reply["grown"] < 20 << 20


JS_PYTREE = """
import * as webtensor from "%(web)s/webtensor.mjs";
const [artifact, params, x] = JSON.parse(process.argv[1]);
const typed = (values) => Float32Array.from(values.flat());
// The pytree the model was compiled with: params' own keys, not weight names.
const tree = Object.fromEntries(Object.entries(params).map(([key, value]) => [key, typed(value)]));
const model = await webtensor.load(artifact, { weights: tree });
const input = { data: typed(x), shape: [x.length, x[0].length] };
const output = Array.from((await model.run([input]))[0].data);
const { w1, ...withoutW1 } = tree;
const refusals = [];
for (const wrong of [withoutW1, { ...tree, extra: tree.w1 }, [tree], { ...tree, w1: [1, 2] }]) {
  try {
    await model.loadWeights(wrong);
  } catch (error) {
    refusals.push(`${error.name}: ${error.message}`);
  }
}
console.log(JSON.stringify({ output, refusals }));
"""


def test_the_js_api_binds_the_pytree_the_model_was_compiled_with(node, artifact, params, x):
    script = JS_PYTREE % {"web": WEB.as_posix()}
    argument = json.dumps([str(artifact), {k: v.tolist() for k, v in params.items()}, x.tolist()])
    done = subprocess.run([node, "--input-type=module", "-e", script, argument], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    np.testing.assert_allclose(np.reshape(reply["output"], (3, 4)), _reference(params, x), rtol=1e-5, atol=1e-5)
    # The Python runtime's messages for the same mistakes.
    model = webtensor.compile(mlp, params, x, weights_argnums=0)
    expected = []
    for wrong in ({k: v for k, v in params.items() if k != "w1"}, {**params, "extra": params["w1"]}, [params]):
        with pytest.raises(webtensor.InvalidArgument) as caught:
            model.load_weights(wrong)
        expected.append(f"InvalidArgument: {caught.value}")
    assert reply["refusals"][:3] == expected
    # A leaf is a typed array (Python takes a list as array data; JS does not).
    assert reply["refusals"][3] == (
        "InvalidArgument: weight params['w1']: the model needs float32[16,32], as a Float32Array or {data: Float32Array, shape}"
    )
