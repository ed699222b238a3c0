"""Calls in a child process (`load(..., process=True)`): a deadline kills the
child, so the work stops, and the model carries on in a new one. Timings are
sanity bounds only; bench/deadline.py measures them."""

import asyncio
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import webtensor
from webtensor.runtime.call_process import _CHILD_MODULE, ProcessOptions, _memfd, _results
from webtensor.runtime.zygote import Zygote
from webtensor.runtime.process_channel import Arena
from webtensor.runtime.limits import MAX_FUEL
from webtensor.runtime.weights import save_weights
from webtensor.bench.models import SQUARING_LOOP, mlp, mlp_params, squared


# Six chained 4096^3 matmuls: minutes of work on two cores, and no loop.
_N = 4096
_T = f"tensor<{_N}x{_N}xf32>"
_MATMUL = f"stablehlo.dot_general %{{a}}, %x, contracting_dims = [1] x [0] : ({_T}, {_T}) -> {_T}"
CHAIN = "\n".join(
    [f"func.func @main(%x: {_T}) -> {_T} {{"]
    + [f"  %m{i} = " + _MATMUL.format(a="x" if i == 0 else f"m{i - 1}") for i in range(6)]
    + [f"  return %m5 : {_T}", "}"]
)

FOREVER = np.int64(1 << 62)


@pytest.fixture(scope="module")
def loop():
    return webtensor.compile(SQUARING_LOOP).artifact.data


@pytest.fixture
def x():
    return np.random.default_rng(7).uniform(0.5, 1.5, 4).astype(np.float32)




def _gone(pid, within=60.0):
    """Whether process `pid` has ended and been reaped, waiting up to `within` s."""
    end = time.monotonic() + within
    while os.path.exists(f"/proc/{pid}"):
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


def _dead(pid, within=60.0):
    """Whether process `pid` has ended, every thread of it (a pidfd turns
    readable then), reaped or not, waiting up to `within` s."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True  # reaped already
    try:
        return bool(select.select([pidfd], [], [], within)[0])
    finally:
        os.close(pidfd)


def _cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _one_child(model, within=120.0):
    """The pid of the model's one child, once the replacement has started."""
    end = time.monotonic() + within
    while len(model.process_ids()) != 1 and time.monotonic() < end:
        time.sleep(0.01)
    (pid,) = model.process_ids()
    return pid


def test_calls_run_in_a_child_with_the_same_results(loop, x):
    model = webtensor.load(loop, process=True)
    assert model.process == ProcessOptions()
    (pid,) = model.process_ids()
    assert pid != os.getpid()
    in_process = webtensor.load(loop)
    assert in_process.process_ids() == []
    for n in (0, 1, 5):
        np.testing.assert_array_equal(model(np.int64(n), x), in_process(np.int64(n), x))
    np.testing.assert_allclose(model.main.call_flat([np.int64(3), x]), [squared(x, 3)], rtol=1e-6)
    model.close()
    assert _gone(pid)


def test_a_deadline_kills_an_infinite_loop_and_the_next_call_runs_at_once(loop, x):
    model = webtensor.load(loop, process=True)
    (pid,) = model.process_ids()
    with pytest.raises(webtensor.Timeout) as info:
        model(FOREVER, x, fuel=MAX_FUEL, deadline=0.5)
    assert str(info.value) == (
        "main did not finish within its deadline of 0.5 s on local-task; its process was stopped, "
        "and the model's next call runs in a new one"
    )
    assert not isinstance(info.value, webtensor.BudgetExceeded)
    assert _gone(pid)  # the work stopped with it
    np.testing.assert_allclose(model(np.int64(2), x, deadline=120), squared(x, 2), rtol=1e-6)
    new = _one_child(model)
    assert new != pid
    # The new child waits for calls: it spends no CPU time between them.
    before = _cpu_seconds(new)
    time.sleep(0.5)
    assert _cpu_seconds(new) - before < 0.25


