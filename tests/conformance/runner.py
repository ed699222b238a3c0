"""Runs StableHLO's own test data through WebTensor, and through plain IREE
beside it, in child processes with a time limit per file.

    python -m webtensor.tests.conformance.runner PATH...               # files or folders of .mlir
    python -m webtensor.tests.conformance.runner stablehlo/testdata --iree --jobs 2 --json out.json
    python -m webtensor.tests.conformance.runner --report out.jsonl    # the table of a (partial) run
    python -m webtensor.tests.conformance.runner tests/conformance/testdata --no-isolate \
        --record tests/conformance/expected.json                      # record the subset's outcomes

Each file becomes a program, its inputs and its checks (program.py). The
`webtensor` backend compiles the program with `webtensor.compile` (sandbox
on, default options: the compiler in its isolated worker) and runs it on the
target's device; the `iree` backend compiles it with plain
`iree.compiler.compile_str` (input_type stablehlo, the same target and CPU,
IREE's own defaults otherwise: f64 is demoted to f32, so its arguments are
narrowed to what the artifact declares and its results widened back before
the check) and runs it with `iree.runtime`.

Outcomes, per file and backend:

- `pass`: every check passes;
- `fail`: a check fails (`wrong values`), IREE cannot compile the program
  (`compile error`), or the call raises (`run error`);
- `refused`: WebTensor refuses the program before IREE sees it (the gate,
  legalization or the profile), with the reason;
- `crash`: the compiler worker or the child process died, or the child ran
  past its time limit. (The worker stopped at its own memory or time limit
  is a clean `fail`.)

A child runs a batch of files and appends one JSON line per event to a
file: "start" before a file, its record after. The parent watches it: a
child that dies or runs past `--timeout` on a file is killed, that file is a
`crash`, and the rest of its batch goes on in a fresh child. Records stream
to `--jsonl` as they come (a run stopped early still has them); `--json`
gets the summary at the end, and the table goes to stdout.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

OUTCOMES = ("pass", "fail", "refused", "crash")
BACKENDS = ("webtensor", "iree")
DEVICES = {"llvm-cpu": "local-task", "vulkan-spirv": "vulkan", "cuda": "cuda"}
LIMITS = ("memory", "timeout", "cpu")  # the compiler worker's limits, enforced
BEFORE_IREE = ("input", "legalized", "sandboxed")  # phases whose failure is WebTensor refusing
DEFAULT_TIMEOUT = 360.0  # above the compiler worker's own 300 s wall limit
STARTUP_SECONDS = 120.0  # a child's imports on a loaded machine
BATCH_SIZE = 24
POLL_SECONDS = 0.05
_DISABLED = re.compile(r"^// RUN-DISABLED(\([^)]*\))?.*--interpret", re.M)


# --- One file, in the child ----------------------------------------------------------


def run_file(path: str, backend: str, target: str, isolate: bool = True) -> dict:
    """The record of one file on one backend, in this process."""
    from . import program

    start = time.monotonic()
    try:
        case = program.load(path)
    except program.Unsupported as e:
        record = {"outcome": "fail", "cause": "harness: cannot read the file", "detail": str(e)}
    else:
        record = _run_webtensor(case, target, isolate) if backend == "webtensor" else _run_iree(case, target)
    record["seconds"] = round(time.monotonic() - start, 3)
    return record


def _run_webtensor(case, target: str, isolate: bool) -> dict:
    import webtensor
    from webtensor.compiler.worker import WorkerFailure

    try:
        model = webtensor.compile(case.program, target=target, cache=False, isolate=isolate, iree_flags=_target_flags(target))
    except WorkerFailure as e:
        # A limit the worker enforced is a clean error; anything else is a crash.
        outcome = "fail" if e.reason in LIMITS else "crash"
        return {"outcome": outcome, "cause": f"compiler worker: {e.reason}", "detail": _first_line(e.summary)}
    except webtensor.CompileError as e:
        message = e.diagnostics[0].message if e.diagnostics else e.summary
        phase = _failed_phase(e.summary)
        if phase in BEFORE_IREE:
            return {"outcome": "refused", "cause": _cause(message), "detail": f"{phase}: {_first_line(message)}"}
        return {"outcome": "fail", "cause": f"compile error: {_cause(message)}", "detail": f"{phase}: {_first_line(message)}"}
    try:
        outputs = model(*case.inputs)
    except Exception as e:  # noqa: BLE001 - any error of the call is the finding
        return {"outcome": "fail", "cause": f"run error: {type(e).__name__}", "detail": _first_line(str(e))}
    return _judge(case, outputs)


def _run_iree(case, target: str) -> dict:
    import iree.compiler as compiler
    import iree.runtime as rt

    flags = ["--iree-llvmcpu-target-cpu=host"] if target == "llvm-cpu" else list(_target_flags(target))
    try:
        vmfb = compiler.compile_str(case.program, target_backends=[target], input_type="stablehlo", extra_args=flags)
    except compiler.CompilerToolError as e:
        message = _iree_error(str(e))
        return {"outcome": "fail", "cause": f"compile error: {_cause(message)}", "detail": _first_line(message)}
    try:
        config = rt.Config(DEVICES[target])
        module = rt.VmModule.copy_buffer(config.vm_instance, vmfb)
        context = rt.SystemContext(vm_modules=[module], config=config)
        function = context.modules[module.name]["main"]
        declared = function.vm_function.reflection.get("iree.abi.declaration", "")
        inputs = _as_declared(case.inputs, declared)
        if target != "llvm-cpu":  # IREE's Vulkan driver cannot import numpy's memory
            inputs = [_on_device(config.device, x) for x in inputs]
        outputs = function(*inputs)
    except Exception as e:  # noqa: BLE001
        return {"outcome": "fail", "cause": f"run error: {type(e).__name__}", "detail": _first_line(str(e))}
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    outputs = [_to_host(config.device, o) for o in outputs]
    widened = [o.astype(c.expected.dtype) if o.dtype != c.expected.dtype else o for o, c in zip(outputs, case.checks)]
    return _judge(case, widened)


def _to_host(device, output) -> np.ndarray:
    """A result on the host; on Vulkan through WebTensor's download, since
    IREE's DeviceArray.to_host imports numpy memory there too."""
    from webtensor.runtime.tensor import to_host

    if not hasattr(output, "_buffer_view"):
        return np.asarray(output)
    return to_host(device, output._buffer_view, output.dtype)


