"""The compiler workers' fork server: `python -m
webtensor.compiler.worker_forkserver_main`.

Started by compiler/worker_forkserver.py, never by hand, which says why and
how. It imports the worker module and runs its preload(), checks that it
runs one thread, says it is ready, then forks one worker per request on the
control socket, reaps them, and kills one only on its parent's request.
"""

from __future__ import annotations

import importlib
import json
import os
import selectors
import signal
import socket
import sys

from .worker_forkserver import FD_NAMES, MESSAGE_BYTES


def main(argv: list[str] | None = None) -> None:
    arguments = dict(a.removeprefix("--").split("=", 1) for a in (sys.argv[1:] if argv is None else argv))
    control = socket.socket(fileno=int(arguments["control-fd"]))
    from .worker_main import _die_with_parent

    _die_with_parent(int(arguments["parent-pid"]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        module = importlib.import_module(arguments["module"])
        getattr(module, "preload", lambda: None)()
    except Exception as e:  # noqa: BLE001 - say why, and the parent starts fresh workers
        control.send(json.dumps({"error": f"{type(e).__name__}: {e}"}).encode())
        return
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        control.send(json.dumps({"error": f"it runs {threads} threads after its imports; a fork copies one"}).encode())
        return
    control.send(json.dumps({"ready": True}).encode())
    _serve(control, module)


def _serve(control: socket.socket, module) -> None:
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda number, frame: None)
    signal.set_wakeup_fd(wake_write)
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    children: dict[int, socket.socket] = {}  # pid -> its status socket, until reaped
    while True:
        for key, _ in selector.select():
            if key.fileobj is control:
                try:
                    message, fds, _, _ = socket.recv_fds(control, MESSAGE_BYTES, len(FD_NAMES))
                except OSError:
                    message, fds = b"", []
                if not message:
                    return  # the parent closed the control socket; the children die with us
                _fork_worker(message, fds, module, children, selector)
            elif key.fileobj == wake_read:
                while _drain(wake_read):
                    pass
                _reap(children, selector)
            else:
                _kill_request(key.fileobj, key.data, children, selector)


def _fork_worker(message: bytes, fds: list[int], module, children: dict, selector) -> None:
    if len(fds) != len(FD_NAMES):
        for fd in fds:
            os.close(fd)
        return
    status = socket.socket(fileno=fds[3])
    request = json.loads(message)
    pid = os.fork()
    if pid == 0:
        try:
            _become_worker(request, fds, module)
        finally:
            os._exit(70)
    for fd in fds[:3]:
        os.close(fd)
    status.send(b"pid %d" % pid)
    children[pid] = status
    selector.register(status, selectors.EVENT_READ, pid)


def _become_worker(request: dict, fds: list[int], module) -> None:
    """In the forked child: a fresh worker's process state, then its main."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.setsid()  # its own process group, killed as one
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    os.chdir(request["cwd"])
    sys.path[0] = request["cwd"]  # as `python -m` from there: a fresh private directory shadows nothing
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = [module.__file__, *request["argv"], f"--parent-pid={os.getppid()}"]
    module.main()


def _drain(fd: int) -> bool:
    try:
        return bool(os.read(fd, 4096))
    except BlockingIOError:
        return False


def _reap(children: dict[int, socket.socket], selector) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        sock = children.pop(pid, None)
        if sock is None:
            continue
        try:
            selector.unregister(sock)
        except KeyError:
            pass  # a kill request already stopped watching it
        try:
            sock.send(b"exit %d" % os.waitstatus_to_exitcode(status))
        except OSError:
            pass
        sock.close()


def _kill_request(sock: socket.socket, pid: int, children: dict[int, socket.socket], selector) -> None:
    """"kill", or the parent's end closed: kill the child's group, which is
    not reaped yet (a reaped child's socket is no longer watched). The
    socket is not watched after that; it still carries the exit status."""
    try:
        sock.recv(64)
    except OSError:
        pass
    selector.unregister(sock)
    if pid in children:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


if __name__ == "__main__":
    main()
