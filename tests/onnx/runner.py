"""Runs ONNX's own backend node tests through WebTensor's ONNX door.

    python -m webtensor.tests.onnx.runner --jsonl out.jsonl             # the whole suite (1,884 tests)
    python -m webtensor.tests.onnx.runner --only test_add,test_relu     # some, by name
    python -m webtensor.tests.onnx.runner --report out.jsonl            # the table of a (partial) run

The onnx wheel ships the generators of its node tests, not their data:
`generate` writes each test (model.onnx, inputs and expected outputs as
.npz) into a folder at run time; nothing is committed. (onnx 1.23's
`python -m onnx.backend.test.cmd_tools generate-data` writes only the
model tests, not the node tests; the node generators are
`onnx.backend.test.case.node.collect_testcases`.)

Each test compiles with `webtensor.compile("model.onnx")`, as a user's file
would (sandbox on, the compiler in its worker), and runs on the CPU; its
outputs are compared with onnx's own tolerances for that test (`rtol`,
`atol`, NaN equal to NaN, and the dtype). Every test that does not pass
is put down to whoever failed it:

- `pass`;
- `ours`: our frontend, signature, sandbox or runtime fails, or gives a
  wrong result that plain IREE, without the sandbox, gets right;
- `importer`: onnx's shape inference or torch-mlir (its importer or its
  lowering to StableHLO) fails, or the StableHLO it wrote gives the wrong
  result in StableHLO's own reference interpreter;
- `iree`: IREE fails to compile the program (and fails on the imported
  StableHLO without WebTensor's phases too), or gets a result wrong that
  the reference interpreter gets right;
- `refused`: WebTensor's gate, legalization or profile refuses the program;
- `unsupported`: inputs or outputs a model cannot take: not tensors
  (sequences, optionals, maps, strings), or of an element type WebTensor
  has no host type for (float8, int4);
- `wrong`: a wrong result that attribute.py could not put down to anyone
  (a check did not run);
- `crash`: the child process died or ran past its time limit.

attribute.py says how a wrong result or an IREE failure is put down.

Tests run in child processes, a batch at a time; a child appends one JSON
line per event (a "start", then the record), so a crash or a hang costs
only the test it was on: the parent kills it and goes on with the rest.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

OUTCOMES = ("pass", "ours", "importer", "iree", "refused", "unsupported", "wrong", "crash")
BEFORE_IREE = ("input", "legalized")
IREE_PHASES = ("linalg", "vmfb")
TIMEOUT = 300.0  # per test; the compiler worker's own wall limit is below it
BATCH = 40


def generate(directory: str | os.PathLike, only: set[str] | None = None) -> list[str]:
    """Writes the node tests (all, or those named in `only`) under
    `directory`, one folder each; returns their names."""
    import onnx
    from onnx.backend.test.case import node

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the generators compute infs and NaNs on purpose
        cases = node.collect_testcases()
    names = []
    for case in cases:
        if only is not None and case.name not in only:
            continue
        folder = Path(directory) / case.name
        folder.mkdir(parents=True, exist_ok=True)
        onnx.save(case.model, folder / "model.onnx")
        inputs, outputs = ([_as_array(v) for v in values] for values in case.data_sets[0])
        meta = {"rtol": case.rtol, "atol": case.atol, "op": _op(case.model), "inputs": len(inputs), "outputs": len(outputs)}
        meta["unsupported"] = _unsupported(inputs + outputs)
        if not meta["unsupported"]:
            arrays = {f"in{i}": v for i, v in enumerate(inputs)} | {f"out{i}": v for i, v in enumerate(outputs)}
            # npz keeps ml_dtypes' types (bfloat16, float8s) only as void bytes: their names go in the meta.
            meta["dtypes"] = {k: str(v.dtype) for k, v in arrays.items()}
            np.savez(folder / "data.npz", **arrays)
        (folder / "meta.json").write_text(json.dumps(meta))
        names.append(case.name)
    return names


def _as_array(value):
    """A test value as an array, or None if it is not a tensor: onnx's
    generators give tensors as arrays, numpy scalars (0-d tensors) and
    TensorProtos (types numpy lacks: float8, int4), and give sequences,
    optionals and maps as lists, None and dicts."""
    import onnx
    from onnx import numpy_helper

    if isinstance(value, np.ndarray):
        return value if value.dtype != object else None
    if isinstance(value, np.generic):
        return np.asarray(value)
    if isinstance(value, onnx.TensorProto):
        return _as_array(numpy_helper.to_array(value))
    return None


def _unsupported(values) -> str:
    """Why a model cannot take or give these values, or ""."""
    from webtensor.runtime import dtypes

    if any(v is None for v in values):
        return "inputs or outputs that are not tensors"
    odd = sorted({str(v.dtype) for v in values if dtypes.by_dtype(v.dtype) is None})
    return f"element type {', '.join(odd)}, which a model cannot take or return" if odd else ""


def _op(model) -> str:
    types = [n.op_type for n in model.graph.node]
    return types[0] if len(types) == 1 else "(several nodes)"


def run_test(folder: str | os.PathLike, isolate: bool = True) -> dict:
    """One test's record: outcome, cause and detail."""
    import webtensor
    from webtensor.compiler.worker import WorkerFailure

    from . import attribute

    folder = Path(folder)
    meta = json.loads((folder / "meta.json").read_text())
    if meta["unsupported"]:
        return {"outcome": "unsupported", "cause": meta["unsupported"], "detail": ""}
    data = np.load(folder / "data.npz")
    inputs = [_typed(data, f"in{i}", meta) for i in range(meta["inputs"])]
    expected = [_typed(data, f"out{i}", meta) for i in range(meta["outputs"])]
    try:
        model = webtensor.compile(str(folder / "model.onnx"), cache=False, isolate=isolate)
    except WorkerFailure as e:
        return {"outcome": "crash" if e.reason not in ("memory", "timeout", "cpu") else "iree", "cause": f"compiler worker: {e.reason}", "detail": _first_line(e.summary)}
    except webtensor.CompileError as e:
        record = _compile_failure(e)
        if record["outcome"] == "iree":
            verdict = attribute.compile_verdict(folder)
            record.update(outcome=verdict["by"], detail=f"{record['detail']} ({verdict['why']})")
        return record
    except Exception as e:  # noqa: BLE001 - any other error of ours is the finding
        return {"outcome": "ours", "cause": f"{type(e).__name__}: {_cause(str(e))}", "detail": _first_line(str(e))}
    try:
        outputs = model(*inputs)
    except Exception as e:  # noqa: BLE001
        return {"outcome": "ours", "cause": f"run error: {type(e).__name__}: {_cause(str(e))}", "detail": _first_line(str(e))}
    outputs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
    record = _judge(outputs, expected, meta["rtol"], meta["atol"])
    if record["outcome"] != "wrong":
        return record
    verdict = attribute.attribute(folder, inputs, expected, lambda got, want: _mismatch(got, want, meta["rtol"], meta["atol"]))
    outcome = "wrong" if verdict["by"] == "unknown" else verdict["by"]
    return {"outcome": outcome, "cause": f"wrong {record['cause']}", "detail": f"{verdict['why']}; WebTensor's: {record['detail']}"}