def test_a_model_loaded_with_a_deadline_runs_its_calls_in_a_child(loop, x):
    model = webtensor.load(loop, deadline=0.5, fuel=MAX_FUEL)
    assert model.process == ProcessOptions()
    (pid,) = model.process_ids()
    with pytest.raises(webtensor.Timeout, match="its process was stopped"):
        model(FOREVER, x)
    assert _gone(pid)
    np.testing.assert_allclose(model(np.int64(1), x, deadline=120), squared(x, 1), rtol=1e-6)
    # process=False keeps the calls here, deadline or not.
    here = webtensor.load(loop, deadline=30, process=False)
    assert here.process is None and here._engine.contexts is not None
    np.testing.assert_allclose(here(np.int64(1), x), squared(x, 1), rtol=1e-6)


@pytest.mark.parametrize("process", ["yes", 1, 0, ProcessOptions])
def test_bad_process_values_are_rejected(loop, process):
    with pytest.raises(webtensor.InvalidArgument, match="process must be True, False, None or a ProcessOptions, got"):
        webtensor.load(loop, process=process)


def test_a_deadline_that_passes_before_the_call_is_sent_kills_nothing(loop, x):
    model = webtensor.load(loop, process=True)
    (pid,) = model.process_ids()
    with pytest.raises(webtensor.Timeout, match="deadline of 1e-09 s on local-task: it waited .* never started"):
        model(FOREVER, x, fuel=MAX_FUEL, deadline=1e-9)
    assert model.process_ids() == [pid]
    np.testing.assert_allclose(model(np.int64(1), x), squared(x, 1), rtol=1e-6)


def test_loop_free_work_is_stopped_by_its_deadline():
    model = webtensor.load(webtensor.compile(CHAIN).artifact.data, process=True)
    (pid,) = model.process_ids()
    x = np.random.default_rng(1).standard_normal((_N, _N)).astype(np.float32)
    started = time.monotonic()
    with pytest.raises(webtensor.Timeout, match="its process was stopped"):
        model(x, fuel=MAX_FUEL, deadline=1.0)
    assert time.monotonic() - started < 60  # minutes of work, had it run on
    assert _gone(pid)


def test_errors_from_the_child_keep_their_type(loop, x):
    model = webtensor.load(loop, process=True)
    (pid,) = model.process_ids()
    with pytest.raises(webtensor.BudgetExceeded, match="returned nothing; pass a larger fuel="):
        model(np.int64(1000), x, fuel=model.signature.cost)  # its up-front price, but no iteration more
    with pytest.raises(webtensor.BudgetExceeded, match="before any loop runs, above its budget of 5; nothing ran"):
        model(np.int64(1000), x, fuel=5)
    with pytest.raises(webtensor.InvalidArgument, match=r"argument arg1: expected float32\[4\], got float32\[5\]"):
        model(np.int64(1), np.zeros(5, np.float32))
    with pytest.raises(webtensor.InvalidArgument, match="fuel must be"):
        model(np.int64(1), x, fuel=-1)
    # An error is an answer: the child serves on.
    np.testing.assert_allclose(model(np.int64(1), x), squared(x, 1), rtol=1e-6)
    assert model.process_ids() == [pid]


def test_a_crash_is_an_execution_error_and_the_model_recovers(loop, x):
    model = webtensor.load(loop, process=True)
    (pid,) = model.process_ids()
    running = model.call_async(FOREVER, x, fuel=MAX_FUEL)
    time.sleep(0.3)
    os.kill(pid, signal.SIGSEGV)
    with pytest.raises(webtensor.ExecutionError, match="main failed on local-task: its process was killed by SIGSEGV"):
        running.result(timeout=120)
    np.testing.assert_allclose(model(np.int64(3), x), squared(x, 3), rtol=1e-6)
    assert _one_child(model) != pid


def test_a_child_that_died_while_idle_is_replaced_before_the_call(loop, x):
    model = webtensor.load(loop, process=True)
    (pid,) = model.process_ids()
    os.kill(pid, signal.SIGKILL)
    assert _dead(pid)
    np.testing.assert_allclose(model(np.int64(2), x), squared(x, 2), rtol=1e-6)


ENTRY = f"{_CHILD_MODULE}:child_main"


