"""IREE parameter archives (.irpa) read by the JS API itself
(web/weights.mjs): an archive written by `save_weights` binds a wasm32
model's weights in Node, from a path, a URL or its bytes, and gives
jax.jit's and the Python runtime's results; a splat entry is expanded; a
wrong name, shape or dtype is one InvalidArgument naming the weight, and a
malformed archive one InvalidEncoding that says what is wrong with it."""

import json
import struct
import subprocess
from pathlib import Path

import iree.runtime as ireert
import jax
import numpy as np
import pytest

import webtensor
from webtensor.bench.models import mlp
from webtensor.runtime.weights import save_weights
from webtensor.web.node import RUNNER, error_of, read_output, stage_inputs

WEB = Path(webtensor.__file__).parent / "web"

# The v0 layout (iree/schemas/parameter_archive.h): header fields and entry
# fields, by byte offset.
ENTRY_TABLE, METADATA_SEGMENT, STORAGE_SEGMENT = 40, 56, 72
ENTRY_NAME, ENTRY_DATA = 20, 60


@pytest.fixture(scope="module")
def archive(named, tmp_path_factory):
    path = tmp_path_factory.mktemp("archive") / "mlp.irpa"
    save_weights(path, named)
    return path


def _reference(params, x):
    return np.asarray(jax.jit(mlp)(params, x))


def _python_model(params, x, weights):
    model = webtensor.compile(mlp, params, x, weights_argnums=0)
    model.load_weights(str(weights))
    return model


def _run(node, artifact, x, weights, tmp_path):
    """One call in Node (web/node_run.mjs), the weights file given to the JS
    API as it is (web/node.py's run_in_node rewrites an .irpa as safetensors)."""
    request = {"artifact": str(artifact), "function": None, "fuel": None, "deadline": None, "repeat": 0,
               "inputs": stage_inputs(tmp_path, [x]), "weights": {"file": str(weights)}, "out_dir": str(tmp_path)}
    (tmp_path / "request.json").write_text(json.dumps(request))
    done = subprocess.run([node, str(RUNNER), str(tmp_path / "request.json")], capture_output=True, text=True, timeout=120)
    reply = json.loads(done.stdout.splitlines()[-1])
    if "error" in reply:
        raise error_of(reply["error"]["kind"], reply["error"]["message"])
    (output,) = reply["outputs"]
    return read_output(output["dtype"], output["shape"], Path(output["path"]).read_bytes())


def _error(node, artifact, x, weights, tmp_path):
    with pytest.raises(webtensor.WebTensorError) as caught:
        _run(node, artifact, x, weights, tmp_path)
    return type(caught.value).__name__, str(caught.value)