def _mismatch(outputs, expected, rtol: float, atol: float) -> str | None:
    record = _judge(outputs, expected, rtol, atol)
    return None if record["outcome"] == "pass" else f"{record['cause']}: {record['detail'][:160]}"


def _typed(data, key: str, meta: dict) -> np.ndarray:
    """An array from the npz with its dtype back (ml_dtypes' bfloat16 comes back as void)."""
    array = data[key]
    name = meta["dtypes"][key]
    if str(array.dtype) == name:
        return array
    import ml_dtypes

    return array.view(getattr(ml_dtypes, name))


def _compile_failure(error) -> dict:
    message = error.diagnostics[0].message if error.diagnostics else error.summary
    summary = error.summary
    if "ONNX shape inference failed" in summary or "torch-mlir" in summary:
        return {"outcome": "importer", "cause": _importer_cause(summary), "detail": _first_line(summary)}
    match = re.search(r"the (\w+) phase failed", summary)
    phase = match.group(1) if match else "vmfb" if "IREE could not compile" in summary else "unknown"
    outcome = "refused" if phase in BEFORE_IREE else "iree" if phase in IREE_PHASES else "ours"
    return {"outcome": outcome, "cause": _cause(message), "detail": f"{phase}: {_first_line(message)}"}


def _importer_cause(summary: str) -> str:
    unlowered = re.search(r'name = "(onnx\.\w+)"', summary)
    if unlowered:
        return f"torch-mlir has no lowering of {unlowered.group(1)} here"
    text = summary.split("StableHLO: ", 1)[-1] if "StableHLO: " in summary else summary.split(": ", 1)[-1]
    text = re.sub(r'^loc\([^)]*\):\s*', "", text)
    return _cause(text)


