"""Processes that start in the time of a fork: a zygote (as Chrome's).

A fresh Python spends one to three seconds on its imports (numpy, ml_dtypes,
IREE) before it does anything, which is longer than most of what WebTensor
runs in a child: a model's calls (runtime/call_process.py) or one compile
(compiler/worker.py). So each kind of child has a zygote per host process:
an interpreter started on first use that imports the child's module once,
checks that it runs one thread (a fork copies only the calling thread; a
second one could leave a lock held), and then forks one child per request.

    parent: Zygote.start(entry).fork(fds, ...)    zygote: zygote_main()
         ── seqpacket: "fork" + JSON, fds ───────► fork ──► entry(argv), in
         ◄── pid, pidfd ────────────────────────┘          its own session
         ── "wait PID" ─────────────────────────► waitpid
         ◄── exit code ─────────────────────────┘

Each fork is what a fresh interpreter would be: its own session (killed as
one group), the request's descriptors and nothing else, and, where the
request says so, its standard streams, working directory, environment and
arguments. A child never returns its state to the zygote, which reads no
input but its parent's requests, so every child starts from the same state.
The parent kills a child through its pidfd, which names that process and
no other even after it ends, and the zygote reaps it and says how it ended.
The zygote exits when the parent's socket closes, the parent's death
included. Where a zygote cannot start, callers start an interpreter of
their own (`interpreter`).

Linux only (pidfds; callers check `supported`).
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading

START_SECONDS = 120.0  # a zygote's imports, on a loaded machine
MESSAGE_BYTES = 1 << 20  # a fork request: its JSON (an environment) and up to MAX_FDS descriptors
MAX_FDS = 8
_REAP_SECONDS = 1.0
_ENDED = 1024  # exit codes kept until asked for (the oldest dropped)


def supported() -> bool:
    return sys.platform == "linux" and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")


class Forked:
    """A child forked by a zygote, handled as a subprocess.Popen: `pid`,
    `returncode`, `kill(group=False)` (with `group`, its process group too),
    `poll()`, `wait(timeout)`, and `release()`, which lets go of it without
    waiting (the zygote reaps it)."""

    def __init__(self, zygote: "Zygote", pid: int, pidfd: int):
        self.pid = pid
        self.returncode: int | None = None
        self._zygote = zygote
        self._pidfd: int | None = pidfd
        self._lock = threading.Lock()

    def kill(self, group: bool = False) -> None:
        """SIGKILL, through the pidfd; with `group`, its process group too
        (what it started), by the zygote, which kills it only if it has not
        reaped the child (so never a reused pid). Not from a finalizer with
        `group`: that asks the zygote, under a lock."""
        with self._lock:
            if self._pidfd is None:
                return  # waited for, or let go: the zygote may have reaped it
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if group:
            self._zygote.kill_group(self.pid)

    def poll(self) -> int | None:
        with self._lock:
            if self.returncode is None and not select.select([self._pidfd], [], [], 0)[0]:
                return None  # a pidfd turns readable when its process ends
        return self.wait()

    def wait(self, timeout: float | None = None) -> int:
        with self._lock:
            pidfd = self._pidfd
        if self.returncode is None and pidfd is not None:
            # Not under the lock: kill() must get through.
            if not select.select([pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(f"child {self.pid}", timeout or 0.0)
        with self._lock:
            if self.returncode is None:
                self.returncode = self._zygote.wait(self.pid)
                self._release()
            return self.returncode

    def release(self) -> None:
        with self._lock:
            self._release()

    def _release(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
            if self.returncode is None:
                self.returncode = -signal.SIGKILL


class Zygote:
    """The running zygote of `entry` ("package.module:function") for this
    process: `Zygote.start(entry)`, started on first use, again if it died,
    and anew in a forked copy of this process."""

    _lock = threading.Lock()
    _running: dict[str, "Zygote"] = {}

    def __init__(self, entry: str, environment: dict[str, str] | None = None):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        environment = dict(os.environ if environment is None else environment)
        environment["OPENBLAS_NUM_THREADS"] = "1"  # numpy's BLAS would start a thread: not forkable
        self.entry = entry
        self.process = interpreter(f"{__name__}:zygote_main", [str(theirs.fileno()), entry], (theirs.fileno(),),
                                   subprocess.DEVNULL, environment)
        theirs.close()
        self._sock = ours
        self.owner = os.getpid()
        self._request_lock = threading.Lock()
        self._sock.settimeout(START_SECONDS)
        try:
            ready = self._sock.recv(MESSAGE_BYTES)
        except OSError:
            ready = b""
        if ready != b"ready":
            self.close()
            raise OSError(ready.decode("utf-8", "replace") or "the zygote did not start")
        self._sock.settimeout(None)

    @classmethod
    def start(cls, entry: str, environment: dict[str, str] | None = None) -> "Zygote":
        """The running zygote of `entry`; OSError if it cannot start.
        `environment` is the zygote's own, used only where one starts now;
        each fork can give its child another."""
        with cls._lock:
            zygote = cls._running.get(entry)
            if zygote is None or zygote.owner != os.getpid() or zygote.process.poll() is not None:
                zygote = cls._running[entry] = cls(entry, environment)
            return zygote

    def fork(
        self,
        fds: tuple[int, ...] = (),
        *,
        stdio: tuple[int | None, int | None, int | None] = (None, None, None),
        argv: list[str] | None = None,
        cwd: str | None = None,
        environment: dict[str, str] | None = None,
    ) -> Forked:
        """A child running the entry function: `entry(argv)`, or, without
        `argv`, `entry` of its descriptors' numbers. `stdio` are
        descriptors to become its fds 0, 1 and 2 (None: /dev/null);
        `fds` stay open for it; all others are closed. OSError if the
        zygote is gone."""
        streams = [fd for fd in stdio if fd is not None]
        spec = {"fds": len(fds), "argv": argv, "cwd": cwd, "env": environment,
                "stdio": [None if fd is None else streams.index(fd) for fd in stdio]}
        sent = [*fds, *streams]
        with self._request_lock:
            socket.send_fds(self._sock, [b"fork " + json.dumps(spec).encode()], sent)
            reply, pidfds, _, _ = socket.recv_fds(self._sock, 64, 1)
        if not reply or not pidfds:
            raise OSError("the zygote did not fork")
        return Forked(self, int(reply), pidfds[0])

    def wait(self, pid: int) -> int:
        """The exit code of the zygote's ended child `pid`, as Popen's
        returncode; reaps it."""
        try:
            with self._request_lock:
                self._sock.send(b"wait %d" % pid)
                return int(self._sock.recv(64))
        except (OSError, ValueError):
            return -signal.SIGKILL  # the zygote is gone

    def kill_group(self, pid: int) -> None:
        try:
            with self._request_lock:
                self._sock.send(b"kill %d" % pid)
                self._sock.recv(64)
        except OSError:
            pass  # the zygote is gone, and the group's leader with it

    def close(self) -> None:
        """Stops the zygote: it exits when its socket closes."""
        self._sock.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Piped:
    """A child forked with its three standard streams as pipes to this
    process, handled as a subprocess.Popen with stdin, stdout and stderr
    PIPE: `Piped.fork(zygote, argv, environment, cwd)`. `kill()` kills its
    process group."""

    def __init__(self, forked: Forked, stdin, stdout, stderr):
        self.forked = forked
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr

    @staticmethod
    def fork(zygote: "Zygote", argv: list[str], environment: dict[str, str], cwd: str, stdout: bool = True) -> "Piped":
        """Without `stdout`, its stdout is /dev/null (and `self.stdout` None)."""
        pipes = [os.pipe(), os.pipe() if stdout else None, os.pipe()]
        theirs = (pipes[0][0], pipes[1][1] if stdout else None, pipes[2][1])
        try:
            forked = zygote.fork(stdio=theirs, argv=argv, cwd=cwd, environment=environment)
        except OSError:
            for pipe in filter(None, pipes):
                os.close(pipe[0])
                os.close(pipe[1])
            raise
        for fd in filter(None, theirs):
            os.close(fd)
        return Piped(
            forked,
            os.fdopen(pipes[0][1], "wb", buffering=0),
            os.fdopen(pipes[1][0], "rb", buffering=0) if stdout else None,
            os.fdopen(pipes[2][0], "rb", buffering=0),
        )

    @property
    def pid(self) -> int:
        return self.forked.pid

    @property
    def returncode(self) -> int | None:
        return self.forked.returncode

    def poll(self) -> int | None:
        return self.forked.poll()

    def wait(self, timeout: float | None = None) -> int:
        return self.forked.wait(timeout)

    def kill(self) -> None:
        self.forked.kill(group=True)


def interpreter(entry: str, argv: list[str], fds: tuple[int, ...], stderr, environment=None, cwd: str = "/") -> subprocess.Popen:
    """`function(argv)` of `entry` ("module:function") in a new Python, which
    imports what this process imported: its sys.path, not its own working
    directory, first. Its stdin is a pipe that this process never writes:
    it closes when this process ends."""
    module, function = entry.split(":")
    path = json.dumps([item or os.getcwd() for item in sys.path])
    boot = f"import json, sys; sys.path[:] = json.loads(sys.argv[1]); from {module} import {function}; {function}(sys.argv[2:])"
    return subprocess.Popen(
        [sys.executable, "-c", boot, path, *argv],
        pass_fds=fds,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        cwd=cwd,
        env=environment,
        start_new_session=True,
    )


# --- The zygote ---------------------------------------------------------------


def zygote_main(argv: list[str]) -> None:
    """Imports the entry's module (and runs its `preload()`), then forks a
    child per request, reaps the children that end, and says how one ended
    when asked. Single-threaded, so that a fork copies a consistent process."""
    sock = socket.socket(fileno=int(argv[0]))
    try:
        module_name, function_name = argv[1].split(":")
        module = importlib.import_module(module_name)
        getattr(module, "preload", lambda: None)()
        function = getattr(module, function_name)
    except Exception as e:  # noqa: BLE001 - the parent says why, and starts interpreters instead
        sock.send(f"the zygote cannot import {argv[1]}: {type(e).__name__}: {e}".encode()[:4096])
        return
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        sock.send(f"the zygote runs {threads} threads after importing {argv[1]}; a fork copies one".encode())
        return
    sock.settimeout(_REAP_SECONDS)
    sock.send(b"ready")
    ended: dict[int, int] = {}
    while True:
        _reap_ended(ended)
        try:
            request, fds, _, _ = socket.recv_fds(sock, MESSAGE_BYTES, MAX_FDS)
        except socket.timeout:
            continue
        if not request:
            return  # the parent has gone
        if request.startswith(b"wait "):
            pid = int(request[5:])
            if pid not in ended:
                try:
                    ended[pid] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
                except ChildProcessError:
                    pass
            sock.send(b"%d" % ended.pop(pid, -signal.SIGKILL))
            continue
        if request.startswith(b"kill "):
            pid = int(request[5:])
            if pid not in ended:  # not reaped: the group is still the child's
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            sock.send(b"ok")
            continue
        spec = json.loads(request[5:])
        pid = os.fork()
        if pid == 0:
            _forked(sock, fds, spec, function)
        for fd in fds:
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        socket.send_fds(sock, [b"%d" % pid], [pidfd])
        os.close(pidfd)


def _reap_ended(ended: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        ended[pid] = os.waitstatus_to_exitcode(status)
        if len(ended) > _ENDED:
            del ended[next(iter(ended))]


def _forked(zygote: socket.socket, fds: list[int], spec: dict, function) -> None:
    """The forked child: a fresh process's state, then the entry. Never returns."""
    code = 1
    try:
        zygote.close()
        os.setsid()  # its own session and process group, killed as one; no terminal's Ctrl-C
        kept, stdio = fds[: spec["fds"]], fds[spec["fds"] :]
        null = os.open(os.devnull, os.O_RDWR)
        for target, index in enumerate(spec["stdio"]):
            os.dup2(null if index is None else stdio[index], target)
        _close_all_but(kept)  # a request's descriptors are above 2: the zygote's streams are open
        if spec["cwd"] is not None:
            os.chdir(spec["cwd"])
            sys.path[0] = spec["cwd"]
        if spec["env"] is not None:
            os.environ.clear()
            os.environ.update(spec["env"])
        argv = spec["argv"] if spec["argv"] is not None else [str(fd) for fd in kept]
        function(argv)
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _close_all_but(kept: list[int]) -> None:
    start = 3
    for fd in sorted(kept):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, os.sysconf("SC_OPEN_MAX"))
