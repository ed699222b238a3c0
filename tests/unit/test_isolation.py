"""Untrusted input compiles in a worker process with limits: a crash, a hang
or a memory hog there is a CompileError here, and this process lives on.

Failures that no input is known to cause on demand are simulated by a
worker of the tests' own (tests/worker_faults.py), which stands in for the
shipped one.
"""

import os
import time
from pathlib import Path

import numpy as np
import pytest

import webtensor
from webtensor.compiler.api import compile_artifact, import_source, run_phases
from webtensor.compiler import worker
from webtensor.compiler.options import CompileOptions, InputLimits, IsolationLimits, Phase
from webtensor.compiler.worker import WorkerFailure
from webtensor.compiler.worker_wire import (
    FRAME_MAGIC,
    MalformedAnswer,
    decode_frame,
    diagnostic_to_json,
    diagnostics_from_json,
    encode_frame,
)
from webtensor.compiler.diagnostics import Diagnostic, SourceLocation
from webtensor.compiler.frontends.jax_function import portable_artifact
from webtensor.tests import worker_faults
from webtensor.bench.models import MODELS
from webtensor.tools import compile as compile_tool

ADD = "func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {\n  %0 = stablehlo.add %x, %x : tensor<3xf32>\n  return %0 : tensor<3xf32>\n}\n"
BAD_OP = "func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {\n  %0 = stablehlo.bogus %x : tensor<3xf32>\n  return %0 : tensor<3xf32>\n}\n"
NO_DEPTH_LIMIT = InputLimits(max_depth=10**7)


@pytest.fixture(autouse=True)
def reproducer_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("WEBTENSOR_REPRODUCER_DIR", str(tmp_path / "repro"))
    monkeypatch.delenv(worker_faults.FAULT_VARIABLE, raising=False)
    return tmp_path / "repro"


@pytest.fixture
def hook(monkeypatch):
    """Makes the next compiles' workers fail as `name` says."""

    def fail_as(name):
        monkeypatch.setattr(worker, "WORKER_MODULE", worker_faults.MODULE)
        monkeypatch.setenv(worker_faults.FAULT_VARIABLE, name)

    return fail_as


def _failure(source, **options) -> WorkerFailure:
    with pytest.raises(WorkerFailure) as info:
        webtensor.compile(source, **options)
    return info.value


def _still_compiles():
    model = webtensor.compile(ADD)
    assert model(np.array([1, 2, 3], np.float32)).tolist() == [2, 4, 6]


# --- Crashes, hangs and hogs ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("module {\n" * 100_000 + "}\n" * 100_000, id="nested-regions"),
        pytest.param("func.func private @f(tensor<" + "tuple<" * 100_000 + "f32" + ">" * 100_001 + ")\n", id="nested-types"),
    ],
)
def test_parser_stack_overflow_is_a_clean_error(text, reproducer_dir):
    # With the gate's depth limit lifted, the parser itself overflows its stack.
    error = _failure(text, input_limits=NO_DEPTH_LIMIT)
    assert error.reason == "crashed"
    assert str(error).startswith("the compiler crashed (SIGSEGV) while compiling <text>; the input is malformed or hostile")
    assert error.reproducer == str(reproducer_dir / "input.mlir")
    assert open(error.reproducer).read() == text
    assert f"reproduce with: webtensor-compile {error.reproducer} --target=llvm-cpu --max-nesting-depth=10000000 --compile-to=vmfb" in str(error)
    _still_compiles()


# Mutated bytecode that tests/fuzz found; re-check on an IREE or jaxlib upgrade.
INPUTS = Path(__file__).parent / "inputs"