def test_children_are_forked_by_the_zygote_which_is_started_again_if_it_dies(loop, x):
    model = webtensor.load(loop, process=True)
    zygote = Zygote._running[ENTRY].process
    (pid,) = model.process_ids()
    with open(f"/proc/{pid}/stat") as f:
        assert int(f.read().rsplit(")", 1)[1].split()[1]) == zygote.pid  # its parent
    assert len(os.listdir(f"/proc/{zygote.pid}/task")) == 1  # nothing but the main thread to fork
    zygote.kill()
    zygote.wait()
    with pytest.raises(webtensor.Timeout):
        model(FOREVER, x, fuel=MAX_FUEL, deadline=0.3)
    assert _dead(pid)
    np.testing.assert_allclose(model(np.int64(2), x, deadline=120), squared(x, 2), rtol=1e-6)
    assert Zygote._running[ENTRY].process.pid != zygote.pid


def test_without_a_zygote_children_start_as_interpreters_of_their_own(loop, x, monkeypatch):
    def cannot_start(self, entry, environment=None):
        raise OSError("no zygote here")

    monkeypatch.setattr(Zygote, "_running", {})
    monkeypatch.setattr(Zygote, "__init__", cannot_start)
    model = webtensor.load(loop, process=True)
    (pid,) = model.process_ids()
    with open(f"/proc/{pid}/stat") as f:
        assert int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid()
    running = model.call_async(FOREVER, x, fuel=MAX_FUEL)
    time.sleep(0.3)
    os.kill(pid, signal.SIGSEGV)
    with pytest.raises(webtensor.ExecutionError, match="its process was killed by SIGSEGV"):
        running.result(timeout=120)
    np.testing.assert_allclose(model(np.int64(2), x, deadline=120), squared(x, 2), rtol=1e-6)
    (pid,) = model.process_ids()
    with pytest.raises(webtensor.Timeout, match="its process was stopped"):
        model(FOREVER, x, fuel=MAX_FUEL, deadline=0.3)
    assert _dead(pid)
    np.testing.assert_allclose(model(np.int64(3), x, deadline=120), squared(x, 3), rtol=1e-6)
    model.close()


def test_a_spare_child_takes_over_at_once(loop, x):
    model = webtensor.load(loop, process=ProcessOptions(spare=True))
    end = time.monotonic() + 120
    while len(model.process_ids()) < 2 and time.monotonic() < end:
        time.sleep(0.01)
    before = set(model.process_ids())
    assert len(before) == 2
    with pytest.raises(webtensor.Timeout):
        model(FOREVER, x, fuel=MAX_FUEL, deadline=0.3)
    np.testing.assert_allclose(model(np.int64(2), x), squared(x, 2), rtol=1e-6)
    killed = before - set(model.process_ids())
    assert len(killed) == 1 and _gone(killed.pop())
    while len(model.process_ids()) < 2 and time.monotonic() < end:
        time.sleep(0.01)
    assert len(model.process_ids()) == 2  # a new spare


@pytest.mark.parametrize("device", ["local-task", "local-sync"])  # one child; one per core
def test_concurrent_callers_share_the_children_and_survive_a_kill(loop, x, device):
    model = webtensor.load(loop, device=device, process=True)
    failures = []

    def work(seed):
        rng = np.random.default_rng(seed)
        for _ in range(20):
            n = int(rng.integers(0, 6))
            v = rng.uniform(0.5, 1.5, 4).astype(np.float32)
            try:
                np.testing.assert_allclose(model(np.int64(n), v, deadline=120), squared(v, n), rtol=1e-6)
            except Exception as e:  # collected for the main thread
                failures.append(repr(e))

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    with pytest.raises(webtensor.Timeout):
        model(FOREVER, x, fuel=MAX_FUEL, deadline=0.3)
    for thread in threads:
        thread.join()
    assert failures == []


def test_a_reply_that_does_not_fit_the_signature_or_the_file_is_refused(loop):
    model = webtensor.load(loop, process=True)
    written = Arena(_memfd("test"), writer=True)

    class Child:
        outputs = Arena(written.fd, writer=False)

    ones = np.ones(4, np.float32)
    layout = written.write([ones])
    limit = model.limits.max_tensor_bytes
    np.testing.assert_array_equal(_results(model.main, Child, {"outputs": layout}, limit), [ones])
    for bad in ([], [[0, [5]]], [[0, [4, 1]]], [[0, [-4]]], [["0", [4]]], [[3, [4]]], [[written.size - 8, [4]]], 7):
        with pytest.raises(ValueError):
            _results(model.main, Child, {"outputs": bad}, limit)
    with pytest.raises(ValueError, match="result result0 of 16 bytes is above the largest tensor .8."):
        _results(model.main, Child, {"outputs": layout}, 8)
    with pytest.raises(PermissionError):  # sealed: a side may grow the file, never shrink it
        os.ftruncate(written.fd, 0)


