"""Runs the hostile cases in child processes, with a wall-time limit per case.

    python -m webtensor.tests.hostile.runner                  # every case
    python -m webtensor.tests.hostile.runner --family scatter --jobs 2
    python -m webtensor.tests.hostile.runner --case 'loops/*' --show
    python -m webtensor.tests.hostile.runner --target vulkan-spirv --family gather

A batch of cases of one family runs in one child (`--child`, reading the
pickled cases on stdin), which compiles in-process (isolate=False, unless a
case asks for the worker: the child itself is the isolation) and appends
one JSON line per event to a results file: "start" before a case, its
outcome after. The parent watches that file, so a hang is the case that
started and did not finish within its timeout; the child is then killed.
When a child dies or hangs, every case of its batch runs again alone, each
in a fresh child, so that a crash is pinned on the case that causes it and
not on one that ran after another corrupted the process.

Outcomes: `defined` (the defined value), `budget` (BudgetExceeded, as
expected), `rejected` (a CompileError with the expected message): these
pass. `crash` (the child died), `hang` (it ran past the case's timeout),
`wrong` (a call returned outputs that are not the defined ones) and
`unexpected` (a clean error, or a clean success, other than the one
defined): these fail. Tests/hostile/Output/summary.json gets the counts, and
Output/failures/ the module of every failing case.

`--target` compiles every case for another target (vulkan-spirv, cuda) and
runs it on that target's device; its summary goes to Output/TARGET/. Where
this machine has no such device, or with `--compile-only`, a case that
must compile only compiles: `compiled` passes, and nothing runs.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import dataclasses
import fnmatch
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

from webtensor.runtime import zygote

from .cases import BUDGET, FLOATS, REJECTED, VALUE, Case, all_cases, call_budget

OUTPUT = Path(__file__).resolve().parent / "Output"
PASSING = ("defined", "budget", "rejected", "compiled")
FAILING = ("crash", "hang", "wrong", "unexpected")
OUTCOMES = PASSING + FAILING
SUMMARY_NAMES = {
    "defined": "defined_values",
    "budget": "budget_errors",
    "rejected": "clean_rejections",
    "compiled": "compiled_only",
    "crash": "crashes",
    "hang": "hangs",
    "wrong": "wrong_values",
    "unexpected": "unexpected_outcomes",
}
BATCH_SIZE = 16
STARTUP_SECONDS = 60.0  # a child's imports, before its first case starts, on a loaded machine
POLL_SECONDS = 0.05
CHILD_ADDRESS_SPACE = 32 << 30  # hostile modules run in the child; it must not take the machine with it

# IREE's default Vulkan target is a 2022 Android baseline with 32-bit types
# only: it emulates 8- and 16-bit ones in 32-bit words and misreads the last
# elements of such tensors (README, "On Vulkan and CUDA"). Like desktop GPUs,
# lavapipe has 8- and 16-bit storage, f16, f64 and i64; the cases use them all.
VULKAN_FEATURES = (
    "spirv:v1.3,cap:Shader,cap:Int8,cap:Int16,cap:Int64,cap:Float16,cap:Float64,"
    "cap:StorageBuffer8BitAccess,cap:StorageBuffer16BitAccess,ext:SPV_KHR_8bit_storage,ext:SPV_KHR_16bit_storage"
)
TARGET_FLAGS = {"vulkan-spirv": (f"--iree-vulkan-target-features={VULKAN_FEATURES}",)}
# Case timeouts are set for local-task. A loop iteration costs lavapipe 1 to
# 6 ms (the host waits for the device at every condition), 0.07 ms there.
TIMEOUT_SCALE = {"vulkan-spirv": 3.0}


@dataclasses.dataclass
class Record:
    """What happened to one case."""

    name: str
    outcome: str
    detail: str = ""
    seconds: float = 0.0

    @property
    def family(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def passed(self) -> bool:
        return self.outcome in PASSING


# --- The child ------------------------------------------------------------------------


def child_main(results_path: str, compile_only: bool = False) -> int:
    """Runs the pickled cases from stdin, appending events to `results_path`
    (or, `compile_only`, compiles them)."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE))
    cases: list[Case] = pickle.load(sys.stdin.buffer)
    out = os.open(results_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def emit(event: dict) -> None:
        os.write(out, (json.dumps(event) + "\n").encode())

    models: dict[tuple, object] = {}
    for case in cases:
        emit({"start": case.name})
        start = time.monotonic()
        outcome, detail = run_case(case, models, compile_only)
        emit({"case": case.name, "outcome": outcome, "detail": detail, "seconds": round(time.monotonic() - start, 3)})
    os.close(out)
    return 0


def run_case(case: Case, models: dict, compile_only: bool = False) -> tuple[str, str]:
    """(outcome, detail) of one case, in this process."""
    import webtensor

    try:
        model = _compiled(case, models, compile_only)
    except webtensor.CompileError as e:
        return _judge_rejection(case, e)
    except Exception as e:  # noqa: BLE001 - anything but a CompileError is the finding
        return "unexpected", f"compiling raised {_describe(e)}"
    if case.expect == REJECTED:
        return "unexpected", f"compiled, but must be rejected with a CompileError containing {case.message!r}"
    if compile_only:
        return "compiled", ""
    try:
        entry = model[case.function]
        outputs = entry(*case.inputs, fuel=call_budget(case.fuel, entry.signature))
    except webtensor.BudgetExceeded as e:
        if case.expect == BUDGET:
            return "budget", ""
        return "unexpected", f"the call ran out of its budget: {e}"
    except Exception as e:  # noqa: BLE001
        return "unexpected", f"the call raised {_describe(e)}"
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    if case.expect == BUDGET:
        return "wrong", f"returned {len(outputs)} output(s); the iteration budget must end the call with none"
    problem = case.check(case.inputs, outputs) if case.check else differences(outputs, case.want)
    return ("wrong", problem) if problem else ("defined", "")


def _compiled(case: Case, models: dict, compile_only: bool = False):
    """The case's model (its artifact, `compile_only`), compiled once per
    child for cases sharing a module. A CompileError is remembered and
    raised again."""
    import webtensor

    key = case.compile_key()
    if key not in models:
        options = {"isolate": False, **case.options}
        try:
            if compile_only:
                models[key] = _artifact(case, options)
            elif case.via_package:
                models[key] = _shipped(case, {**options, **_fresh_cache()})
            else:
                models[key] = webtensor.compile(case.source, **options, **_fresh_cache())
        except webtensor.CompileError as e:
            models[key] = e
    found = models[key]
    if isinstance(found, Exception):
        raise found
    return found


def _artifact(case: Case, options: dict) -> bytes:
    """The case's artifact, compiled for a target this machine may not run."""
    from webtensor.compiler.api import compile_artifact, import_source, make_options

    return compile_artifact(import_source(case.source), make_options(None, options))


def _shipped(case: Case, options: dict):
    """The case's module exported as a package, then loaded as a host loads one."""
    import webtensor

    path = os.path.join(os.getcwd(), "case.wtpkg")
    webtensor.export(case.source, isolate=False).save(path)
    return webtensor.load(path, **options)


def _fresh_cache() -> dict:
    """A compile cache that starts empty in every child: every case goes
    through the code a host runs (hashing hostile input for the cache key
    included), and compiles for real."""
    return {"cache": os.path.join(os.getcwd(), "cache")}


def _judge_rejection(case: Case, error: Exception) -> tuple[str, str]:
    text = str(error)
    if case.expect != REJECTED:
        return "unexpected", f"CompileError: {_first_lines(text)}"
    if case.message not in text:
        return "unexpected", f"rejected, but without {case.message!r}: {_first_lines(text)}"
    return "rejected", _first_lines(text, 1)


def _describe(e: BaseException) -> str:
    where = traceback.extract_tb(e.__traceback__)[-1:] if e.__traceback__ else []
    at = f" at {where[0].filename}:{where[0].lineno}" if where else ""
    return f"{type(e).__name__}: {_first_lines(str(e))}{at}"


def _first_lines(text: str, count: int = 2) -> str:
    return " | ".join(text.strip().splitlines()[:count])[:600]


def differences(got: list, want: tuple) -> str | None:
    """Why `got` is not exactly `want`, or None: dtypes, shapes and bits
    (any NaN equals any NaN; -0.0 is not 0.0)."""
    if len(got) != len(want):
        return f"{len(got)} outputs, want {len(want)}"
    for k, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g)
        if g.dtype != w.dtype or g.shape != w.shape:
            return f"output {k} is {g.dtype}{list(g.shape)}, want {w.dtype}{list(w.shape)}"
        same = _same_elements(g, w)
        if not same.all():
            bad = [tuple(int(v) for v in at) for at in np.argwhere(~same)[:4]]
            shown = ", ".join(f"at {at}: {_element(g[at])} want {_element(w[at])}" for at in bad)
            return f"output {k}: {int((~same).sum())} of {same.size} elements differ; {shown}"
    return None


