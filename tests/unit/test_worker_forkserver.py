"""The compiler workers' fork server (compiler/worker_forkserver.py): each
fork is a fresh worker (its own session, the request's directory,
environment and arguments, no descriptor but its three streams), its exit
status comes back as subprocess.Popen's would, it dies with the server, and
a server that cannot serve is never used.

tests/forkserver_probe.py stands in for worker_main and reports the state a
fork gave it; test_isolation.py runs the compiler's failures through the
server.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time

import numpy as np
import pytest

import webtensor
from webtensor.compiler import worker, worker_forkserver
from webtensor.compiler.worker_forkserver import ForkServer, ServerUnavailable
from webtensor.tests import forkserver_probe

ADD = "func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {\n  %0 = stablehlo.add %x, %x : tensor<2xf32>\n  return %0 : tensor<2xf32>\n}\n"

pytestmark = pytest.mark.skipif(not worker_forkserver.AVAILABLE, reason="the fork server runs on Linux only")


@pytest.fixture
def server(monkeypatch):
    monkeypatch.delenv("PROBE_PRELOAD", raising=False)
    started = ForkServer(forkserver_probe.MODULE)
    yield started
    started.close()


def _run(server, tmp_path, action="exit 0", stdin=b""):
    worker_process = server.spawn(
        ["--memory-bytes=1"], {"PROBE_VARIABLE": "from the request", "PROBE_ACTION": action}, str(tmp_path)
    )
    worker_process.stdin.write(stdin)
    worker_process.stdin.close()
    return worker_process


def test_a_fork_is_a_fresh_worker(server, tmp_path):
    first = _run(server, tmp_path, stdin=b"the request")
    state = json.loads(first.stdout.read())
    assert first.stderr.read() == b"to stderr"
    assert first.wait(30) == 0
    assert state["pid"] == first.pid
    assert state["ppid"] == server.process.pid
    assert state["process_group"] == state["session"] == first.pid
    assert state["cwd"] == state["path0"] == str(tmp_path)
    assert state["argv"] == ["--memory-bytes=1", f"--parent-pid={server.process.pid}"]
    assert state["variable"] == "from the request"
    assert state["stdin"] == "the request"
    assert state["threads"] == 1
    # 0-2, and the descriptor that listed them: nothing of the server's.
    assert state["open_fds"][:3] == [0, 1, 2] and len(state["open_fds"]) <= 4

    second = _run(server, tmp_path)
    assert json.loads(second.stdout.read())["ppid"] == server.process.pid
    assert second.wait(30) == 0 and second.pid != first.pid


@pytest.mark.parametrize("action, status", [("exit 3", 3), ("segv", -signal.SIGSEGV)])
def test_the_exit_status_is_popens(server, tmp_path, action, status):
    worker_process = _run(server, tmp_path, action)
    worker_process.stdout.read()
    assert worker_process.wait(30) == status
    assert worker_process.poll() == status


def test_a_worker_is_killed_through_the_server(server, tmp_path):
    worker_process = _run(server, tmp_path, "sleep")
    worker_process.stdout.read()
    assert worker_process.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        worker_process.wait(0.2)
    worker_process.kill_group()
    assert worker_process.wait(30) == -signal.SIGKILL


def test_the_workers_die_with_the_server(server, tmp_path):
    worker_process = _run(server, tmp_path, "sleep")
    worker_process.stdout.read()
    server.process.kill()
    assert worker_process.wait(30) == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while _alive(worker_process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker_process.pid)


def test_the_server_exits_when_its_parent_closes_the_control_socket(server):
    server.control.close()
    assert server.process.wait(30) == 0


@pytest.mark.parametrize(
    "preload, reason",
    [("raise", "RuntimeError: a simulated import failure"), ("thread", "it runs 2 threads after its imports; a fork copies one")],
)
def test_a_server_that_cannot_serve_is_not_used(monkeypatch, preload, reason):
    monkeypatch.setenv("PROBE_PRELOAD", preload)
    with pytest.raises(ServerUnavailable, match=reason):
        ForkServer(forkserver_probe.MODULE)


@pytest.mark.parametrize("use_fork_server", [True, False])
def test_compiles_with_and_without_the_server(monkeypatch, use_fork_server):
    monkeypatch.setattr(worker, "USE_FORK_SERVER", use_fork_server)
    started = []
    spawn = worker._spawn
    monkeypatch.setattr(worker, "_spawn", lambda *args: started.append(args) or spawn(*args))
    model = webtensor.compile(ADD)
    assert model(np.array([1, 2], np.float32)).tolist() == [2, 4]
    assert len(started) == (0 if use_fork_server else 1)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False
