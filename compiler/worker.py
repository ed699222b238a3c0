"""Compiles untrusted input in a separate process, with limits.

The MLIR parser and IREE are C++ programs that were not written for hostile
input: some modules overflow the parser's stack, segfault the compiler or
make it spin. So, as browsers compile in a separate process, everything that
touches the input's bytes (portable-artifact deserialization, parsing, every
phase, IREE) runs in a fresh worker, `webtensor.compiler.worker_main`
(forked by a zygote that has imported the compiler, runtime/zygote.py, or
started as `python -m`; never a fork of the parent, which may have
threads), which limits its own address space, CPU time and core dumps
before it reads anything. The parent enforces
a wall-clock limit by killing the worker's process group. Whatever happens
there comes back as an artifact, IR text or a CompileError that says what
happened: a crash, a limit, or the compiler's own diagnostics.

    parent (this module)                     worker (worker_main.py)
    run() ── pickle: module, options ──────► rlimits, gate, parse, phases, IREE
          ◄── frame: JSON header + bytes ───┘

The parent is trusted, so the request is pickle. The worker parsed hostile
input and may be compromised, so its answer is a length-prefixed JSON header
and raw bytes that the parent checks field by field (worker_wire.py).
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any

from ..runtime import zygote
from .diagnostics import CompileError
from .options import CompileOptions, IsolationLimits, Phase, how_to_raise
from .progress import WorkerLines
from .worker_wire import MEMORY_WORDS, MalformedAnswer, decode_frame, diagnostics_from_json, ok_body, string

if TYPE_CHECKING:
    from .frontends import ImportedModule

GiB = 1 << 30
MiB = 1 << 20
WORKER_MODULE = "webtensor.compiler.worker_main"
# Fork workers from a zygote that has imported the compiler (saves a fresh
# Python's imports, 1-3 s, per compile); where it cannot run, start them.
USE_ZYGOTE = zygote.supported()
STDERR_TAIL_BYTES = 64 * 1024
# A memory-limit hit does not always say so (C code that does not check
# malloc just segfaults), so the parent also watches the worker's peak
# address space: a crash this close to the limit is reported as the limit.
POLL_SECONDS = 0.05
NEAR_THE_LIMIT = 0.9
# glibc reserves 64 MiB of address space per malloc arena, up to 8 arenas
# per core; capping them keeps the address space a compile needs from
# growing with the machine's core count.
MALLOC_ARENAS = "8"


class WorkerFailure(CompileError):
    """The worker did not answer with a result or a compile error.

    `reason` is one of: crashed, timeout, cpu, memory, killed, malformed,
    internal (a bug in WebTensor's own code in the worker).
    """

    def __init__(self, reason: str, summary: str, **kwargs: Any):
        self.reason = reason
        super().__init__(summary, **kwargs)

    def with_reproducer(self, reproducer: str | None, command: str) -> "WorkerFailure":
        return WorkerFailure(
            self.reason, self.summary, source_name=self.source_name, reproducer=reproducer, command=command
        )


# --- The parent ---------------------------------------------------------------


def run(imported: ImportedModule, options: CompileOptions, phase: Phase, debug_info: bool = False) -> str | bytes:
    """Compiles in a worker: IR text for an IR phase, artifact bytes for vmfb."""
    limits = options.isolation_limits
    request = pickle.dumps(
        {"imported": imported, "options": options, "phase": phase.value, "debug_info": debug_info},
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    with tempfile.TemporaryDirectory(prefix="webtensor-worker-") as workdir:
        process = _start(limits, workdir, imported.source_name)
        try:
            answer = _exchange(process, request, time.monotonic() + limits.wall_seconds, limits.memory_bytes, WorkerLines())
        finally:
            _stop(process)
    try:
        return _outcome(answer, process.returncode, imported.source_name, limits, phase)
    except WorkerFailure as e:
        e.failed_phase = phase  # somewhere on the way to it; reproduce all of it
        raise


def _start(limits: IsolationLimits, workdir: str, source_name: str) -> "zygote.Piped | subprocess.Popen":
    """A worker process for one compile: forked by the zygote, or started."""
    argv = [f"--memory-bytes={limits.memory_bytes}", f"--cpu-seconds={int(limits.cpu_seconds)}"]
    environment = dict(os.environ)
    environment.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)  # malloc reads it once: in the zygote too
    if USE_ZYGOTE:
        try:
            started = zygote.Zygote.start(f"{WORKER_MODULE}:main", environment)
            return zygote.Piped.fork(started, [*argv, f"--parent-pid={started.process.pid}"], environment, workdir)
        except OSError:
            pass  # no zygote: a fresh worker does the same, only slower to start
    return _spawn(argv + [f"--parent-pid={os.getpid()}"], environment, workdir, source_name)


def _spawn(argv: list[str], environment: dict[str, str], workdir: str, source_name: str) -> subprocess.Popen:
    try:
        return subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
            cwd=workdir,  # first on sys.path: a fresh private directory shadows nothing
            env=environment,
            start_new_session=True,  # its own process group, killed as one
        )
    except OSError as e:
        raise WorkerFailure("internal", f"cannot start the compiler worker for {source_name}: {e}") from None


@dataclasses.dataclass
class _Answer:
    stdout: bytearray = dataclasses.field(default_factory=bytearray)
    stderr: bytearray = dataclasses.field(default_factory=bytearray)
    timed_out: bool = False
    too_long: bool = False
    peak_address_space: int = 0


def _exchange(
    process: subprocess.Popen, request: bytes, deadline: float, max_output: int, progress_lines: WorkerLines | None = None
) -> _Answer:
    """Writes the request and reads both outputs, until the worker exits or
    the deadline. The worker's progress lines are reported as they come."""
    answer = _Answer()
    pending = memoryview(request)
    selector = selectors.DefaultSelector()
    os.set_blocking(process.stdin.fileno(), False)
    selector.register(process.stdin, selectors.EVENT_WRITE)
    selector.register(process.stdout, selectors.EVENT_READ, answer.stdout)
    selector.register(process.stderr, selectors.EVENT_READ, answer.stderr)
    while selector.get_map():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            answer.timed_out = True
            return answer
        events = selector.select(min(remaining, POLL_SECONDS))
        answer.peak_address_space = max(answer.peak_address_space, _peak_address_space(process.pid))
        for key, _ in events:
            if key.fileobj is process.stdin:
                pending = _write_some(selector, process.stdin, pending)
                continue
            chunk = os.read(key.fd, 1 << 16)
            if not chunk:
                selector.unregister(key.fileobj)
                continue
            if key.data is answer.stderr and progress_lines is not None:
                chunk = progress_lines.feed(chunk)
            key.data.extend(chunk)
            if key.data is answer.stderr:
                del answer.stderr[:-STDERR_TAIL_BYTES]
            elif len(answer.stdout) > max_output:
                answer.too_long = True
                return answer
    try:
        process.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        answer.timed_out = True
    return answer


def _peak_address_space(pid: int) -> int:
    """VmPeak from /proc (Linux), or 0."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _write_some(selector: selectors.BaseSelector, stream, pending: memoryview) -> memoryview:
    try:
        pending = pending[os.write(stream.fileno(), pending[: 1 << 20]) :]
    except (BrokenPipeError, ConnectionResetError):
        pending = pending[:0]  # the worker died; its exit status tells why
    if not pending:
        selector.unregister(stream)
        stream.close()
    return pending


def _stop(process: "zygote.Piped | subprocess.Popen") -> None:
    if process.poll() is None:
        if isinstance(process, zygote.Piped):
            process.kill()  # its group, by the zygote, which alone knows whether it is reaped
        else:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        stream.close()


def _outcome(answer: _Answer, status: int, source_name: str, limits: IsolationLimits, phase: Phase) -> str | bytes:
    if answer.timed_out:
        raise WorkerFailure(
            "timeout",
            f"compiling {source_name} exceeded its {limits.wall_seconds:g} s time limit; the input may make "
            f"the compiler loop; if the model is legitimate, {how_to_raise('isolation_limits.wall_seconds')}",
        )
    if answer.too_long:
        raise _malformed(source_name, f"it sent more than {_size(limits.memory_bytes)}")
    if status != 0:
        raise _failure_from_status(status, answer, source_name, limits)
    try:
        header, body = decode_frame(bytes(answer.stdout))
        return _result(header, body, source_name, limits, phase)
    except MalformedAnswer as e:
        raise _malformed(source_name, str(e)) from None


def _failure_from_status(status: int, answer: _Answer, source_name: str, limits: IsolationLimits) -> WorkerFailure:
    stderr = bytes(answer.stderr)
    if status == -signal.SIGXCPU:
        return WorkerFailure(
            "cpu",
            f"compiling {source_name} exceeded its {limits.cpu_seconds:g} s CPU time limit; the input may make "
            f"the compiler loop; if the model is legitimate, {how_to_raise('isolation_limits.cpu_seconds')}",
        )
    near_the_limit = answer.peak_address_space >= NEAR_THE_LIMIT * limits.memory_bytes
    if near_the_limit or any(word.encode() in stderr for word in MEMORY_WORDS):
        return _memory_failure(source_name, limits)
    if status == -signal.SIGKILL:
        return WorkerFailure(
            "killed",
            f"the compiler was killed (SIGKILL) while compiling {source_name}; the system may be out of memory",
        )
    if status < 0:
        return WorkerFailure(
            "crashed",
            f"the compiler crashed ({_signal_name(-status)}) while compiling {source_name}; "
            f"the input is malformed or hostile{_last_words(stderr)}",
        )
    return WorkerFailure(
        "internal", f"the compiler worker exited with status {status} while compiling {source_name}{_last_words(stderr)}"
    )


def _memory_failure(source_name: str, limits: IsolationLimits) -> WorkerFailure:
    return WorkerFailure(
        "memory",
        f"compiling {source_name} exceeded its {_size(limits.memory_bytes)} memory limit; if the model is "
        f"legitimate, {how_to_raise('isolation_limits.memory_bytes')}",
    )


def _malformed(source_name: str, detail: str) -> WorkerFailure:
    return WorkerFailure(
        "malformed",
        f"the compiler worker gave a malformed answer while compiling {source_name} ({detail}); "
        "the input is malformed or hostile",
    )


def _result(header: dict, body: bytes, source_name: str, limits: IsolationLimits, phase: Phase) -> str | bytes:
    kind = header.get("kind")
    if kind == "ok":
        return ok_body(header, body, phase == Phase.VMFB)
    if kind == "error":
        raise _compile_error(header, source_name)
    if kind == "memory":
        raise _memory_failure(source_name, limits)
    if kind == "internal":
        raise WorkerFailure(
            "internal",
            f"internal error in the compiler worker while compiling {source_name}: "
            f"{string(header.get('message'))}; this is a bug in WebTensor, please report it with the reproducer",
        )
    raise MalformedAnswer(f"unknown kind {kind!r}")


def _compile_error(header: dict, source_name: str) -> CompileError:
    error = CompileError(
        string(header.get("summary")), diagnostics_from_json(header.get("diagnostics")), source_name=source_name
    )
    try:
        error.failed_phase = Phase.parse(string(header.get("failed_phase")))
    except ValueError:
        raise MalformedAnswer("unknown phase") from None
    return error


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _last_words(stderr: bytes) -> str:
    """The worker's last line of output (LLVM's fatal errors say why)."""
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    if not lines:
        return ""
    line = "".join(c if c.isprintable() else "?" for c in lines[-1])[:300]
    return f" (its last output: {line})"


def _size(count: int) -> str:
    for unit, name in ((GiB, "GiB"), (MiB, "MiB")):
        if count >= unit:
            return f"{count / unit:g} {name}"
    return f"{count} bytes"