def _element(v) -> str:
    """A value as numpy prints it, and a float's bits (NaNs have signs)."""
    v = np.asarray(v)
    if v.dtype in FLOATS:
        return f"{v} (0x{int(v.view(f'u{v.dtype.itemsize}')):0{2 * v.dtype.itemsize}X})"
    return str(v)


def _same_elements(g: np.ndarray, w: np.ndarray) -> np.ndarray:
    if g.dtype == np.complex64 or g.dtype == np.complex128:
        return _same_elements(g.real.copy(), w.real.copy()) & _same_elements(g.imag.copy(), w.imag.copy())
    if g.dtype not in FLOATS:
        return g == w
    bits = f"u{g.dtype.itemsize}"
    g_nan, w_nan = np.isnan(g.astype(np.float64)), np.isnan(w.astype(np.float64))
    return (g_nan & w_nan) | (~g_nan & ~w_nan & (g.view(bits) == w.view(bits)))


# --- The parent -----------------------------------------------------------------------


def make_batches(cases: list[Case], size: int = BATCH_SIZE) -> list[list[Case]]:
    """Consecutive cases of one family, at most `size` each, never splitting
    cases that share a module."""
    batches: list[list[Case]] = []
    groups: dict[tuple, list[Case]] = {}
    for case in cases:
        groups.setdefault((case.family, case.compile_key()), []).append(case)
    for (family, _), group in groups.items():
        last = batches[-1] if batches else None
        if last and last[0].family == family and len(last) + len(group) <= size:
            last.extend(group)
        else:
            batches.append(list(group))
    return batches