def _judge(outputs, expected, rtol: float, atol: float) -> dict:
    if len(outputs) != len(expected):
        return {"outcome": "wrong", "cause": "result count", "detail": f"{len(outputs)} results, {len(expected)} expected"}
    for i, (got, want) in enumerate(zip(outputs, expected)):
        got = np.asarray(got)
        if got.dtype != want.dtype:
            return {"outcome": "wrong", "cause": "dtype", "detail": f"result {i}: {got.dtype}, expected {want.dtype}"}
        if got.shape != want.shape:
            return {"outcome": "wrong", "cause": "shape", "detail": f"result {i}: {got.shape}, expected {want.shape}"}
        try:
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        except AssertionError as e:
            return {"outcome": "wrong", "cause": "values" + _ulps(got, want), "detail": " ".join(str(e).split())[:300]}
    return {"outcome": "pass", "cause": "", "detail": ""}


def _ulps(got: np.ndarray, want: np.ndarray) -> str:
    """For a 16-bit float result, how many units in the last place it is off
    at most, if a few: onnx's tolerances (rtol 1e-3) are finer than one
    bfloat16 ulp, so a graph computed in bfloat16 step by step fails them
    by rounding alone."""
    import ml_dtypes

    name = want.dtype.name
    mantissa = {"bfloat16": 7, "float16": 10}.get(name)
    if mantissa is None:
        return ""
    got, want = got.astype(np.float32), want.astype(np.float32)
    finite = np.isfinite(want) & np.isfinite(got)
    if not finite.any() or (np.isnan(got) != np.isnan(want)).any():
        return ""
    smallest = np.log2(float(ml_dtypes.finfo(ml_dtypes.bfloat16 if mantissa == 7 else np.float16).smallest_normal))
    exponent = np.maximum(np.floor(np.log2(np.abs(want[finite]) + 1e-45)), smallest)
    ulps = float(np.max(np.abs(got[finite] - want[finite]) / 2.0 ** (exponent - mantissa)))
    return f" (within {math.ceil(ulps)} ulps of {name})" if ulps <= 4 else ""


def _cause(message: str) -> str:
    """A message without its specifics, so that tests failing for one reason share one cause."""
    text = _first_line(message)
    text = re.sub(r"tensor<[^>]*>+", "T", text)
    text = re.sub(r"%[\w#]+", "%v", text)
    text = re.sub(r"'[^']*'", lambda m: m.group(0) if "." in m.group(0) else "'X'", text)
    text = re.sub(r"\b\d+\b", "N", text)
    text = re.sub(r"^\S*(model\.onnx|/tmp\S*)(:\d+:\d+)?:?\s*", "", text)
    return text[:160]


def _first_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[0][:400] if lines else ""


def child_main(events: str, folders: list[str], isolate: bool = True) -> int:
    """Runs `folders` in turn, appending a start event and a record per test."""
    warnings.simplefilter("ignore")
    with open(events, "a") as out:
        for folder in folders:
            out.write(json.dumps({"event": "start", "test": Path(folder).name}) + "\n")
            out.flush()
            started = time.monotonic()
            record = run_test(folder, isolate)
            record.update(test=Path(folder).name, seconds=round(time.monotonic() - started, 2))
            out.write(json.dumps({"event": "record", **record}) + "\n")
            out.flush()
    return 0


def run(directory: str, names: list[str], jsonl: str | None = None, timeout: float = TIMEOUT, isolate: bool = True) -> list[dict]:
    """Every test in child processes, BATCH at a time; a record per test.
    Tests go round-robin across ops, so that a run stopped early is a fair sample."""
    ops = {name: json.loads((Path(directory) / name / "meta.json").read_text())["op"] for name in names}
    records, pending = [], _round_robin(names, ops)
    sink = open(jsonl, "a") if jsonl else None
    try:
        while pending:
            batch, pending = pending[:BATCH], pending[BATCH:]
            done = _run_batch(directory, batch, timeout, isolate)
            for record in done:
                record["op"] = ops[record["test"]]
                records.append(record)
                if sink:
                    sink.write(json.dumps(record) + "\n")
                    sink.flush()
            finished = {r["test"] for r in done}
            pending = [name for name in batch if name not in finished] + pending
            print(f"{len(records)}/{len(names)}", file=sys.stderr, flush=True)
    finally:
        if sink:
            sink.close()
    return records


def _round_robin(names: list[str], ops: dict[str, str]) -> list[str]:
    by_op = collections.defaultdict(list)
    for name in names:
        by_op[ops[name]].append(name)
    queues = [by_op[op] for op in sorted(by_op)]
    order = []
    while any(queues):
        order += [queue.pop(0) for queue in queues if queue]
    return order