def test_call_async_and_acall(loop, x):
    model = webtensor.load(loop, process=True)
    v = x.copy()
    future = model.call_async(np.int64(3), v)
    v[:] = 0  # the call took its inputs already
    np.testing.assert_allclose(future.result(timeout=120), squared(x, 3), rtol=1e-6)
    with pytest.raises(webtensor.InvalidArgument, match="deadline must be a positive number"):
        model.call_async(np.int64(1), x, deadline=0)
    late = model.call_async(FOREVER, x, fuel=MAX_FUEL, deadline=0.3)
    with pytest.raises(webtensor.Timeout, match="its process was stopped"):
        late.result(timeout=120)

    async def main():
        return await asyncio.gather(*(model.acall(np.int64(n), x) for n in range(4)))

    for n, result in enumerate(asyncio.run(main())):
        np.testing.assert_allclose(result, squared(x, n), rtol=1e-6)


def test_device_tensors_go_through_the_host(loop, x):
    model = webtensor.load(loop, process=True)
    on_device = model(np.int64(1), x, keep_on_device=True)
    assert isinstance(on_device, webtensor.DeviceTensor)
    np.testing.assert_allclose(model(np.int64(1), on_device), squared(x, 2), rtol=1e-6)


@pytest.fixture(scope="module")
def weighted():
    rng = np.random.default_rng(11)
    params = mlp_params(rng, (16, 32, 32, 4))
    x = rng.standard_normal((3, 16)).astype(np.float32)
    model = webtensor.compile(mlp, params, x, weights_argnums=0, cache=False)
    return model, params, x


def test_weights_from_a_file_and_from_memory(weighted, tmp_path):
    compiled, params, x = weighted
    expected = compiled(x)
    path = tmp_path / "weights.safetensors"
    save_weights(path, {name: params[name.split("'")[1]] for name in compiled.weights})
    data = compiled.artifact.data
    from_file = webtensor.load(data, process=True, weights=str(path))
    assert from_file.weights_source == f"safetensors {path}"
    np.testing.assert_array_equal(from_file(x), expected)
    from_memory = webtensor.load(data, process=True, weights=params)
    np.testing.assert_array_equal(from_memory(x), expected)
    # Swapped weights reach a new child; the old one ends.
    (old,) = from_memory.process_ids()
    doubled = {name: value * 2 for name, value in params.items()}
    from_memory.load_weights(doubled)
    np.testing.assert_array_equal(from_memory(x), webtensor.load(data, weights=doubled)(x))
    assert _gone(old)
    # Weights are checked here, before a child sees them.
    with pytest.raises(webtensor.InvalidArgument, match="missing"):
        from_memory.load_weights({})


def test_a_package_loaded_with_a_deadline_maps_its_weights_in_the_child(weighted, tmp_path):
    compiled, params, x = weighted
    path = tmp_path / "mlp.wtpkg"
    webtensor.export(mlp, params, x, weights_argnums=0).save(path)
    model = webtensor.load(path, deadline=60, cache=False)
    assert model.process == ProcessOptions() and model.weights_source == f"package {path}"
    np.testing.assert_array_equal(model(x), compiled(x))


def test_unbound_weights_are_reported_by_the_child(weighted):
    compiled, _, x = weighted
    model = webtensor.load(compiled.artifact.data, process=True)
    with pytest.raises(webtensor.NotFound, match="none are bound"):
        model(x)


def test_the_children_end_with_the_parent(loop, tmp_path):
    path = tmp_path / "loop.vmfb"
    path.write_bytes(loop)
    script = textwrap.dedent(
        f"""
        import threading
        import time
        import numpy as np
        import webtensor
        model = webtensor.load({str(path)!r}, process=True)
        print(*model.process_ids(), flush=True)
        call = lambda: model(np.int64(1 << 62), np.ones(4, np.float32), fuel={MAX_FUEL})
        threading.Thread(target=call, daemon=True).start()
        time.sleep(0.5)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (pid,) = map(int, result.stdout.split())
    assert _dead(pid)
