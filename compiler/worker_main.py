"""The compiler worker process: `python -m webtensor.compiler.worker_main`.

Started by compiler/worker.py, never by hand: forked by a zygote
(runtime/zygote.py), or started fresh. It limits itself first
(address space, CPU time, no core dumps, death with its parent), then reads
one pickled request from stdin (the parent is trusted), runs the gate and
the phases, and writes one answer frame (compiler/worker_wire.py) to a
private copy of stdout. Whatever the compiler prints goes to stderr.
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import sys

from . import progress
from .diagnostics import CompileError
from .worker_wire import MEMORY_WORDS, diagnostic_to_json, encode_frame

CPU_GRACE_SECONDS = 5  # from SIGXCPU at the soft limit to SIGKILL at the hard one


def main(argv: list[str] | None = None) -> None:
    arguments = _parse_arguments(sys.argv[1:] if argv is None else argv)
    _limit_self(arguments["memory-bytes"], arguments["cpu-seconds"], arguments["parent-pid"])
    answer_fd = _private_stdout()
    try:
        frame = _answer(pickle.load(sys.stdin.buffer))
    except MemoryError:
        frame = encode_frame({"kind": "memory"})
    _write_all(answer_fd, frame)
    # Skip interpreter and C++ teardown: the answer is out, and teardown
    # after hostile input is one more chance to crash.
    os._exit(0)


def preload() -> None:
    """Imports what a compile needs; the zygote (runtime/zygote.py) calls it
    once, so that its forks start with them."""
    from . import phases, options  # noqa: F401


def _parse_arguments(argv: list[str]) -> dict[str, int]:
    arguments = {}
    for argument in argv:
        name, _, value = argument.removeprefix("--").partition("=")
        arguments[name] = int(value)
    return arguments


def _limit_self(memory_bytes: int, cpu_seconds: int, parent_pid: int) -> None:
    _set_limit(resource.RLIMIT_CORE, 0, 0)
    _set_limit(resource.RLIMIT_AS, memory_bytes, memory_bytes)
    _set_limit(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + CPU_GRACE_SECONDS)
    _die_with_parent(parent_pid)
    _preload_unwinder()


def _set_limit(kind: int, soft: int, hard: int) -> None:
    _, current_hard = resource.getrlimit(kind)
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(kind, (soft, hard))


def _die_with_parent(parent_pid: int) -> None:
    """On Linux the kernel kills the worker if the parent dies first."""
    import ctypes

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:
        os._exit(1)  # the parent died before prctl took effect


def _preload_unwinder() -> None:
    # glibc loads libgcc_s when C++ first throws; under a tight address
    # space that load can fail and hide the real error (std::bad_alloc).
    import ctypes

    try:
        ctypes.CDLL("libgcc_s.so.1")
    except OSError:
        pass


def _private_stdout() -> int:
    """A private descriptor for the answer; fd 1 then goes to stderr, so
    that nothing the compiler prints can corrupt the frame."""
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    return answer_fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _answer(request: dict) -> bytes:
    try:
        with progress.reporting(progress.to_worker_stderr):
            result = _compile(request)
    except CompileError as e:
        return encode_frame(_error_header(e))
    except MemoryError:
        return encode_frame({"kind": "memory"})
    except Exception as e:  # noqa: BLE001 - a bug in our own code still gets an answer
        return encode_frame(_internal_header(e))
    if isinstance(result, bytes):
        return encode_frame({"kind": "ok", "format": "bytes"}, result)
    return encode_frame({"kind": "ok", "format": "text"}, result.encode("utf-8"))


def _compile(request: dict) -> str | bytes:
    from .options import Phase
    from .phases import compile_in_process

    return compile_in_process(request["imported"], request["options"], Phase.parse(request["phase"]), request["debug_info"])


def _error_header(error: CompileError) -> dict:
    from .options import Phase

    return {
        "kind": "error",
        "summary": error.summary,
        "diagnostics": [diagnostic_to_json(d) for d in error.diagnostics],
        "failed_phase": getattr(error, "failed_phase", Phase.INPUT).value,
    }


def _internal_header(error: Exception) -> dict:
    import traceback

    message = f"{type(error).__name__}: {error}"
    if any(word in message for word in MEMORY_WORDS):
        return {"kind": "memory"}
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        message += f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno} in {frames[-1].name})"
    return {"kind": "internal", "message": message}


if __name__ == "__main__":
    main()