def _on_device(device, x: np.ndarray):
    """x copied into a device buffer: IREE's Vulkan driver would import a
    numpy argument's memory, and refuses memory below lavapipe's
    minImportedHostPointerAlignment (4096)."""
    import iree.runtime as rt

    from webtensor.runtime.dtypes import by_dtype

    view = device.allocator.allocate_buffer_copy(
        rt.MemoryType.DEVICE_LOCAL, rt.BufferUsage.DEFAULT, device, np.ascontiguousarray(x), by_dtype(x.dtype).hal
    )
    return rt.DeviceArray(device, view, implicit_host_transfer=True, override_dtype=x.dtype)


def _target_flags(target: str) -> tuple[str, ...]:
    """The device's own features, as the hostile suite compiles for them:
    on vulkan-spirv, what lavapipe has (f16, f64, 8/16-bit storage, i64),
    where IREE's default Vulkan target has 32-bit types only."""
    from ..hostile.runner import TARGET_FLAGS

    return TARGET_FLAGS.get(target, ())


def _as_declared(inputs: list, declaration: str) -> list:
    """The inputs narrowed to the element types the artifact declares (IREE
    demotes f64 and complex<f64> by default)."""
    from .program import DTYPES

    head = declaration.split(") -> (", 1)[0]
    declared = re.findall(r"%input\d+: tensor<(?:[0-9?]+x)*([^>]+>?)>", head)
    if len(declared) != len(inputs):
        return inputs
    return [x.astype(DTYPES[t]) if t in DTYPES and DTYPES[t] != x.dtype else x for x, t in zip(inputs, declared)]