def test_irpa_weights_match_jax_and_the_python_runtime(node, artifact, archive, params, x, tmp_path):
    got = _run(node, artifact, x, archive, tmp_path)
    np.testing.assert_allclose(got, _reference(params, x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got, _python_model(params, x, archive)(x), rtol=1e-5, atol=1e-6)


SOURCES = """
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import * as webtensor from "%(web)s/webtensor.mjs";
import { loadInWorker } from "%(web)s/worker_client.mjs";
const [artifact, archive, x] = JSON.parse(process.argv[1]);
const input = { data: Float32Array.from(x.flat()), shape: [x.length, x[0].length] };
const fromBytes = await webtensor.load(artifact, { weights: new Uint8Array(await readFile(archive)) });
const results = { bytes: Array.from((await fromBytes.run([input]))[0].data) };
await fromBytes.loadWeights(pathToFileURL(archive));
results.url = Array.from((await fromBytes.run([input]))[0].data);
results.source = fromBytes.weightsSource;
const worker = await loadInWorker(artifact, { weights: archive });
results.worker = Array.from((await worker.run([input]))[0].data);
await worker.close();
console.log(JSON.stringify(results));
"""


def test_an_archive_binds_from_bytes_a_url_and_in_a_worker(node, artifact, archive, params, x):
    argument = json.dumps([str(artifact), str(archive), x.tolist()])
    done = subprocess.run([node, "--input-type=module", "-e", SOURCES % {"web": WEB.as_posix()}, argument],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["source"] == archive.as_uri()
    for source in ("bytes", "url", "worker"):
        np.testing.assert_allclose(np.reshape(reply[source], (3, 4)), _reference(params, x), rtol=1e-5, atol=1e-5)


def test_a_splat_entry_is_expanded(node, artifact, named, params, x, tmp_path):
    # iree-convert-parameters --splat stores a weight as a repeated pattern;
    # the Python runtime (IREE's index) binds it, and so does the JS API.
    index = ireert.ParameterIndex()
    for name, array in named.items():
        metadata = "TENSORv0:" + json.dumps({"type": "Tensor", "dtype": "float32", "shape": list(array.shape)})
        if name == "params['w2']":
            index.add_splat(name, np.float32(0.25).tobytes(), array.nbytes, metadata=metadata)
        else:
            index.add_buffer(name, array.reshape(-1).view(np.uint8), metadata=metadata)
    path = tmp_path / "splat.irpa"
    index.create_archive_file(str(path))
    splatted = {**params, "w2": np.full_like(params["w2"], 0.25)}
    got = _run(node, artifact, x, path, tmp_path)
    np.testing.assert_allclose(got, _reference(splatted, x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got, _python_model(params, x, path)(x), rtol=1e-5, atol=1e-6)


def test_a_wrong_name_shape_or_dtype_names_the_weight(node, artifact, named, x, tmp_path):
    renamed = {k if k != "params['w2']" else "params['w4']": v for k, v in named.items()}
    save_weights(tmp_path / "names.irpa", renamed)
    assert _error(node, artifact, x, tmp_path / "names.irpa", tmp_path) == (
        "InvalidArgument",
        f"weights: the tensors in {tmp_path / 'names.irpa'} do not match the model: "
        "missing params['w2']; not weights of this model: params['w4']",
    )
    save_weights(tmp_path / "shape.irpa", {**named, "params['b1']": np.zeros(31, np.float32)})
    assert _error(node, artifact, x, tmp_path / "shape.irpa", tmp_path) == (
        "InvalidArgument", f"weight params['b1']: the model needs float32[32], {tmp_path / 'shape.irpa'} holds float32[31]")
    save_weights(tmp_path / "dtype.irpa", {**named, "params['w1']": named["params['w1']"].astype(np.int32)})
    assert _error(node, artifact, x, tmp_path / "dtype.irpa", tmp_path) == (
        "InvalidArgument", f"weight params['w1']: the model needs float32[16,32], {tmp_path / 'dtype.irpa'} holds int32[16,32]")


def test_an_entry_without_metadata_is_checked_by_length_as_in_python(node, artifact, named, params, x, tmp_path):
    # An archive from another tool may not record types: only its length is
    # checked, with the Python runtime's message.
    index = ireert.ParameterIndex()
    for name, array in {**named, "params['b1']": np.zeros(31, np.float32)}.items():
        index.add_buffer(name, array.reshape(-1).view(np.uint8))
    path = tmp_path / "bare.irpa"
    index.create_archive_file(str(path))
    kind, message = _error(node, artifact, x, path, tmp_path)
    assert (kind, message) == ("InvalidArgument", f"weight params['b1']: the model needs float32[32] (128 bytes), {path} holds 124 bytes")
    with pytest.raises(webtensor.InvalidArgument) as caught:
        _python_model(params, x, path)
    assert str(caught.value) == message


def _u64(data, at):
    return struct.unpack_from("<Q", data, at)[0]


def _first_entry(data):
    """The first entry's offset in the file and its name."""
    entry = _u64(data, ENTRY_TABLE)
    name_at = _u64(data, METADATA_SEGMENT) + _u64(data, entry + ENTRY_NAME)
    return entry, data[name_at:name_at + _u64(data, entry + ENTRY_NAME + 8)].decode()


def _damaged(archive, tmp_path, change):
    data = bytearray(archive.read_bytes())
    change(data)
    path = tmp_path / "damaged.irpa"
    path.write_bytes(bytes(data))
    return path


def _put(at, value, fmt="<Q"):
    return lambda data: struct.pack_into(fmt, data, at, value)


def _cut(size):
    return lambda data: data.__delitem__(slice(size, None))


def test_a_malformed_archive_is_refused(node, artifact, archive, x, tmp_path):
    data = archive.read_bytes()
    entry, name = _first_entry(data)
    start, storage = _u64(data, STORAGE_SEGMENT), _u64(data, STORAGE_SEGMENT + 8)
    offset, length = _u64(data, entry + ENTRY_DATA), _u64(data, entry + ENTRY_DATA + 8)
    cases = [
        (_cut(start + storage - 4), f"the storage segment ({storage} bytes at byte {start}) ends at byte {start + storage}, "
                                    f"past the end of the file ({start + storage - 4} bytes)"),
        (_cut(40), "the file ends at byte 40, inside the 88-byte header at byte 0: it is truncated"),
        (_put(entry + ENTRY_DATA, storage), f"the data of entry '{name}' (bytes {storage} to {storage + length}) "
                                            f"lies past the end of the storage segment ({storage} bytes)"),
        (_put(entry + ENTRY_DATA + 8, 1 << 63), f"the data of entry '{name}' (bytes {offset} to {offset + (1 << 63)}) "
                                                f"lies past the end of the storage segment ({storage} bytes)"),
        (_put(entry, 1 << 62), f"entry 0 says it is {1 << 62} bytes, which the entry table ({_u64(data, ENTRY_TABLE + 8)} bytes left) cannot hold"),
        (_put(ENTRY_TABLE, entry + 4), f"the entry table at byte {entry + 4} is not 16-byte aligned"),
        (_put(4, 1, "<H"), "format version 1.0; this WebTensor reads version 0.0"),
        (_put(16, 16), "no IRPA magic (the header linked at byte 16)"),
    ]
    for change, why in cases:
        path = _damaged(archive, tmp_path, change)
        assert _error(node, artifact, x, path, tmp_path) == ("InvalidEncoding", f"{path}: not a readable IREE parameter archive: {why}")
    path = _damaged(archive, tmp_path, lambda d: d.__setitem__(slice(0, 4), b"IRPB"))
    assert _error(node, artifact, x, path, tmp_path) == (
        "InvalidEncoding", f"{path}: not a weights file (safetensors, .irpa or a .wtpkg package)")


def test_two_entries_of_one_name_are_refused(node, artifact, archive, x, tmp_path):
    data = archive.read_bytes()
    entry, name = _first_entry(data)
    second = entry + (_u64(data, entry) + 15) // 16 * 16
    # The second entry's name points at the first's.
    path = _damaged(archive, tmp_path, lambda d: d.__setitem__(slice(second + ENTRY_NAME, second + ENTRY_NAME + 16),
                                                                data[entry + ENTRY_NAME:entry + ENTRY_NAME + 16]))
    assert _error(node, artifact, x, path, tmp_path) == (
        "InvalidEncoding", f"{path}: not a readable IREE parameter archive: two entries are named '{name}'")