@pytest.mark.parametrize(
    "name, signal_name",
    [
        ("segfaults-iree-bytecode-reader", "SIGSEGV"),
        ("double-free-iree-bytecode-reader", "SIGABRT"),
        ("segfaults-jaxlib-deserializer", "SIGSEGV"),
    ],
)
def test_inputs_that_crash_the_compiler(name, signal_name):
    path = INPUTS / f"{name}.mlirbc"
    error = _failure(path)
    assert error.reason == "crashed"
    assert f"the compiler crashed ({signal_name}) while compiling {path}; the input is malformed or hostile" in str(error)
    assert error.reproducer is None and str(path) in error.command
    _still_compiles()


def test_input_that_hangs_the_deserializer():
    error = _failure(INPUTS / "hangs-jaxlib-deserializer.mlirbc", isolation_limits=IsolationLimits(wall_seconds=2))
    assert error.reason == "timeout"
    assert "exceeded its 2 s time limit" in str(error)


@pytest.mark.parametrize("isolate", [True, False])
def test_diagnostic_that_is_not_utf8(isolate):
    path = INPUTS / "non-utf8-diagnostic.mlirbc"
    with pytest.raises(webtensor.CompileError) as info:
        webtensor.compile(path, isolate=isolate)
    assert f"{path}: failed to parse; the parser's message quotes bytes that are not UTF-8" in str(info.value)


@pytest.mark.parametrize("name, signal_name", [("segv", "SIGSEGV"), ("abort", "SIGABRT")])
def test_crash_names_the_signal(hook, name, signal_name):
    hook(name)
    error = _failure(ADD)
    assert error.reason == "crashed"
    assert f"the compiler crashed ({signal_name}) while compiling <text>; the input is malformed or hostile" in str(error)
    assert error.reproducer and os.path.exists(error.reproducer)


def test_hang_hits_the_wall_limit(hook):
    hook("sleep")
    start = time.monotonic()
    error = _failure(ADD, isolation_limits=IsolationLimits(wall_seconds=1.5))
    assert time.monotonic() - start < 30
    assert error.reason == "timeout"
    assert "compiling <text> exceeded its 1.5 s time limit" in str(error)
    assert "raise IsolationLimits.wall_seconds (--time-limit)" in str(error)
    assert "--time-limit=1.5 --compile-to=vmfb" in error.command


def test_spin_hits_the_cpu_limit(hook):
    hook("spin")
    error = _failure(ADD, isolation_limits=IsolationLimits(cpu_seconds=1, wall_seconds=60))
    assert error.reason == "cpu"
    assert "compiling <text> exceeded its 1 s CPU time limit" in str(error)
    assert "raise IsolationLimits.cpu_seconds (--cpu-limit)" in str(error)


def test_memory_hog_hits_the_memory_limit(hook):
    hook("hog")
    error = _failure(ADD, isolation_limits=IsolationLimits(memory_bytes=1 << 30))
    assert error.reason == "memory"
    assert "compiling <text> exceeded its 1 GiB memory limit" in str(error)
    assert "raise IsolationLimits.memory_bytes (--memory-limit)" in str(error)


def test_compiler_over_the_memory_limit():
    # Below what IREE needs (about 0.6 GiB of address space for this module).
    error = _failure(ADD, isolation_limits=IsolationLimits(memory_bytes=350 << 20))
    assert error.reason == "memory", str(error)
    assert "exceeded its 350 MiB memory limit" in str(error)


@pytest.mark.parametrize(
    "name, message",
    [
        ("garbage", "the compiler worker gave a malformed answer while compiling <text> (bad header length)"),
        ("bad-diagnostic", "malformed answer while compiling <text> (a diagnostic without a valid severity)"),
        ("exit", "the compiler worker exited with status 3 while compiling <text>"),
        ("kill", "the compiler was killed (SIGKILL) while compiling <text>; the system may be out of memory"),
        (
            "raise",
            "internal error in the compiler worker while compiling <text>: TypeError: a simulated bug "
            "(at worker_faults.py:",
        ),
    ],
)
def test_answers_that_are_not_answers(hook, name, message):
    hook(name)
    assert message in str(_failure(ADD))


