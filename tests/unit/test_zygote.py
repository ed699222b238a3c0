"""The zygote (runtime/zygote.py) that forks the compiler's workers and the
runtime's model processes: each fork is a fresh process (its own session,
the request's streams, descriptors, directory, environment and arguments,
nothing of the zygote's), its exit status comes back as subprocess.Popen's
would, a kill reaches it and its group, it dies with its zygote, and a
zygote that cannot serve is never used.

tests/zygote_probe.py is the entry and reports the state a fork gave it;
test_isolation.py and test_runtime_process.py run the compiler's and the
runtime's children through their zygotes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest

import webtensor
from webtensor.compiler import worker
from webtensor.runtime import zygote
from webtensor.runtime.zygote import Zygote
from webtensor.tests.zygote_probe import ENTRY

pytestmark = pytest.mark.skipif(not zygote.supported(), reason="the zygote runs on Linux only")

ADD = "func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {\n  %0 = stablehlo.add %x, %x : tensor<2xf32>\n  return %0 : tensor<2xf32>\n}\n"


@pytest.fixture
def started(monkeypatch):
    monkeypatch.delenv("PROBE_PRELOAD", raising=False)
    running = Zygote(ENTRY)
    yield running
    running.close()


class Probe:
    """A forked probe with its three pipes."""

    def __init__(self, started, tmp_path, action="exit 0", stdin=b"", fds=()):
        pipes = [os.pipe() for _ in range(3)]
        self.forked = started.fork(
            fds,
            stdio=(pipes[0][0], pipes[1][1], pipes[2][1]),
            argv=["--an-argument"],
            cwd=str(tmp_path),
            environment={"PROBE_VARIABLE": "from the request", "PROBE_ACTION": action},
        )
        for fd in (pipes[0][0], pipes[1][1], pipes[2][1]):
            os.close(fd)
        with os.fdopen(pipes[0][1], "wb") as child_stdin:
            child_stdin.write(stdin)
        with os.fdopen(pipes[1][0], "rb") as out, os.fdopen(pipes[2][0], "rb") as err:
            self.state = json.loads(out.read())
            self.stderr = err.read()


def test_a_fork_is_a_fresh_process(started, tmp_path):
    kept = os.open(os.devnull, os.O_RDONLY)
    try:
        probe = Probe(started, tmp_path, stdin=b"the request", fds=(kept,))
    finally:
        os.close(kept)
    state = probe.state
    assert probe.stderr == b"to stderr"
    assert probe.forked.wait(30) == 0
    assert state["pid"] == probe.forked.pid
    assert state["ppid"] == started.process.pid
    assert state["process_group"] == state["session"] == probe.forked.pid
    assert state["cwd"] == state["path0"] == str(tmp_path)
    assert state["argv"] == ["--an-argument"]
    assert state["variable"] == "from the request"
    assert state["stdin"] == "the request"
    assert state["threads"] == 1
    # 0-2, the kept descriptor, and the one that listed them: nothing of the zygote's.
    assert state["open_fds"][:3] == [0, 1, 2] and len(state["open_fds"]) == 5

    second = Probe(started, tmp_path)
    assert second.state["ppid"] == started.process.pid
    assert second.forked.wait(30) == 0 and second.forked.pid != probe.forked.pid


@pytest.mark.parametrize("action, status", [("exit 3", 3), ("segv", -signal.SIGSEGV)])
def test_the_exit_status_is_popens(started, tmp_path, action, status):
    probe = Probe(started, tmp_path, action)
    assert probe.forked.wait(30) == status
    assert probe.forked.poll() == status


@pytest.mark.parametrize("group", [False, True])
def test_a_kill_reaches_the_child(started, tmp_path, group):
    probe = Probe(started, tmp_path, "sleep")
    assert probe.forked.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        probe.forked.wait(0.2)
    probe.forked.kill(group=group)
    assert probe.forked.wait(30) == -signal.SIGKILL


def test_a_zygote_exits_when_its_socket_closes(started, tmp_path):
    # As when its parent dies. A compile worker it forked dies with it
    # (PR_SET_PDEATHSIG, worker_main: the next test), a model's child when
    # its lifeline closes (test_runtime_process.py).
    probe = Probe(started, tmp_path)
    assert probe.forked.wait(30) == 0
    started.close()
    assert started.process.returncode == 0
    assert started.wait(probe.forked.pid) == -signal.SIGKILL


@pytest.mark.parametrize(
    "preload, reason",
    [
        ("raise", f"the zygote cannot import {ENTRY}: RuntimeError: a simulated import failure"),
        ("thread", f"the zygote runs 2 threads after importing {ENTRY}; a fork copies one"),
    ],
)
def test_a_zygote_that_cannot_serve_is_not_used(monkeypatch, preload, reason):
    monkeypatch.setenv("PROBE_PRELOAD", preload)
    with pytest.raises(OSError, match=reason):
        Zygote(ENTRY)


@pytest.mark.parametrize("use_zygote", [True, False])
def test_compiles_with_and_without_the_zygote(monkeypatch, use_zygote):
    monkeypatch.setattr(worker, "USE_ZYGOTE", use_zygote)
    started = []
    spawn = worker._spawn
    monkeypatch.setattr(worker, "_spawn", lambda *args: started.append(args) or spawn(*args))
    model = webtensor.compile(ADD)
    assert model(np.array([1, 2], np.float32)).tolist() == [2, 4]
    assert len(started) == (0 if use_zygote else 1)


def test_a_compile_worker_dies_with_its_zygote(monkeypatch, tmp_path):
    from webtensor.tests import worker_faults

    monkeypatch.setattr(worker, "WORKER_MODULE", worker_faults.MODULE)
    monkeypatch.setenv(worker_faults.FAULT_VARIABLE, "sleep")
    running = Zygote.start(f"{worker_faults.MODULE}:main", dict(os.environ))
    argv = ["--memory-bytes=1073741824", "--cpu-seconds=60", f"--parent-pid={running.process.pid}"]
    process = zygote.Piped.fork(running, argv, dict(os.environ), str(tmp_path))
    time.sleep(0.5)  # it waits for its request, limits set, parent death signal armed
    running.process.kill()
    running.process.wait()
    deadline = time.monotonic() + 30
    while _alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(process.pid)
    for stream in (process.stdin, process.stdout, process.stderr):
        stream.close()
    Zygote._running.pop(f"{worker_faults.MODULE}:main", None)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False
