"""Deadlines in the web runtime: a model loaded in a worker (worker_client.mjs;
a worker thread in Node) whose call passes its deadline has the worker
stopped, wherever its wasm is, and the call rejects with Timeout; the
model's next call loads it again and runs. A model on the caller's thread
cannot be stopped, and says so."""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import webtensor
from webtensor.bench.models import SQUARING_LOOP, squared
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions
from webtensor.web.node import run_in_node

WEB = Path(webtensor.__file__).parent / "web"
FOREVER = 1 << 62  # loop iterations, and the fuel that would pay for them


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    path = tmp_path_factory.mktemp("deadline") / "loop.vmfb"
    path.write_bytes(compile_artifact(import_source(SQUARING_LOOP), CompileOptions(target="wasm32")))
    return path


@pytest.fixture
def x():
    return np.random.default_rng(3).uniform(0.5, 1.5, 4).astype(np.float32)


def test_a_call_within_its_deadline_returns_its_results(node, artifact, x):
    got = run_in_node(artifact, [np.int64(3), x], deadline=60).outputs[0]
    np.testing.assert_allclose(got, squared(x, 3), rtol=1e-6)


def test_a_call_past_its_deadline_is_stopped(node, artifact, x):
    started = time.monotonic()
    with pytest.raises(webtensor.Timeout) as caught:
        run_in_node(artifact, [np.int64(FOREVER), x], fuel=FOREVER, deadline=0.5)
    assert str(caught.value) == (
        "main did not finish within its deadline of 0.5 s in its worker; the worker was stopped, "
        "and the model's next call loads it in a new one"
    )
    assert time.monotonic() - started < 30  # the loop would run for ages


def test_webtensor_run_takes_a_deadline_on_node(node, artifact, x):
    command = [sys.executable, "-m", "webtensor.tools.run", str(artifact), "--device=node", "--deadline=0.5",
               f"--fuel={FOREVER}", f"--input=i64={FOREVER}", "--input=4xf32=1,1,1,1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "did not finish within its deadline of 0.5 s in its worker" in done.stderr


RECOVERY = """
import * as webtensor from "%(web)s/webtensor.mjs";
import { loadInWorker } from "%(web)s/worker_client.mjs";
const [artifact, forever] = process.argv.slice(1);
const x = Float32Array.of(1, 2, 0.5, 1);
const report = {};
const model = await loadInWorker(artifact, { deadline: 0.5 });
const started = performance.now();
try {
  await model.run([BigInt64Array.of(BigInt(forever)), x], { fuel: BigInt(forever) });
} catch (error) {
  report.timeout = `${error.name}: ${error.message}`;
}
report.seconds = (performance.now() - started) / 1000;
// The next call, with a deadline of its own, loads the model in a new worker.
report.after = Array.from((await model.run([BigInt64Array.of(2n), x], { deadline: 60 }))[0].data);
await model.close();
for (const [what, attempt] of [
  ["bad", () => loadInWorker(artifact, { deadline: -1 })],
  ["here", async () => (await webtensor.load(artifact)).run([BigInt64Array.of(1n), x], { deadline: 1 })],
]) {
  try {
    await attempt();
  } catch (error) {
    report[what] = `${error.name}: ${error.message}`;
  }
}
console.log(JSON.stringify(report));
"""


def test_the_model_recovers_after_a_deadline_and_bad_deadlines_are_refused(node, artifact):
    script = RECOVERY % {"web": WEB.as_posix()}
    done = subprocess.run([node, "--input-type=module", "-e", script, str(artifact), str(FOREVER)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["timeout"].startswith("Timeout: main did not finish within its deadline of 0.5 s in its worker")
    assert 0.5 <= report["seconds"] < 30
    np.testing.assert_allclose(report["after"], squared(np.array([1, 2, 0.5, 1], np.float32), 2), rtol=1e-6)
    assert report["bad"] == "InvalidArgument: deadline must be a positive number of seconds, or null, got -1"
    assert report["here"] == (
        "UnsupportedOperation: a deadline needs the model in a worker, which can be stopped at the deadline: "
        "load it with loadInWorker (worker_client.mjs)"
    )