def test_internal_errors_ask_for_a_bug_report(hook):
    hook("raise")
    assert "this is a bug in WebTensor, please report it with the reproducer" in str(_failure(ADD))


def test_worker_that_cannot_start(monkeypatch):
    # No zygote (it would not start either: runtime/zygote.py starts it with
    # sys.executable), and no Python to start a worker with.
    monkeypatch.setattr(worker, "USE_ZYGOTE", False)
    monkeypatch.setattr(worker.sys, "executable", "/no/such/python")
    error = _failure(ADD)
    assert error.reason == "internal"
    assert "cannot start the compiler worker for <text>: [Errno 2] No such file or directory" in str(error)


def test_answer_longer_than_the_memory_limit():
    with pytest.raises(WorkerFailure, match=r"malformed answer while compiling m.mlir \(it sent more than 1 GiB\)"):
        worker._outcome(worker._Answer(too_long=True), 0, "m.mlir", IsolationLimits(memory_bytes=1 << 30), Phase.VMFB)


def test_the_shipped_worker_has_no_fault_hook(monkeypatch):
    monkeypatch.setenv(worker_faults.FAULT_VARIABLE, "segv")
    assert webtensor.compile(ADD, cache=False)(np.ones(3, np.float32)).tolist() == [2, 2, 2]


def test_in_process_compiles_never_start_a_worker(hook):
    hook("segv")
    assert webtensor.compile(ADD, isolate=False)(np.ones(3, np.float32)).tolist() == [2, 2, 2]


# --- Results and errors are the same as in-process ---------------------------------


def test_artifacts_are_identical_to_in_process():
    model = MODELS["encoder_block"]
    for imported in (import_source(ADD), import_source(model.fn, model.example_args())):
        isolated = compile_artifact(imported, CompileOptions())
        assert isolated == compile_artifact(imported, CompileOptions(isolate=False))


@pytest.mark.parametrize("phase", ["input", "linalg"])
def test_ir_is_identical_to_in_process(phase):
    imported = import_source(ADD)
    for debug_info in (False, True):
        isolated = run_phases(imported, CompileOptions(), Phase.parse(phase), debug_info)
        assert isolated == run_phases(imported, CompileOptions(isolate=False), Phase.parse(phase), debug_info)


def test_errors_are_identical_to_in_process():
    errors = []
    for isolate in (True, False):
        with pytest.raises(webtensor.CompileError) as info:
            webtensor.compile(BAD_OP, isolate=isolate)
        errors.append(info.value)
    isolated, in_process = errors
    assert type(isolated) is webtensor.CompileError
    assert isolated.diagnostics == in_process.diagnostics
    assert isolated.diagnostics[0].location == SourceLocation("-", 2, 8)
    assert isolated.summary == in_process.summary
    assert isolated.command.replace(" --no-isolate", "") == in_process.command.replace(" --no-isolate", "")
    assert "<text>:2:8: error: custom op 'stablehlo.bogus' is unknown" in str(isolated)


def _portable_add() -> bytes:
    return portable_artifact(lambda x: x * 2, (np.zeros(3, np.float32),))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: _portable_add()[:60], "not a valid StableHLO portable artifact"),
        (lambda: _portable_add()[:30] + b"\xff" * 40, "not a valid StableHLO portable artifact"),
        (lambda: ADD[:70].encode(), "<bytes>:2:"),
    ],
    ids=["truncated-portable", "mutated-portable", "truncated-text"],
)
def test_truncated_and_mutated_input_is_a_compile_error(make, message):
    with pytest.raises(webtensor.CompileError) as info:
        webtensor.compile(make())
    assert not isinstance(info.value, WorkerFailure)
    assert message in str(info.value)