def on_target(cases: list[Case], target: str, iree_flags: tuple[str, ...] | None = None) -> list[Case]:
    """The cases, compiled for `target` (llvm-cpu, vulkan-spirv, cuda) with
    `iree_flags` added (default: TARGET_FLAGS[target]) and the target's
    TIMEOUT_SCALE."""
    if target == "llvm-cpu" and not iree_flags:
        return list(cases)
    flags = TARGET_FLAGS.get(target, ()) if iree_flags is None else tuple(iree_flags)
    scale = TIMEOUT_SCALE.get(target, 1.0)
    return [
        dataclasses.replace(
            case,
            options={**case.options, "target": target, "iree_flags": (*case.options.get("iree_flags", ()), *flags)},
            timeout=case.timeout * scale,
        )
        for case in cases
    ]


def has_device(target: str) -> bool:
    """Whether this machine has a device that runs `target`'s artifacts."""
    import webtensor

    return any(target in info.targets for info in webtensor.devices())


def run(cases: list[Case], jobs: int | None = None, log=None, compile_only: bool = False) -> list[Record]:
    """Every case's Record, in the order of `cases`; `log` hears of each
    failure as it happens. `compile_only`: compile, run nothing."""
    jobs = jobs or os.cpu_count() or 1
    environment = dict(os.environ)
    by_name: dict[str, Record] = {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(_run_batch, batch, environment, compile_only) for batch in make_batches(cases)]
        for future in concurrent.futures.as_completed(futures):
            for record in future.result():
                by_name[record.name] = record
                if log and not record.passed:
                    log(f"{record.outcome}: {record.name}: {record.detail}")
    return [by_name[case.name] for case in cases]