def _judge(case, outputs) -> dict:
    from .program import compare

    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    if len(outputs) != len(case.checks):
        return {"outcome": "fail", "cause": "wrong values: result count", "detail": f"{len(outputs)} results for {len(case.checks)} checks"}
    for output, check in zip(outputs, case.checks):
        problem = compare(check.kind, output, check.expected)
        if problem:
            return {"outcome": "fail", "cause": f"wrong values: {check.kind}", "detail": problem[:400]}
    return {"outcome": "pass", "cause": "", "detail": ""}


def _failed_phase(summary: str) -> str:
    match = re.search(r"the (\w+) phase failed", summary)
    return match.group(1) if match else "unknown"


def _iree_error(text: str) -> str:
    for line in text.splitlines():
        if ": error: " in line:
            return line.split(": error: ", 1)[1]
    return _first_line(text)


def _cause(message: str) -> str:
    """A diagnostic with its specifics (types, numbers, values) taken out, so
    that files failing for one reason share one cause."""
    text = _first_line(message)
    text = re.sub(r"tensor<[^>]*>+", "T", text)
    text = re.sub(r"%[\w#]+", "%v", text)
    text = re.sub(r"\b\d+\b", "N", text)
    return text[:160]


def _first_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[0][:400] if lines else ""


def upstream_disabled(path: str) -> str | None:
    """Why StableHLO's own interpreter run of this file is disabled, if it is."""
    with open(path) as f:
        head = f.read(2000)
    match = _DISABLED.search(head)
    if not match:
        return None
    return (match.group(1) or "()").strip("()") or "disabled"