def test_command_line_compiles_in_a_worker(hook, tmp_path, capsys):
    path = tmp_path / "model.mlir"
    path.write_text(ADD)
    hook("segv")
    assert compile_tool.main([str(path), "-o", str(tmp_path / "m.vmfb")]) == 1
    err = capsys.readouterr().err
    assert f"the compiler crashed (SIGSEGV) while compiling {path}; the input is malformed or hostile" in err
    assert f"note: reproduce with: webtensor-compile {path} --target=llvm-cpu --compile-to=vmfb" in err
    assert compile_tool.main([str(path), "-o", str(tmp_path / "m.vmfb"), "--no-isolate"]) == 0


def test_command_line_limit_flags(hook, tmp_path, capsys):
    path = tmp_path / "model.mlir"
    path.write_text(ADD)
    hook("sleep")
    assert compile_tool.main([str(path), "--compile-to=input", "--time-limit=1"]) == 1
    assert "exceeded its 1 s time limit" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        compile_tool.main([str(path), "--memory-limit=12Q"])
    assert "'12Q' is not a byte count such as 512M or 8G" in capsys.readouterr().err


# --- The answer's wire format ------------------------------------------------------


def _frame(header: bytes, body: bytes = b"") -> bytes:
    return FRAME_MAGIC + len(header).to_bytes(8, "big") + header + body


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "no answer frame"),
        (b"XXXX" + bytes(8), "no answer frame"),
        (FRAME_MAGIC + (1 << 40).to_bytes(8, "big"), "bad header length"),
        (FRAME_MAGIC + (100).to_bytes(8, "big") + b"{}", "bad header length"),
        (_frame(b"{not json"), "the header is not JSON"),
        (_frame(b"[" * 100_000 + b"]" * 100_000), "the header is not JSON"),
        (_frame("{\"kind\": \"é\"}".encode()), "the header is not JSON"),
        (_frame(b"[1, 2]"), "the header is not an object"),
        (_frame(b'{"body_bytes": 3}', b"ab"), "the body's length does not match the header"),
        (_frame(b'{"body_bytes": true}', b"a"), "the body's length does not match the header"),
    ],
)
def test_malformed_frames(data, message):
    with pytest.raises(MalformedAnswer, match=message):
        decode_frame(data)


def test_frame_round_trip():
    assert decode_frame(encode_frame({"kind": "ok", "format": "bytes"}, b"\x00\xff")) == (
        {"kind": "ok", "format": "bytes", "body_bytes": 2},
        b"\x00\xff",
    )


def test_diagnostics_round_trip():
    note = Diagnostic("note", "see here", SourceLocation("a.mlir", 3, 4))
    diagnostic = Diagnostic("error", "bad", SourceLocation("-", 1, 2), (note,))
    assert diagnostics_from_json([diagnostic_to_json(diagnostic)]) == [diagnostic]


def _diagnostic(**fields):
    return {"severity": "error", "message": "m", "location": None, "notes": [], **fields}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"severity": "error"}, "not a list"),
        ([_diagnostic(severity="fatal")], "without a valid severity"),
        ([_diagnostic(message=7)], "not a string"),
        ([_diagnostic(location={"file": "f", "line": True, "col": 1})], "line or column"),
        ([_diagnostic(location={"file": "f", "line": -1, "col": 1})], "line or column"),
        ([_diagnostic(location=[1, 2])], "location that is not an object"),
        ([_diagnostic(notes=[_diagnostic(notes=[_diagnostic()])])], "notes"),
        ([_diagnostic(notes="x")], "notes"),
    ],
)
def test_malformed_diagnostics(data, message):
    with pytest.raises(MalformedAnswer, match=message):
        diagnostics_from_json(data)


def test_lone_surrogates_are_made_printable():
    [diagnostic] = diagnostics_from_json([_diagnostic(message="a\udc80b")])
    assert diagnostic.message == "a?b"


@pytest.mark.parametrize("field, value", [("memory_bytes", 0), ("cpu_seconds", -1), ("wall_seconds", True)])
def test_isolation_limits_must_be_positive(field, value):
    with pytest.raises(ValueError, match=f"IsolationLimits.{field} must be positive"):
        IsolationLimits(**{field: value})