def _run_batch(batch: list[Case], environment: dict, compile_only: bool = False) -> list[Record]:
    records, died = _run_child(batch, environment, compile_only)
    if not died and len(batch) > 1:
        return _retry_after_device_loss(batch, records, environment)
    if not died:
        return records
    # Pin the crash or hang on a case: each case again, alone.
    alone = [_run_child([case], environment, compile_only)[0][0] for case in batch]
    culprit = next((r for r in records if r.outcome in ("crash", "hang") and not r.detail.startswith("not run")), None)
    if culprit is None or any(r.name == culprit.name and not r.passed for r in alone):
        return alone
    names = [case.name for case in batch]
    before = names[: names.index(culprit.name)]
    culprit.detail += f" (only after {', '.join(before) or 'nothing'} in the same process; alone it passed)"
    return [culprit if r.name == culprit.name else r for r in alone]


# Mesa's software Vulkan driver (lavapipe 22.3) has lost its device in CI,
# twice, partway through a batch of loop cases that each pass alone, every
# time we ran them, on an idle or a loaded machine; once a VkDevice is lost,
# every later call in that process fails too. A loss that happens again with
# the case alone, in a fresh process, is a finding; one that does not is
# recorded in the case's detail and printed with the summary.
DEVICE_LOST = "VK_ERROR_DEVICE_LOST"


def _retry_after_device_loss(batch: list[Case], records: list[Record], environment: dict) -> list[Record]:
    first = next((i for i, r in enumerate(records) if DEVICE_LOST in r.detail), None)
    if first is None:
        return records
    before = ", ".join(case.name for case in batch[:first]) or "nothing"
    retried = list(records[:first])
    for case, record in zip(batch[first:], records[first:]):
        if record.passed:
            retried.append(record)
            continue
        alone = _run_child([case], environment)[0][0]
        if alone.passed:
            alone = dataclasses.replace(alone, detail=f"retried alone: the device was lost after {before} in one process ({record.detail[:200]})")
        retried.append(alone)
    return retried