def _run_batch(directory: str, batch: list[str], timeout: float, isolate: bool) -> list[dict]:
    """The records of a child's run over `batch`; the test it was on when it
    died or hung is a crash. Tests after that one are left for the caller."""
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as f:
        events_path = f.name
    flags = [] if isolate else ["--no-isolate"]
    command = [sys.executable, "-m", "webtensor.tests.onnx.runner", *flags, "--child", events_path, *(str(Path(directory) / n) for n in batch)]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last_event, position, records, current = time.monotonic(), 0, [], None
    try:
        while True:
            try:
                child.wait(timeout=1.0)
                exited = True
            except subprocess.TimeoutExpired:
                exited = False
            with open(events_path) as events:
                events.seek(position)
                for line in events.readlines():
                    if not line.endswith("\n"):
                        break
                    position += len(line)
                    event = json.loads(line)
                    last_event = time.monotonic()
                    if event["event"] == "start":
                        current = event["test"]
                    else:
                        current = None
                        event.pop("event")
                        records.append(event)
            if exited:
                break
            if time.monotonic() - last_event > timeout:
                child.kill()
                child.wait()
                break
        if current is not None:
            how = "timeout" if child.returncode in (-9, None) else f"exit {child.returncode}"
            records.append({"test": current, "outcome": "crash", "cause": f"child process: {how}", "detail": "", "seconds": None})
        elif child.returncode not in (0, None) and not records:
            # Died before its first test (an import error): every test would.
            stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
            raise RuntimeError(f"the runner's child failed: {stderr.strip()[-2000:]}")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.unlink(events_path)
    return records


def summary(records: list[dict]) -> dict:
    counts = collections.Counter(r["outcome"] for r in records)
    return {"tests": len(records), **{o: counts.get(o, 0) for o in OUTCOMES}}


def table(records: list[dict]) -> str:
    """Totals by outcome, then by op: tests, passes, and what the rest were."""
    total = summary(records)
    lines = ["| tests | " + " | ".join(OUTCOMES) + " |", "| ---: |" + " ---: |" * len(OUTCOMES)]
    lines.append(f"| {total['tests']} | " + " | ".join(str(total[o]) for o in OUTCOMES) + " |")
    lines += ["", "| op | tests | pass | not passing |", "| --- | ---: | ---: | --- |"]
    by_op = collections.defaultdict(list)
    for record in records:
        by_op[record["op"]].append(record)
    for op in sorted(by_op):
        group = by_op[op]
        counts = collections.Counter(r["outcome"] for r in group if r["outcome"] != "pass")
        rest = ", ".join(f"{n} {o}" for o, n in counts.most_common())
        lines.append(f"| `{op}` | {len(group)} | {sum(r['outcome'] == 'pass' for r in group)} | {rest} |")
    lines += ["", "| outcome | cause | tests |", "| --- | --- | ---: |"]
    causes = collections.Counter((r["outcome"], r["cause"]) for r in records if r["outcome"] != "pass")
    for (outcome, cause), n in causes.most_common(40):
        lines.append(f"| {outcome} | {cause.replace('|', '/')} | {n} |")
    return "\n".join(lines)


def _load(jsonl: str) -> list[dict]:
    with open(jsonl) as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webtensor.tests.onnx.runner", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated test names (default: every node test)")
    parser.add_argument("--dir", help="where to write the tests (default: a temporary folder)")
    parser.add_argument("--jsonl", help="append each record here as it comes")
    parser.add_argument("--resume", action="store_true", help="skip the tests that already have a record in --jsonl (a stopped run goes on)")
    parser.add_argument("--json", help="write the summary and every record here at the end")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per test before its child is killed")
    parser.add_argument("--report", metavar="JSONL", help="print the table of the records in JSONL and exit")
    parser.add_argument("--no-isolate", action="store_true", help="compile in the test's child process, not in a compiler worker of its own (faster)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child[0], args.child[1:], not args.no_isolate)
    if args.resume and not args.jsonl:
        parser.error("--resume needs --jsonl")
    if args.report:
        print(table(_load(args.report)))
        return 0
    directory = args.dir or tempfile.mkdtemp(prefix="webtensor-onnx-nodes-")
    only = set(args.only.split(",")) if args.only else None
    names = generate(directory, only)
    if only and len(names) != len(only):
        parser.error(f"no node test named {', '.join(sorted(only - set(names)))}")
    done = _load(args.jsonl) if args.resume and args.jsonl and os.path.exists(args.jsonl) else []
    finished = {r["test"] for r in done}
    records = done + run(directory, [n for n in names if n not in finished], args.jsonl, args.timeout, not args.no_isolate)
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary(records), "records": records}, indent=1))
    print(table(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