def child_main(results_path: str, backends: list[str], target: str, isolate: bool) -> int:
    """Runs the files named on stdin (JSON), appending events to `results_path`."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    files = json.load(sys.stdin)
    out = os.open(results_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    for path in files:
        for backend in backends:
            os.write(out, (json.dumps({"start": path, "backend": backend}) + "\n").encode())
            record = run_file(path, backend, target, isolate)
            record.update(file=path, backend=backend)
            os.write(out, (json.dumps(record) + "\n").encode())
    os.close(out)
    return 0


# --- The parent ----------------------------------------------------------------------


class Batch:
    """A child working through a list of files."""

    def __init__(self, files: list[str], backends: list[str], target: str, isolate: bool, workdir: str):
        self.files, self.backends, self.target = files, backends, target
        self.workdir = tempfile.mkdtemp(dir=workdir)
        self.events = os.path.join(self.workdir, "events.jsonl")
        self.offset = 0
        self.current: tuple[str, str] | None = None
        self.since = time.monotonic()
        env = dict(os.environ, WEBTENSOR_REPRODUCER_DIR=os.path.join(self.workdir, "repro"))
        command = [sys.executable, "-m", "webtensor.tests.conformance.runner", "--child", self.events,
                   "--backends", ",".join(backends), "--target", target] + ([] if isolate else ["--no-isolate"])
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, cwd=self.workdir, env=env, start_new_session=True)
        self.process.stdin.write(json.dumps(files).encode())
        self.process.stdin.close()

    def poll(self, timeout: float) -> tuple[list[dict], bool]:
        """New records, and whether the child is finished (it then is reaped)."""
        records = []
        if os.path.exists(self.events):
            with open(self.events) as f:
                f.seek(self.offset)
                chunk = f.read()
            complete = chunk[: chunk.rfind("\n") + 1]
            self.offset += len(complete.encode())
            for line in complete.splitlines():
                event = json.loads(line)
                if "start" in event:
                    self.current, self.since = (event["start"], event["backend"]), time.monotonic()
                else:
                    self.current, self.since = None, time.monotonic()
                    records.append(event)
        status = self.process.poll()
        limit = timeout if self.current else STARTUP_SECONDS + timeout
        if status is None and time.monotonic() - self.since <= limit:
            return records, False
        if status is None:
            self._kill()
            reason = f"ran past the {timeout:g} s limit"
        else:
            self.process.wait()
            reason = f"the child exited with status {status}{_last_words(self.process.stderr.read())}"
        if status != 0 and self.current:
            path, backend = self.current
            records.append({"file": path, "backend": backend, "outcome": "crash", "cause": "child process: " + reason.split(" with")[0],
                            "detail": reason, "seconds": round(time.monotonic() - self.since, 3)})
        elif status != 0:
            records.append({"file": "", "backend": "", "outcome": "crash", "cause": "child process", "detail": reason, "seconds": 0})
        self.process.stderr.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
        return records, True

    def _kill(self) -> None:
        try:
            os.killpg(self.process.pid, 9)
        except ProcessLookupError:
            pass
        self.process.wait()


def _last_words(stderr: bytes) -> str:
    lines = stderr.decode(errors="replace").strip().splitlines()
    return f": {lines[-1][:300]}" if lines else ""


def run(files: list[str], backends: list[str], target: str = "llvm-cpu", jobs: int = 1,
        timeout: float = DEFAULT_TIMEOUT, isolate: bool = True, on_record=None) -> list[dict]:
    """Records of every file on every backend; crashes pinned on their file."""
    disabled = {path: upstream_disabled(path) for path in files}
    pending = [files[i : i + BATCH_SIZE] for i in range(0, len(files), BATCH_SIZE)]
    running: list[Batch] = []
    records: list[dict] = []
    done: set[tuple[str, str]] = set()
    workdir = tempfile.mkdtemp(prefix="webtensor-conformance-")
    try:
        while pending or running:
            while pending and len(running) < jobs:
                running.append(Batch(pending.pop(0), backends, target, isolate, workdir))
            time.sleep(POLL_SECONDS)
            for batch in list(running):
                new, finished = batch.poll(timeout)
                for record in new:
                    if not record["file"]:
                        continue
                    record["family"] = _family(record["file"])
                    record["upstream_disabled"] = disabled.get(record["file"])
                    record["file"] = os.path.basename(record["file"])
                    done.add((record["file"], record["backend"]))
                    records.append(record)
                    if on_record:
                        on_record(record)
                if finished:
                    running.remove(batch)
                    rest = [p for p in batch.files if any((os.path.basename(p), b) not in done for b in backends)]
                    if rest == batch.files:  # no progress: the child died before its first file
                        stuck = {"file": rest.pop(0), "outcome": "crash", "cause": "child process: died before the file",
                                 "detail": "", "seconds": 0}
                        for b in backends:
                            record = dict(stuck, backend=b, family=_family(stuck["file"]),
                                          upstream_disabled=disabled.get(stuck["file"]), file=os.path.basename(stuck["file"]))
                            done.add((record["file"], b))
                            records.append(record)
                            if on_record:
                                on_record(record)
                    if rest:
                        pending.insert(0, rest)
    finally:
        for batch in running:
            batch._kill()
        shutil.rmtree(workdir, ignore_errors=True)
    return records


def _family(path: str) -> str:
    from .program import family_of

    return family_of(os.path.basename(path))


# --- Reports -------------------------------------------------------------------------


def summary(records: list[dict]) -> dict:
    """Counts per backend, per family and per cause, and the files where
    WebTensor is below IREE."""
    by = collections.defaultdict(dict)
    for r in records:
        by[r["file"]][r["backend"]] = r
    counts = {b: collections.Counter(r["outcome"] for r in records if r["backend"] == b) for b in BACKENDS}
    families: dict = collections.defaultdict(lambda: {b: collections.Counter() for b in BACKENDS})
    causes = {b: collections.Counter() for b in BACKENDS}
    for r in records:
        families[r["family"]][r["backend"]][r["outcome"]] += 1
        if r["outcome"] != "pass":
            causes[r["backend"]][f"{r['outcome']}: {r['cause']}"] += 1
    below = sorted(f for f, pair in by.items()
                   if pair.get("iree", {}).get("outcome") == "pass" and pair.get("webtensor", {}).get("outcome") not in (None, "pass"))
    return {
        "files": len(by),
        "counts": {b: dict(c) for b, c in counts.items() if c},
        "families": {f: {b: dict(c) for b, c in v.items() if c} for f, v in sorted(families.items())},
        "causes": {b: dict(c.most_common()) for b, c in causes.items() if c},
        "webtensor_below_iree": below,
    }


def table(records: list[dict]) -> str:
    s = summary(records)
    backends = [b for b in BACKENDS if b in s["counts"]]
    lines = [f"{s['files']} files"]
    for b in backends:
        c = s["counts"][b]
        total = sum(c.values())
        lines.append(f"  {b:10s} " + "  ".join(f"{o} {c.get(o, 0)}" for o in OUTCOMES) + f"   ({100 * c.get('pass', 0) / max(total, 1):.1f}% pass)")
    lines.append("")
    header = f"{'family':28s}" + "".join(f"{b + ' pass/total':>24s}" for b in backends) + "   not passing (webtensor)"
    lines.append(header)
    for family, per in s["families"].items():
        cells = ""
        for b in backends:
            c = per.get(b, {})
            cells += f"{c.get('pass', 0):>13d}/{sum(c.values()):<10d}"
        rest = per.get("webtensor", {})
        note = ", ".join(f"{o} {rest[o]}" for o in OUTCOMES[1:] if rest.get(o))
        lines.append(f"{family:28s}{cells}   {note}")
    for b in backends:
        lines.append("")
        lines.append(f"{b}: causes")
        for cause, n in s["causes"].get(b, {}).items():
            lines.append(f"  {n:5d}  {cause}")
    if s["webtensor_below_iree"]:
        lines.append("")
        lines.append(f"WebTensor below plain IREE on {len(s['webtensor_below_iree'])} files:")
        lines.extend(f"  {f}" for f in s["webtensor_below_iree"])
    return "\n".join(lines)


def collect(paths: list[str]) -> list[str]:
    """The .mlir files under `paths`, ordered round-robin across families so
    that a run stopped early has seen every family."""
    files = []
    for p in paths:
        path = Path(p)
        files.extend(sorted(str(f) for f in path.glob("*.mlir")) if path.is_dir() else [str(path)])
    groups = collections.defaultdict(list)
    for f in files:
        groups[_family(f)].append(f)
    ordered = []
    queues = [groups[k] for k in sorted(groups)]
    while any(queues):
        for q in queues:
            if q:
                ordered.append(q.pop(0))
    return ordered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webtensor.tests.conformance.runner", description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="testdata .mlir files or folders of them")
    parser.add_argument("--iree", action="store_true", help="also run every file through plain IREE")
    parser.add_argument("--backends", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--target", default="llvm-cpu", choices=sorted(DEVICES))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per file and backend")
    parser.add_argument("--no-isolate", action="store_true",
                        help="compile in the child itself, not in WebTensor's compiler worker (faster; the child is still isolated)")
    parser.add_argument("--limit", type=int, default=None, help="run only the first N files (round-robin over families)")
    parser.add_argument("--jsonl", help="append each record to this file as it comes")
    parser.add_argument("--json", help="write the records and the summary here at the end")
    parser.add_argument("--record", metavar="JSON", help="write each file's outcome and cause here (the subset test's expected.json)")
    parser.add_argument("--report", metavar="JSONL", help="print the table of the records in JSONL and exit")
    parser.add_argument("--child", metavar="EVENTS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    backends = args.backends.split(",") if args.backends else ["webtensor"] + (["iree"] if args.iree else [])
    if args.child:
        return child_main(args.child, backends, args.target, not args.no_isolate)
    if args.report:
        with open(args.report) as f:
            print(table([json.loads(line) for line in f if line.strip()]))
        return 0
    if not args.paths:
        parser.error("give testdata files or folders (or --report)")
    files = collect(args.paths)[: args.limit]
    sink = open(args.jsonl, "a") if args.jsonl else None

    def on_record(record: dict) -> None:
        if sink:
            sink.write(json.dumps(record) + "\n")
            sink.flush()

    records = run(files, backends, args.target, args.jobs, args.timeout, not args.no_isolate, on_record)
    if sink:
        sink.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"target": args.target, "summary": summary(records), "records": records}, f, indent=1)
    if args.record:
        outcomes = {r["file"]: {"outcome": r["outcome"], "cause": r["cause"]} for r in records if r["backend"] == "webtensor"}
        lines = [f"  {json.dumps(name)}: {json.dumps(outcome)}" for name, outcome in sorted(outcomes.items())]
        with open(args.record, "w") as f:
            f.write("{\n" + ",\n".join(lines) + "\n}\n")
    print(table(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
