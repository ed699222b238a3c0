"""Starts compiler workers by forking a process that has already imported
the compiler (the server: worker_forkserver_main.py).

A fresh `python -m webtensor.compiler.worker_main` spends one to three
seconds importing numpy, ml_dtypes, IREE and the passes before it reads its
request; most small compiles take less than that. So the first isolated
compile of a process starts one fork server, which imports all that once,
reports that it runs a single thread (a fork copies only the calling
thread, so a threaded server could hand its children a held lock), and then
forks one worker per compile. Each fork is then what a fresh worker is: its
own session and process group, the request's environment and a private
working directory, and worker_main's own limits, set before it reads any
input. A compile never returns its state to the server, which never reads
input, so every worker starts from the same clean state.

    parent (worker.py, this module)      fork server (worker_forkserver_main.py)
    ForkServer.spawn ── seqpacket: argv, env, cwd + fds ──► fork ─► worker_main.main()
                     ◄── "pid N", then "exit S" ─── waitpid ◄──┘
                     ── "kill" ─────────────────────► killpg (only if not reaped)

The server reaps its children, so it sends their exit status, and it
alone kills them: a pid it has reaped is never signalled, even if reused.
It dies with its parent, and its children with it (PR_SET_PDEATHSIG on
both), and exits when the parent closes the control socket. Where it cannot
start (not Linux, a server that does not become ready), worker.py starts
fresh workers as before.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading

SERVER_MODULE = "webtensor.compiler.worker_forkserver_main"
READY_SECONDS = 120.0  # the server's imports, on a loaded machine
REPLY_SECONDS = 30.0  # a fork, or a reaped child's status
MESSAGE_BYTES = 1 << 20  # a request: argv, environment and working directory
FD_NAMES = ("stdin", "stdout", "stderr", "status")
AVAILABLE = sys.platform == "linux" and hasattr(socket, "SOCK_SEQPACKET") and hasattr(socket, "send_fds")


class ServerUnavailable(Exception):
    """The fork server did not start or stopped answering; start a fresh worker instead."""


# --- The parent ---------------------------------------------------------------


class ForkedWorker:
    """A worker forked by the server, with the parts of subprocess.Popen's
    interface that worker.py uses (pid, the three streams, poll, wait,
    returncode), and kill_group(), which asks the server to kill it."""

    def __init__(self, pid: int, status: socket.socket, stdin, stdout, stderr):
        self.pid = pid
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.returncode: int | None = None
        self._status = status

    def poll(self) -> int | None:
        if self.returncode is None:
            self._read_status(0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and not self._read_status(timeout):
            raise subprocess.TimeoutExpired(f"compiler worker {self.pid}", timeout or 0.0)
        return self.returncode

    def kill_group(self) -> None:
        if self.returncode is None:
            try:
                self._status.send(b"kill")
            except OSError:
                pass  # the server is gone, and its children with it

    def _read_status(self, timeout: float | None) -> bool:
        self._status.settimeout(timeout)
        try:
            message = self._status.recv(64)
        except (TimeoutError, BlockingIOError):
            return False
        except OSError:
            message = b""
        # No status means the server died; PR_SET_PDEATHSIG killed the worker.
        self.returncode = int(message.split()[1]) if message.startswith(b"exit ") else -signal.SIGKILL
        self._status.close()
        return True


class ForkServer:
    """One running server, for one worker module and Python executable."""

    _lock = threading.Lock()
    _servers: dict[tuple[str, str, int], "ForkServer"] = {}
    _unavailable: dict[tuple[str, str, int], str] = {}  # why, once a server failed: not tried again

    @classmethod
    def for_module(cls, module: str, environment: dict[str, str]) -> "ForkServer":
        """The running server for `module`, started in `environment` if there
        is none (or if it died). Raises OSError if Python cannot be started at all, and
        ServerUnavailable if the server did not become ready."""
        key = (module, sys.executable, os.getpid())  # a forked parent starts its own
        with cls._lock:
            if key in cls._unavailable:
                raise ServerUnavailable(cls._unavailable[key])
            server = cls._servers.get(key)
            if server is None or server.process.poll() is not None:
                try:
                    server = cls._servers[key] = cls(module, environment)
                except ServerUnavailable as e:
                    cls._unavailable[key] = str(e)
                    raise
            return server

    def __init__(self, module: str, environment: dict[str, str] | None = None):
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._directory = tempfile.TemporaryDirectory(prefix="webtensor-forkserver-")
        # Read once, in the server, and so the same for every worker: malloc's
        # arena count (worker.py sets it), and numpy's BLAS threads, which
        # would make the server threaded.
        environment = dict(os.environ if environment is None else environment)
        environment["OPENBLAS_NUM_THREADS"] = "1"
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", SERVER_MODULE, f"--control-fd={theirs.fileno()}",
                 f"--parent-pid={os.getpid()}", f"--module={module}"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                cwd=self._directory.name,
                env=environment,
                start_new_session=True,
            )
        finally:
            theirs.close()
        atexit.register(self.close)
        self.control.settimeout(READY_SECONDS)
        try:
            ready = json.loads(self.control.recv(MESSAGE_BYTES) or b"{}")
        except (OSError, ValueError):
            ready = {}
        if not ready.get("ready"):
            self.close()
            raise ServerUnavailable(ready.get("error", "it did not become ready"))

    def spawn(self, argv: list[str], environment: dict[str, str], cwd: str) -> ForkedWorker:
        """A forked worker running the server's module with `argv`."""
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        status, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        request = json.dumps({"argv": argv, "env": environment, "cwd": cwd}).encode()
        try:
            socket.send_fds(self.control, [request], [stdin_read, stdout_write, stderr_write, theirs.fileno()])
            status.settimeout(REPLY_SECONDS)
            reply = status.recv(64)
        except OSError as e:
            for fd in (stdin_write, stdout_read, stderr_read):
                os.close(fd)
            status.close()
            raise ServerUnavailable(str(e)) from None
        finally:
            for fd in (stdin_read, stdout_write, stderr_write):
                os.close(fd)
            theirs.close()
        if not reply.startswith(b"pid "):
            status.close()
            for fd in (stdin_write, stdout_read, stderr_read):
                os.close(fd)
            raise ServerUnavailable(f"it answered {reply[:40]!r} to a request")
        return ForkedWorker(
            int(reply.split()[1]),
            status,
            os.fdopen(stdin_write, "wb", buffering=0),
            os.fdopen(stdout_read, "rb", buffering=0),
            os.fdopen(stderr_read, "rb", buffering=0),
        )

    def close(self) -> None:
        """Stops the server (it exits when the control socket closes)."""
        self.control.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._directory.cleanup()
