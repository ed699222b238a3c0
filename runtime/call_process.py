"""Calls that run in a child process, so that a deadline stops the work.

An IREE invocation cannot be interrupted: a thread that runs one runs it to
its end. A model loaded with `process=True` (or with a deadline: see
runtime/model.py's load) therefore runs its calls in a child process, as
browsers run GPU work: past a call's deadline the child is killed (SIGKILL),
the caller gets `Timeout`, and the work stops with it. A child that dies on
its own (a crash, the OOM killer) is an `ExecutionError`. Either way a new
child takes over, so the model is usable again at once.

Children are forked by a zygote (as Chrome's): one Python process per host
process, started on first use, with the runtime imported and nothing else
started (one thread, no device), so that a child starts in the time of a
fork and a model load (about 0.1 s) rather than of an interpreter and its
imports (seconds on a busy machine). Where it cannot start, a child starts
as an interpreter of its own. The child (runtime/process_child.py) loads
the same artifact on the same device with the same weights (a weights file
is opened again by path; arrays are handed over once, at start) and serves
each call with the ordinary call path, `EntryPoint.call_flat(leaves,
fuel=...)`, so inputs, budgets and errors are checked in one place. Errors
come back with their type (BudgetExceeded, InvalidArgument, ...).

Transport (runtime/process_channel.py). Tensors cross through two shared-memory files per child
(memfd), one the parent writes the inputs into and one the child writes the
results into; each grows to the largest call and stays mapped. A call's
message, a few hundred bytes of JSON, goes over a socket. The parent trusts
nothing the child says: a reply is JSON (never pickle), each result's
offset, shape and size is checked against the signature and the file before
it is read, and the files are sealed against shrinking, so that a child
cannot make the parent read past their end. Results are copied out into
arrays the caller owns.

A child dies with its parent: it reads its stdin, a pipe the parent never
writes, and exits when that pipe closes. The zygote exits when its socket
closes. It runs in its own session, so the
terminal's Ctrl-C reaches the parent only.

Children per model: as contexts per model (runtime/contexts.py), one on
local-task and the GPU drivers, one per core on local-sync; made on demand,
the first at load (a model that cannot load fails there). `spare=True`
keeps one more started, so that a killed child is replaced at once instead
of after a child's start; it costs one child's memory (bench/deadline.py
measures both).

Linux only (memfd, file seals).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import math
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from typing import Any

import numpy as np
from iree.runtime import _binding

from . import errors
from .contexts import pool_size
from .deadline import Deadline
from .devices import driver_name
from .entry_point import EntryPoint
from .errors import ExecutionError, InvalidArgument, InvalidArgumentType, Timeout, UnsupportedOperation
from .package import Package
from .process_channel import ALIGN, ERROR_CHARS, Arena, Channel, Died, TimedOut
from .tensor import DeviceTensor
from .tree import unflatten
from .weights import bind
from .zygote import Forked, Zygote, interpreter

# How long a child may take to start and load its model.
START_SECONDS = 120.0
# The module the children run (`child_main`), by name, in the zygote or a new
# interpreter: the child's side imports the model, which imports this.
_CHILD_MODULE = f"{__package__}.process_child"



@dataclasses.dataclass(frozen=True)
class ProcessOptions:
    """How a model's calls run in child processes (`load(..., process=)`).

    spare: keep one more child started, so that a call past its deadline (or
      a crash) is followed by a ready child at once, not after a child's start
      (a fraction of a second; see bench/deadline.py). Costs one more child's
      memory: the interpreter, IREE and the model with its weights."""

    spare: bool = False

    @staticmethod
    def parse(value: Any) -> "ProcessOptions":
        if isinstance(value, ProcessOptions):
            return value
        if value is True:
            return ProcessOptions()
        raise InvalidArgument(f"process must be True, False, None or a ProcessOptions, got {value!r}")


def supported() -> bool:
    """Whether this system can run calls in a child process (Linux: memfd)."""
    return hasattr(os, "memfd_create") and hasattr(socket, "AF_UNIX")


def start(model: Any, options: ProcessOptions, weights: Any) -> tuple[Any, "ProcessRunner"]:
    """For a just-made Model whose calls run in child processes: its
    weights, bound here in the parent (so that they are checked here), and
    the runner of its children, the first of which starts now."""
    if not supported():
        raise UnsupportedOperation("calls in a child process (process=True) need Linux (memfd)")
    bound, source = (None, None) if weights is None else _bind(model.weights, weights)
    setup = _Setup(model.artifact.data, model.device, model.fuel, source)
    runner = ProcessRunner(setup, _children(model.device), options.spare)
    # The children end with the model (or at exit), not with the process.
    weakref.finalize(model, runner.close)
    return bound, runner


def load_weights(runner: "ProcessRunner", weights: Any, source: Any) -> Any:
    """Model.load_weights for a model whose calls run in child processes:
    `source` is checked against `weights` (the model's) here, then a new
    child loads it; calls already running finish with the old weights in
    their old children. The weights, bound."""
    bound, described = _bind(weights, source)
    runner.rebind(dataclasses.replace(runner.setup, weights=described))
    return bound


def _bind(weights: Any, source: Any):
    """Checks a weights source here and says how a child gets it: a path it
    opens again, or the model's own copy of the arrays."""
    bound = bind(weights, source)
    bound.release_pages()
    if isinstance(source, (str, os.PathLike)):
        return bound, os.fspath(source)
    if isinstance(source, Package):
        return bound, os.fspath(source.path)
    arrays = [kept for kept in bound.keep if isinstance(kept, np.ndarray)]
    if len(arrays) != len(weights):
        raise InvalidArgument(f"weights: cannot hand {bound.source} to a child process; bind them from a file")
    return bound, arrays


def _children(device: str) -> int:
    return pool_size(driver_name(device))


# --- The parent's entry points ---------------------------------------------------


class ProcessEntryPoint(EntryPoint):
    """An entry point whose calls run in the model's child processes. It
    checks the inputs here, as EntryPoint does (so that a bad one fails
    before a child is asked, and call_async raises it at once), and hands
    them over as host arrays: a DeviceTensor input goes through the host,
    and `keep_on_device=True` uploads the results to this process's device."""

    def __call__(self, *args, fuel: int | None = None, deadline: float | None = None, keep_on_device: bool = False) -> Any:
        clock = self._engine.clock(deadline)
        arrays, budget = self._host_inputs(self._leaves(args), fuel)
        return unflatten(self.signature.output_tree, self._in_process(arrays, budget, clock, keep_on_device))

    def call_flat(
        self, leaves: list[Any], fuel: int | None = None, deadline: float | None = None, keep_on_device: bool = False
    ) -> list[Any]:
        clock = self._engine.clock(deadline)
        if len(leaves) != len(self._slots):
            count = len(self._slots)
            raise InvalidArgumentType(
                f"{self.signature.name} takes {count} array{'' if count == 1 else 's'} "
                f"({', '.join(t.name for t in self.signature.inputs)}), got {len(leaves)}"
            )
        arrays, budget = self._host_inputs(list(leaves), fuel)
        return self._in_process(arrays, budget, clock, keep_on_device)

    def call_async(
        self, *args, fuel: int | None = None, deadline: float | None = None, keep_on_device: bool = False
    ) -> concurrent.futures.Future:
        clock = self._engine.clock(deadline)
        arrays, budget = self._host_inputs(self._leaves(args), fuel)
        arrays = [np.array(array, copy=True) for array in arrays]  # the caller may change its own now
        tree = self.signature.output_tree
        return self._engine.threads().submit(
            lambda: unflatten(tree, self._in_process(arrays, budget, clock, keep_on_device))
        )

    def snapshot(self, index: int, value: Any) -> np.ndarray | DeviceTensor:
        """A checked copy of input `index` on the host, where these calls
        take their inputs (a DeviceTensor stays as it is)."""
        staged = self._stage(value, self._slots[index])
        return staged if type(staged) is DeviceTensor else np.array(staged, copy=True)

    def _timeout(self, clock: Deadline) -> Timeout:
        return Timeout(
            f"{self.signature.name} did not finish within its deadline of {clock.seconds:g} s on "
            f"{self._engine.device}; its process was stopped, and the model's next call runs in a new one"
        )

    def _host_inputs(self, leaves: list[Any], fuel: int | None) -> tuple[list[np.ndarray], int]:
        staged = [self._stage(leaf, slot) for leaf, slot in zip(leaves, self._slots)]
        if self._dims_constrained:
            self.signature.check_dims([value.shape for value in staged])
        budget = self._engine.budget(fuel)
        return [value.numpy() if type(value) is DeviceTensor else value for value in staged], budget

    def _in_process(self, arrays: list[np.ndarray], budget: int, clock: Deadline | None, keep_on_device: bool) -> list[Any]:
        engine = self._engine
        results = engine.runner.call(self, arrays, budget, clock, engine.limits.max_tensor_bytes)
        if keep_on_device:
            return [engine.to_device(result, spec.element_type.hal) for result, spec in zip(results, self.signature.outputs)]
        return results


# --- The parent's side of the children -------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Setup:
    """What a child loads: the artifact, the device, the default budget, and
    the weights (None, a path, or arrays in the order of model.weights)."""

    artifact: bytes
    device: str
    fuel: int
    weights: str | list[np.ndarray] | None


class ProcessRunner:
    """A model's child processes: `call` runs one call in an idle child,
    starting one if there are fewer than `size`, or waits for one."""

    def __init__(self, setup: _Setup, size: int, spare: bool):
        self.setup = setup
        self._size = size
        self._want_spare = spare
        self._cond = threading.Condition()
        self._idle: list[_Child] = [_Child.start(setup)]
        self._count = 1  # children in use, idle or being started; the spare not counted
        self._spare: _Child | None = None
        self._live: set[_Child] = set(self._idle)
        self._closed = False
        self._closed_at_exit = False
        if spare:
            self._start_later(spare=True)

    def pids(self) -> list[int]:
        """The process ids of this model's live children, the spare included."""
        with self._cond:
            return sorted(child.process.pid for child in self._live)

    def call(self, entry: Any, arrays: list[np.ndarray], budget: int, clock: Deadline | None, max_bytes: int) -> list[np.ndarray]:
        """`entry`'s call in a child; a result above `max_bytes` is a bad reply."""
        name, device = entry.signature.name, self.setup.device
        child = self._take(entry, clock)
        healthy = False  # a child that answered as it should serves again
        try:
            if clock is not None and time.monotonic() >= clock.expires:
                healthy = True  # nothing was asked of it
                raise _never_started(entry, device, clock)
            try:
                reply = child.call(name, arrays, budget, None if clock is None else clock.expires)
            except TimedOut:
                child.kill()
                raise entry._timeout(clock) from None
            except Died:
                if self._closed_at_exit and threading.current_thread().daemon:
                    _wait_for_the_exit()
                raise ExecutionError(f"{name} failed on {device}: {child.death()}; the model's next call runs in a new one") from None
            if "error" in reply:
                healthy = True
                raise _reported(reply)
            try:
                outputs = _results(entry, child, reply, max_bytes)
            except (ValueError, TypeError, OverflowError, OSError) as e:
                raise ExecutionError(f"{name} failed on {device}: its process sent a bad reply ({e}) and was stopped") from None
            healthy = True
            return outputs
        finally:
            self._give(child, healthy)

    def _take(self, entry: Any, clock: Deadline | None) -> "_Child":
        with self._cond:
            while True:
                if self._closed:
                    raise ExecutionError(f"{entry.signature.name}: the model's processes were closed")
                while self._idle:
                    child = self._idle.pop()
                    if child.alive():
                        return child
                    self._retire(child)  # died while idle: a new one for this call
                if self._count < self._size:
                    self._count += 1
                    break
                remaining = None if clock is None else clock.expires - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise _never_started(entry, self.setup.device, clock)
                self._cond.wait(remaining)
        try:
            child = _Child.start(self.setup)
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._live.add(child)
        return child

    def _give(self, child: "_Child", healthy: bool) -> None:
        with self._cond:
            if healthy and not self._closed and child.setup is self.setup:
                self._idle.append(child)
                self._cond.notify()
                return
            self._retire(child)
            self._cond.notify()

    def _retire(self, child: "_Child") -> None:
        """Kills a child that will not serve again, and replaces it (the
        spare at once, if there is one). Holds the lock."""
        child.kill()
        self._live.discard(child)
        self._count -= 1
        if self._closed or child.setup is not self.setup:
            threading.Thread(target=child.reap, daemon=True).start()
            return
        if self._spare is not None:
            self._idle.append(self._spare)
            self._count += 1
            self._spare = None
            self._start_later(spare=True, after=child)
        else:
            self._count += 1
            self._start_later(spare=False, after=child)

    def _start_later(self, spare: bool, after: "_Child | None" = None) -> None:
        """Starts a child on a thread of its own (after `after` is reaped, so
        that the two do not compete for the CPU); it joins the idle ones, or
        becomes the spare. Holds the lock."""
        setup = self.setup

        def work():
            if after is not None:
                after.reap()
            try:
                child = _Child.start(setup)
            except BaseException:
                child = None
            with self._cond:
                if not spare:
                    self._count -= 1
                if child is not None and not self._closed and setup is self.setup:
                    self._live.add(child)
                    if spare:
                        self._spare = child
                    else:
                        self._idle.append(child)
                        self._count += 1
                elif child is not None:
                    child.kill()
                    child.reap()
                # A failed start leaves room: a waiting call starts one itself and sees why.
                self._cond.notify_all()

        threading.Thread(target=work, name="webtensor-process-start", daemon=True).start()

    def rebind(self, setup: _Setup) -> None:
        """Later calls run with `setup` (new weights). A child that loads it is
        started first, so that a failure leaves the model as it was."""
        child = _Child.start(setup)
        with self._cond:
            self.setup = setup
            old, self._idle = self._idle, [child]
            for stale in old:
                stale.kill()
                self._live.discard(stale)
                threading.Thread(target=stale.reap, daemon=True).start()
            self._count += 1 - len(old)
            self._live.add(child)
            if self._spare is not None:
                self._spare.kill()
                self._live.discard(self._spare)
                threading.Thread(target=self._spare.reap, daemon=True).start()
                self._spare = None
            if self._want_spare:
                self._start_later(spare=True)
            self._cond.notify_all()

    def close(self) -> None:
        """Kills every child; calls running now fail with ExecutionError, but
        at exit those of daemon threads never return."""
        with self._cond:
            self._closed = True
            # At exit (the interpreter has stopped its main thread and runs
            # the atexit finalizers) a daemon thread's call in flight would
            # wake to its child's death and print it while the process ends.
            self._closed_at_exit = not threading.main_thread().is_alive()
            if self._live - set(self._idle) - {self._spare}:
                # A call in flight holds IREE objects until its thread hears of
                # this; at exit, nanobind's report of leaked objects would be a
                # false alarm on stderr.
                _binding.disable_leak_checker()
            children, self._live, self._idle, self._spare = list(self._live), set(), [], None
            self._cond.notify_all()
        # Killed and let go, not waited for: this may run inside the garbage
        # collector on any thread, or at exit. The zygote reaps its children
        # (subprocess its own).
        for child in children:
            child.kill()
            child.release()


def _wait_for_the_exit() -> None:
    """Parks a daemon thread whose call the exit ended: the process is going,
    and the thread with it, silently."""
    threading.Event().wait()


def _never_started(entry: Any, device: str, clock: Deadline) -> Timeout:
    return Timeout(
        f"{entry.signature.name} did not finish within its deadline of {clock.seconds:g} s on "
        f"{device}: it waited for the model's earlier calls and never started"
    )


def _reported(reply: dict) -> Exception:
    """The error a child reported, with its type if it is one of the runtime's."""
    kind = reply["error"]
    cls = errors.by_name(kind)
    return cls(str(reply.get("message", ""))[:ERROR_CHARS])


def _results(entry: Any, child: "_Child", reply: dict, limit: int) -> list[np.ndarray]:
    """The results of a reply, checked against the signature and the shared
    file, copied out; ValueError if the reply is not what it should be."""
    layout = reply.get("outputs")
    specs = entry.signature.outputs
    if not isinstance(layout, list) or len(layout) != len(specs):
        raise ValueError(f"{len(specs)} results expected")
    child.outputs.refresh()
    results = []
    for item, spec in zip(layout, specs):
        ok = isinstance(item, list) and len(item) == 2 and isinstance(item[1], list)
        shape = tuple(item[1]) if ok else ()
        ok = ok and len(shape) == len(spec.shape) and all(type(d) is int and d >= 0 for d in shape)
        if not ok or any(want is not None and want != got for want, got in zip(spec.shape, shape)):
            raise ValueError(f"result {spec.name} is not a {spec.type_string()}")
        dtype = spec.element_type.dtype
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > limit:
            raise ValueError(f"result {spec.name} of {nbytes} bytes is above the largest tensor ({limit})")
        results.append(np.array(child.outputs.view(item[0], shape, dtype), copy=True))
    return results


class _Child:
    """One child process, its socket and its two shared files."""

    def __init__(self, process: "Forked | subprocess.Popen", lifeline: int | None, channel: "Channel", inputs: "Arena",
                 outputs: "Arena", stderr, setup: _Setup):
        self.process = process
        self.lifeline = lifeline  # the write end of a forked child's stdin: it exits when this closes
        self.channel = channel
        self.inputs = inputs
        self.outputs = outputs
        self.stderr = stderr
        self.setup = setup
        self._killed = False
        self._released = False
        self._release_lock = threading.Lock()

    @staticmethod
    def start(setup: _Setup) -> "_Child":
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        inputs, outputs, init = _memfd("inputs"), _memfd("outputs"), _memfd("init")
        stderr = tempfile.TemporaryFile(prefix="webtensor-process-")
        message = _write_setup(init, setup)
        fds = (theirs.fileno(), inputs, outputs, init)
        try:
            process, lifeline = _start_child(fds, stderr)
        except OSError as e:
            for fd in (inputs, outputs):
                os.close(fd)
            raise ExecutionError(f"cannot start a process for the model: {e}") from None
        finally:
            theirs.close()
            os.close(init)
        child = _Child(process, lifeline, Channel(ours), Arena(inputs, True), Arena(outputs, False), stderr, setup)
        try:
            child.channel.send(message)
            reply = child.channel.receive(time.monotonic() + START_SECONDS)
        except TimedOut:
            child.kill()
            child.reap()
            raise ExecutionError(f"the model's process did not start within {START_SECONDS:g} s") from None
        except Died:
            why = child.death()
            child.reap()
            raise ExecutionError(f"the model's process could not start: {why}") from None
        if "error" in reply:
            child.kill()
            child.reap()
            raise _reported(reply)
        return child

    def call(self, name: str, arrays: list[np.ndarray], budget: int, expires: float | None) -> dict:
        layout = self.inputs.write(arrays)
        self.channel.send({"call": name, "fuel": int(budget), "inputs": layout})
        return self.channel.receive(expires)

    def alive(self) -> bool:
        return not self._killed and self.process.poll() is None

    def kill(self) -> None:
        if not self._killed:
            self._killed = True
            try:
                self.process.kill()
            except OSError:
                pass

    def reap(self) -> None:
        """Waits for the process to end, and frees what it held."""
        self.process.wait()
        self.release()

    def release(self) -> None:
        """Frees what the process held here, without waiting for it; once,
        whichever thread asks first: the model's close (at exit, or by the
        garbage collector) and a call's own clean-up may both ask, and a
        descriptor closed twice may by then be another file's."""
        with self._release_lock:
            if self._released:
                return
            self._released = True
        if isinstance(self.process, Forked):
            self.process.release()
            if self.lifeline is not None:
                os.close(self.lifeline)
                self.lifeline = None
        elif self.process.stdin is not None:
            self.process.stdin.close()  # the lifeline of a child started as an interpreter
        self.channel.close()
        self.inputs.close()
        self.outputs.close()
        self.stderr.close()

    def death(self) -> str:
        """Why the process ended, with the last line it wrote to stderr."""
        self.kill()
        code = self.process.wait()
        how = f"exited with status {code}"
        if code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        try:
            self.stderr.seek(0, os.SEEK_END)
            self.stderr.seek(max(0, self.stderr.tell() - 2000))
            tail = self.stderr.read().decode("utf-8", "replace")
        except (OSError, ValueError):  # closed with the model
            tail = ""
        lines = [line.strip() for line in tail.splitlines() if line.strip()]
        said = f" ({lines[-1][:300]})" if lines else ""
        return f"its process {how}{said}"


def _start_child(fds: tuple[int, ...], stderr) -> tuple["Forked | subprocess.Popen", int | None]:
    """A child running child_main on `fds` (socket, inputs, outputs, init),
    forked by the zygote where it runs, and the write end of its lifeline
    (its stdin; None for an interpreter of its own, whose stdin is one)."""
    entry = f"{_CHILD_MODULE}:child_main"
    try:
        zygote = Zygote.start(entry)
    except OSError:
        zygote = None
    if zygote is not None:
        lifeline, keep = os.pipe()
        try:
            return zygote.fork(fds, stdio=(lifeline, None, stderr.fileno())), keep
        except OSError:
            os.close(keep)  # the zygote is gone: a child of our own
        finally:
            os.close(lifeline)
    return interpreter(entry, [str(fd) for fd in fds], fds, stderr), None


def _memfd(name: str) -> int:
    import fcntl  # POSIX only: imported where it is used

    fd = os.memfd_create(f"webtensor-{name}", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    # Either side may grow a file, never shrink it: a mapping never outlives its bytes.
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
    return fd


def _write_setup(fd: int, setup: _Setup) -> dict:
    """Writes the artifact and any weight arrays into `fd`; the message that
    tells the child where they are."""
    message: dict[str, Any] = {"device": setup.device, "fuel": setup.fuel, "artifact": len(setup.artifact)}
    with open(fd, "wb", closefd=False) as f:
        f.write(setup.artifact)
        if isinstance(setup.weights, list):
            offsets = []
            for array in setup.weights:
                f.write(b"\0" * (-f.tell() % ALIGN))
                offsets.append(f.tell())
                f.write(array.reshape(-1).view(np.uint8).data)
            message["weights"] = {"arrays": offsets}
        elif setup.weights is not None:
            message["weights"] = {"path": setup.weights}
    return message