def _run_child(batch: list[Case], environment: dict, compile_only: bool = False) -> tuple[list[Record], bool]:
    """Runs `batch` in one child. Returns its records and whether the child
    died or hung; the cases it did not reach are then recorded as not run."""
    with tempfile.TemporaryDirectory(prefix="webtensor-hostile-") as workdir:
        results = Path(workdir) / "results.jsonl"
        results.touch()
        # Rejected compiles save a reproducer: here, not in /tmp.
        child_environment = {**environment, "WEBTENSOR_REPRODUCER_DIR": os.path.join(workdir, "reproducers")}
        process = _start_child([str(results), *(["--compile-only"] if compile_only else [])], child_environment, workdir)
        stderr = _Drain(process.stderr)
        try:
            process.stdin.write(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
            process.stdin.close()
        except BrokenPipeError:
            pass  # it died at once; its status says how
        watch = _Watch({case.name: case.timeout for case in batch})
        with results.open() as events:
            while True:
                watch.read(events)
                if process.poll() is not None:
                    watch.read(events)
                    break
                if watch.overdue():
                    watch.hung = True
                    _kill(process)
                    break
                time.sleep(POLL_SECONDS)
        process.wait()
        tail = stderr.tail()
    return _records(batch, watch, process.returncode, tail)


class _Watch:
    """Follows a child's events: what is done, what runs, since when."""

    def __init__(self, timeouts: dict[str, float]):
        self.timeouts = timeouts
        self.done: dict[str, Record] = {}
        self.running: str | None = None
        self.since = time.monotonic()
        self.hung = False
        self._partial = ""

    def read(self, events) -> None:
        self._partial += events.read()
        *lines, self._partial = self._partial.split("\n")
        for line in lines:
            event = json.loads(line)
            if "start" in event:
                self.running = event["start"]
            else:
                self.done[event["case"]] = Record(event["case"], event["outcome"], event["detail"], event["seconds"])
                self.running = None
            self.since = time.monotonic()

    def overdue(self) -> bool:
        limit = self.timeouts[self.running] if self.running else STARTUP_SECONDS
        return time.monotonic() - self.since > limit


def _records(batch: list[Case], watch: _Watch, status: int, tail: str) -> tuple[list[Record], bool]:
    records, died = [], watch.hung or status != 0
    how = "hung" if watch.hung else f"died ({_status(status)})"
    for case in batch:
        if case.name in watch.done:
            records.append(watch.done[case.name])
        elif case.name == watch.running and watch.hung:
            records.append(Record(case.name, "hang", f"no outcome after {case.timeout:g} s; killed", case.timeout))
        elif case.name == watch.running:
            records.append(Record(case.name, "crash", f"the child {how}{tail}"))
        else:
            records.append(Record(case.name, "crash", f"not run: the child {how} before it{tail}"))
    if died and len(watch.done) == len(batch):
        # Every case finished, then the process died (at exit, say): the last one is suspect.
        last = records[-1]
        records[-1] = Record(last.name, "crash", f"the child {how} after this case, its last{tail}", last.seconds)
    return records, died


class _Drain:
    """Reads a pipe on a thread, keeping the end (so a chatty child never blocks)."""

    def __init__(self, stream):
        import threading

        self._stream, self._data = stream, collections.deque(maxlen=64)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for line in self._stream:
            self._data.append(line)

    def tail(self) -> str:
        self._thread.join(5)
        lines = [b.decode("utf-8", "replace").strip() for b in self._data]
        lines = [line for line in lines if line]
        return f"; its last output: {lines[-1][:300]}" if lines else ""


def _start_child(argv: list[str], environment: dict, workdir: str):
    """A child running `zygote_child(argv)`: forked by a zygote that has
    imported the compiler and the runtime (runtime/zygote.py: the time of a
    fork, not of an interpreter's imports, for each batch), or started as
    `python -m ... --child` where none can run. Its own process group."""
    if zygote.supported():
        try:
            return zygote.Piped.fork(zygote.Zygote.start(CHILD_ENTRY, environment), argv, environment, workdir, stdout=False)
        except OSError:
            pass
    return subprocess.Popen(
        [sys.executable, "-m", "webtensor.tests.hostile.runner", "--child", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=workdir,
        env=environment,
        start_new_session=True,  # its own process group, killed as one
    )


CHILD_ENTRY = "webtensor.tests.hostile.runner:zygote_child"


def preload() -> None:
    """What a child needs, imported once in its zygote."""
    import importlib

    for module in ("webtensor.compiler.api", "webtensor.runtime.model"):
        importlib.import_module(module)


def zygote_child(argv: list[str]) -> None:
    os._exit(child_main(argv[0], "--compile-only" in argv[1:]))


def _kill(process) -> None:
    if isinstance(process, zygote.Piped):
        process.kill()
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _status(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


# --- Reporting ------------------------------------------------------------------------


def summarize(records: list[Record], wall_seconds: float) -> dict:
    counts = collections.Counter(r.outcome for r in records)
    families: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in records:
        families[r.family][r.outcome] += 1
    return {
        "cases": len(records),
        **{SUMMARY_NAMES[o]: counts[o] for o in OUTCOMES},
        "wall_seconds": round(wall_seconds, 1),
        "families": {
            f: {"cases": sum(c.values()), **{SUMMARY_NAMES[o]: c[o] for o in OUTCOMES}} for f, c in families.items()
        },
        "failures": [dataclasses.asdict(r) for r in records if not r.passed],
        "slowest": {r.name: r.seconds for r in sorted(records, key=lambda r: -r.seconds)[:10]},
        "results": {r.name: r.outcome for r in records},
    }


def write_summary(records: list[Record], cases: list[Case], wall_seconds: float, output: Path = OUTPUT) -> dict:
    """summary.json, and the module of each failing case under failures/."""
    summary = summarize(records, wall_seconds)
    output.mkdir(parents=True, exist_ok=True)
    (output / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    failures = output / "failures"
    shutil.rmtree(failures, ignore_errors=True)  # only this run's
    by_name = {case.name: case for case in cases}
    for record in records:
        if record.passed:
            continue
        failures.mkdir(exist_ok=True)
        source = by_name[record.name].source
        path = failures / (record.name.replace("/", "__") + (".mlirbc" if isinstance(source, bytes) else ".mlir"))
        path.write_bytes(source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass"))
    return summary


def table(summary: dict) -> str:
    columns = ["cases", *OUTCOMES]
    header = ["family", *columns]
    rows = [[f, str(c["cases"]), *(str(c[SUMMARY_NAMES[o]]) for o in OUTCOMES)] for f, c in summary["families"].items()]
    rows.append(["total", str(summary["cases"]), *(str(summary[SUMMARY_NAMES[o]]) for o in OUTCOMES)])
    widths = [max(len(r[k]) for r in [header] + rows) for k in range(len(header))]
    line = lambda r: "  ".join(v.ljust(w) if k == 0 else v.rjust(w) for k, (v, w) in enumerate(zip(r, widths)))  # noqa: E731
    rule = "-" * len(line(header))
    return "\n".join([line(header), rule, *map(line, rows[:-1]), rule, line(rows[-1])])


def select(cases: list[Case], patterns: list[str]) -> list[Case]:
    if not patterns:
        return cases
    return [c for c in cases if any(fnmatch.fnmatchcase(c.name, p) for p in patterns)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webtensor.tests.hostile.runner", description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", action="append", help="run this family (repeatable; default: all)")
    parser.add_argument("--case", action="append", default=[], help="run the cases whose name matches this glob (repeatable)")
    parser.add_argument("--jobs", type=int, default=None, help="child processes at once (default: the CPU count)")
    parser.add_argument("--list", action="store_true", help="list the cases and their expected outcomes, run nothing")
    parser.add_argument("--show", action="store_true", help="print the selected cases' modules, run nothing")
    parser.add_argument("--target", default="llvm-cpu", choices=("llvm-cpu", "vulkan-spirv", "cuda"), help="compile the cases for this target (default: llvm-cpu)")
    parser.add_argument("--target-default-features", action="store_true", help="compile for IREE's default features of --target, not those of TARGET_FLAGS")
    parser.add_argument("--compile-only", action="store_true", help="compile the cases, run nothing (the default where no device runs --target)")
    parser.add_argument("--output", type=Path, default=None, help=f"where summary.json goes (default: {OUTPUT}, or {OUTPUT}/TARGET for another target)")
    parser.add_argument("--child", metavar="RESULTS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child, args.compile_only)
    cases = on_target(select(all_cases(args.family), args.case), args.target, () if args.target_default_features else None)
    if not cases:
        parser.error("no case matches")
    if args.list or args.show:
        for case in cases:
            what = {VALUE: "value", BUDGET: "budget", REJECTED: f"rejected: {case.message}"}[case.expect]
            print(f"{case.name}  [{what}]")
            if args.show:
                print(case.source if isinstance(case.source, str) else f"<{len(case.source)} bytes>: {case.source[:80]!r}")
        return 0
    output = args.output or (OUTPUT if args.target == "llvm-cpu" else OUTPUT / args.target)
    compile_only = args.compile_only or not has_device(args.target)
    if compile_only and not args.compile_only:
        print(f"no device here runs {args.target}: compiling only", flush=True)
    start = time.monotonic()
    records = run(cases, args.jobs, log=lambda m: print(m, flush=True), compile_only=compile_only)
    summary = write_summary(records, cases, time.monotonic() - start, output)
    print(table(summary))
    print(f"{summary['cases']} cases in {summary['wall_seconds']} s; summary in {output / 'summary.json'}")
    return 0 if not summary["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
