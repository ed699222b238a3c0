"""The hostile-module suite under pytest: one test per family of cases.

Every selected family runs once, through the runner (child processes with a
wall-time limit per case, several at once), when the first of these tests
needs it; each test then asserts that its family had no crash, no hang, no
wrong value and no other outcome than the defined one, and names the cases
that did. tests/hostile/Output/summary.json gets the counts. The package
family (every defined-value case again, shipped as a package) runs a sample
by default, the cheapest case of each family and of each element type;
WEBTENSOR_HOSTILE_FULL=1 runs all of it, and every case on Vulkan too.

The defined-value families run again on the `vulkan` device (target
vulkan-spirv; Mesa's software driver where no GPU is), and must give the
CPU's results, but for the differences VULKAN_DIFFERENCES documents; their
summary goes to Output/vulkan-spirv/. By default Vulkan runs a sample (the
cheapest case of each family with each element type, and every documented
difference): the CPU run is the full guard, and lavapipe is slow;
WEBTENSOR_HOSTILE_FULL=1 runs them all.
On `cuda` they run where a CUDA device is, and are compiled only elsewhere.

The runner's own tests run modules without the sandbox, which crash or hang
the process that runs them, to show that such a case is caught and pinned on
the right case; the same modules sandboxed are defined.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from webtensor.tests.hostile import cases, runner
from webtensor.tests.hostile.cases import BUDGET, REJECTED, VALUE, Case

HERE = Path(__file__).resolve()


@pytest.fixture(scope="module")
def results(request) -> dict[str, runner.Record]:
    """Runs every family that this session selected, in one runner call."""
    selected = cases.all_cases(selected_families(request, "test_family"))
    if not FULL_RUN:
        selected = sample_packages(selected)
    start = time.monotonic()
    records = runner.run(selected)
    summary = runner.write_summary(records, selected, time.monotonic() - start)
    print("\n" + runner.table(summary))
    return {r.name: r for r in records}


def selected_families(request, test: str) -> list[str]:
    """The families of the `test` items this session runs."""
    return sorted({
        item.callspec.params["family"]
        for item in request.session.items
        if Path(str(item.path)).resolve() == HERE and getattr(item, "originalname", None) == test
        and "family" in getattr(getattr(item, "callspec", None), "params", {})
    })


@pytest.mark.parametrize("family", list(cases.FAMILIES))
def test_family(family, results):
    records = [r for r in results.values() if r.family == family]
    assert records, f"the family {family} has no cases"
    failures = [r for r in records if not r.passed]
    assert not failures, f"{len(failures)} of {len(records)} {family} cases failed:\n" + "\n".join(
        f"  {r.outcome}: {r.name}: {r.detail}" for r in failures
    )


# --- The same cases on a GPU -------------------------------------------------------------

# The families whose cases have one defined value (or budget error) on every target.
GPU_FAMILIES = ("gather", "scatter", "dynamic_slice", "integer", "float_to_int", "loops")


@dataclasses.dataclass(frozen=True)
class Difference:
    """Cases (a name glob) whose outcome on a target differs from the CPU's,
    and why. The outcome must be exactly this one, with `detail` in its
    text: a case that stops differing fails too, until its entry goes."""

    cases: str
    outcome: str
    detail: str
    reason: str


# IREE's SPIR-V code generation emulates 64-bit integers with pairs of 32-bit
# ones on every Vulkan target without a 64-bit integer unit (its portable
# baseline, and lavapipe, whose features it cannot be told beyond SPIR-V
# capabilities), and the emulation lacks some operations: a clean CompileError.
NO_I64_DIVISION = "IREE's SPIR-V emulation of 64-bit integers has no division"
NO_I64_INDEX = "IREE's SPIR-V emulation of 64-bit integers cannot lower these 64-bit gather and scatter indices"
VULKAN_DIFFERENCES = (
    *(Difference(f"integer/{name}", "unexpected", "was explicitly marked illegal", NO_I64_DIVISION)
      for name in ("divide-i64-arguments", "divide-ui64-arguments", "divide-i64-by-constant--1")),
    *(Difference(f"gather/{name}", "unexpected", "failed to legalize unresolved target materialization from ('i64')", NO_I64_INDEX)
      for name in ("windows-i64", "windows-ui64", "vector-first-i64", "vector-first-ui64")),
    Difference("scatter/constant-indices-add", "unexpected", "failed to legalize unresolved target materialization from ('i64')", NO_I64_INDEX),
)
FULL_RUN = os.environ.get("WEBTENSOR_HOSTILE_FULL") == "1"
# Cases that do not run on vulkan, and why.
SLOW_ITERATIONS = (
    "a loop iteration costs 1 to 6 ms on lavapipe (the host waits for the device at every "
    "condition), 0.07 ms on local-task: the budget, priced on the CPU, lets this run minutes, "
    "past three times its timeout"
)
VULKAN_NOT_RUN = {
    name: SLOW_ITERATIONS
    for name in ("loops/30-counted-loops-exact-budget", "loops/work-infinite-default-budget", "loops/work-infinite-2^20-add")
}


def gpu_cases(target: str, families=GPU_FAMILIES, sample: bool = False) -> list[Case]:
    """The defined-value and budget cases of `families` for `target`, but
    those without inputs: IREE evaluates a program of constants while it
    compiles, on the host's CPU, and the artifact holds no device code.
    `sample`: only the cheapest case of each family with each element type."""
    selected = [c for c in cases.all_cases(list(families)) if c.expect in (VALUE, BUDGET) and c.inputs]
    if target == "vulkan-spirv":
        selected = [c for c in selected if c.name not in VULKAN_NOT_RUN]
    if sample:
        kept = {case.name for case in cheapest_of_each_kind(selected)}
        if target == "vulkan-spirv":
            kept |= {case.name for case in selected if documented(case.name, VULKAN_DIFFERENCES)}
        selected = [case for case in selected if case.name in kept]
    return runner.on_target(selected, target)


ELEMENT_TYPE = re.compile(r"tensor<(?:[0-9?]+x)*(\w+)")


def cheapest_of_each_kind(selected: list[Case]) -> list[Case]:
    """Of each family, the case with the shortest timeout (the cases' own
    estimate of what they cost) among those with each element type, the
    first of equals: every element type of every family, not every pairing
    of them (f16 to ui8 and f64 to i8 cover f16, f64, i8 and ui8)."""
    return cheapest_by(selected, lambda case: [(case.family, element) for element in ELEMENT_TYPE.findall(case.source) or [None]])


def sample_packages(selected: list[Case]) -> list[Case]:
    """Every case, but of the package family (each defined-value case again,
    shipped as a package: the same StableHLO through the same phases, which
    has never given another outcome) only the cheapest of each family and
    the cheapest with each element type: every op family and every element
    type goes through the portable format. WEBTENSOR_HOSTILE_FULL=1 runs
    them all."""
    packaged = [case for case in selected if case.family == "package"]
    by_original_family = [dataclasses.replace(case, name=case.name.removeprefix("package/")) for case in packaged]
    kept = {f"package/{case.name}" for case in cheapest_by(by_original_family, lambda case: [case.family])}
    kept |= {f"package/{case.name}" for case in cheapest_by(by_original_family, lambda case: ELEMENT_TYPE.findall(case.source))}
    return [case for case in selected if case.family != "package" or case.name in kept]


def cheapest_by(selected: list[Case], keys) -> list[Case]:
    """For each key that `keys(case)` gives, the case with the shortest
    timeout among those that have it, the first of equals."""
    chosen: dict = {}
    for case in selected:
        for key in keys(case):
            if key not in chosen or case.timeout < chosen[key].timeout:
                chosen[key] = case
    return list({case.name: case for case in chosen.values()}.values())


def documented(name: str, differences) -> Difference | None:
    return next((d for d in differences if fnmatch.fnmatchcase(name, d.cases)), None)


def judge(records, differences) -> list[str]:
    """What is wrong with `records`: failures the differences do not name,
    and named differences that did not happen as documented."""
    problems = []
    for r in records:
        difference = documented(r.name, differences)
        if difference is None:
            if not r.passed:
                problems.append(f"  {r.outcome}: {r.name}: {r.detail}")
        elif r.outcome != difference.outcome or difference.detail not in r.detail:
            problems.append(
                f"  {r.outcome}: {r.name}: {r.detail or 'as on the CPU'}; documented instead as "
                f"{difference.outcome} with {difference.detail!r} ({difference.reason}): update VULKAN_DIFFERENCES"
            )
    return problems


def run_on(target: str, families: list[str], compile_only: bool = False, sample: bool = False) -> dict[str, runner.Record]:
    # Compiling alone finds less than running: a sample of the modules does.
    selected = gpu_cases(target, families, sample=compile_only or sample)
    start = time.monotonic()
    records = runner.run(selected, compile_only=compile_only)
    summary = runner.write_summary(records, selected, time.monotonic() - start, runner.OUTPUT / target)
    print(f"\n{target}{' (compiled only)' if compile_only else ''}:\n" + runner.table(summary))
    if target == "vulkan-spirv":
        print("not run on vulkan:\n" + "\n".join(f"  {name}: {why}" for name, why in VULKAN_NOT_RUN.items()))
    retried = [f"  {r.name}: {r.detail}" for r in records if r.passed and r.detail.startswith("retried alone")]
    if retried:
        print("passed when retried alone, after a lost device:\n" + "\n".join(retried))
    return {r.name: r for r in records}


@pytest.fixture(scope="module")
def vulkan_results(request, need_device) -> dict[str, runner.Record]:
    need_device("vulkan")
    return run_on("vulkan-spirv", selected_families(request, "test_family_on_vulkan"), sample=not FULL_RUN)


@pytest.fixture(scope="module")
def cuda_results(request) -> dict[str, runner.Record]:
    return run_on("cuda", selected_families(request, "test_family_on_cuda"), compile_only=not runner.has_device("cuda"))


@pytest.mark.parametrize("family", GPU_FAMILIES)
def test_family_on_vulkan(family, vulkan_results):
    records = [r for r in vulkan_results.values() if r.family == family]
    assert records, f"the family {family} has no cases"
    problems = judge(records, VULKAN_DIFFERENCES)
    assert not problems, f"{len(problems)} of {len(records)} {family} cases on vulkan:\n" + "\n".join(problems)


def test_the_documented_vulkan_differences_name_cases():
    names = {c.name for c in cases.all_cases(list(GPU_FAMILIES))}
    stale = [d.cases for d in VULKAN_DIFFERENCES if not fnmatch.filter(names, d.cases)]
    stale += [name for name in VULKAN_NOT_RUN if name not in names]
    assert not stale, f"no such cases: {stale}"


@pytest.mark.parametrize("family", GPU_FAMILIES)
def test_family_on_cuda(family, cuda_results):
    records = [r for r in cuda_results.values() if r.family == family]
    assert records, f"the family {family} has no cases"
    failures = [r for r in records if not r.passed]
    assert not failures, f"{len(failures)} of {len(records)} {family} cases on cuda:\n" + "\n".join(
        f"  {r.outcome}: {r.name}: {r.detail}" for r in failures
    )


def test_the_package_sample_has_every_family_and_element_type():
    packaged = cases.all_cases(["package"])
    sample = sample_packages(packaged)
    assert 0 < len(sample) < len(packaged)

    def kinds(chosen):
        families = {case.name.split("/")[1] for case in chosen}
        types = {t for case in chosen for t in ELEMENT_TYPE.findall(case.source)}
        return families, types

    assert kinds(sample) == kinds(packaged)


def test_the_gpu_sample_has_every_family_element_type_and_documented_difference():
    every = gpu_cases("vulkan-spirv")
    sample = gpu_cases("vulkan-spirv", sample=True)
    assert 0 < len(sample) < len(every)

    def kinds(chosen):
        return {(case.family, t) for case in chosen for t in ELEMENT_TYPE.findall(case.source)}

    assert kinds(sample) == kinds(every)
    assert {case.name for case in every if documented(case.name, VULKAN_DIFFERENCES)} <= {case.name for case in sample}


def test_every_case_states_a_defined_outcome():
    all_cases = cases.all_cases()
    assert len({c.name for c in all_cases}) == len(all_cases)
    for case in all_cases:
        assert case.expect in (VALUE, BUDGET, REJECTED)
        if case.expect == VALUE and case.want is not None:
            assert all(isinstance(w, np.ndarray) for w in case.want), case.name
    # Each kind of outcome is represented, and the worker path is exercised.
    kinds = {c.expect for c in all_cases}
    assert kinds == {VALUE, BUDGET, REJECTED}
    assert sum(c.isolate for c in all_cases) >= 5


# --- The runner catches what it must ------------------------------------------------------

SCATTER = """func.func @main(%x: tensor<10x3xf32>, %i: tensor<1x1xi32>, %u: tensor<1x3xf32>) -> tensor<10x3xf32> {
  %r = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xf32>, tensor<1x1xi32>, tensor<1x3xf32>) -> tensor<10x3xf32>
  return %r : tensor<10x3xf32>
}
"""
FAR = (np.zeros((10, 3), np.float32), np.array([[2**31 - 1]], np.int32), np.ones((1, 3), np.float32))
FOREVER = """func.func @main(%n: tensor<i32>) -> tensor<i32> {
  %t = stablehlo.constant dense<true> : tensor<i1>
  %r = stablehlo.while(%v = %n) : tensor<i32>
    cond {
      stablehlo.return %t : tensor<i1>
    } do {
      %one = stablehlo.constant dense<1> : tensor<i32>
      %v2 = stablehlo.add %v, %one : tensor<i32>
      stablehlo.return %v2 : tensor<i32>
    }
  return %r : tensor<i32>
}
"""


def outcomes(records) -> dict[str, str]:
    return {r.name: r.outcome for r in records}


def test_a_crash_is_pinned_on_its_case():
    """Plain IREE writes an out-of-bounds scatter 24 GB past its operand: the
    child dies, the runner reruns the batch case by case and blames that case."""
    batch = [
        Case("runner/sandboxed", SCATTER, VALUE, inputs=FAR, want=(FAR[0],)),
        Case("runner/unsandboxed", SCATTER, VALUE, inputs=FAR, want=(FAR[0],), options={"sandbox": False}),
        Case("runner/after", FOREVER, BUDGET, inputs=(np.int32(0),), fuel=100),
    ]
    records = runner.run(batch, jobs=1)
    assert outcomes(records) == {"runner/sandboxed": "defined", "runner/unsandboxed": "crash", "runner/after": "budget"}
    assert "killed by SIGSEGV" in records[1].detail


def test_a_hang_is_pinned_on_its_case():
    """Without the sandbox there is no budget: the loop runs until the case's
    timeout, and the child is killed."""
    batch = [
        Case("runner/no-budget", FOREVER, BUDGET, inputs=(np.int32(0),), options={"sandbox": False}, timeout=3),
        Case("runner/budget", FOREVER, BUDGET, inputs=(np.int32(0),), fuel=100),
    ]
    start = time.monotonic()
    records = runner.run(batch, jobs=1)
    assert outcomes(records) == {"runner/no-budget": "hang", "runner/budget": "budget"}
    assert time.monotonic() - start < 60


def test_a_lost_device_is_retried_alone_and_a_repeated_loss_fails(monkeypatch):
    """A lost VkDevice fails every later call of its process: the runner reruns
    the failed cases alone, keeps the ones that pass with a note, and fails
    the one that loses the device again."""
    lost = "ExecutionError: main failed on vulkan: DATA_LOSS; [vkWaitSemaphores] VK_ERROR_DEVICE_LOST"
    batch = [Case(f"runner/{name}", FOREVER, BUDGET, inputs=(np.int32(0),), fuel=100) for name in ("a", "b", "c", "d")]

    def child(cases, environment, compile_only=False):
        if len(cases) > 1:  # the batch: b loses the device, c and d meet it lost
            return [runner.Record("runner/a", "budget", "")] + [
                runner.Record(case.name, "unexpected", lost) for case in cases[1:]
            ], False
        (case,) = cases
        return [runner.Record(case.name, "unexpected" if case.name == "runner/c" else "budget", lost if case.name == "runner/c" else "")], False

    monkeypatch.setattr(runner, "_run_child", child)
    records = runner.run(batch, jobs=1)
    assert outcomes(records) == {"runner/a": "budget", "runner/b": "budget", "runner/c": "unexpected", "runner/d": "budget"}
    assert records[1].detail.startswith("retried alone: the device was lost after runner/a in one process (")
    assert records[2].detail == lost


def test_other_outcomes_than_the_defined_one_fail(tmp_path):
    batch = [
        Case("runner/wrong-value", SCATTER, VALUE, inputs=FAR, want=(FAR[0] + 1,)),
        Case("runner/wrong-message", SCATTER.replace("stablehlo.add", "stablehlo.bogus"), REJECTED, message="no such text"),
        Case("runner/not-rejected", SCATTER, REJECTED, message="anything"),
        Case("runner/no-budget-error", SCATTER, BUDGET, inputs=FAR),
    ]
    records = runner.run(batch, jobs=1)
    assert outcomes(records) == {
        "runner/wrong-value": "wrong",
        "runner/wrong-message": "unexpected",
        "runner/not-rejected": "unexpected",
        "runner/no-budget-error": "wrong",
    }
    summary = runner.write_summary(records, batch, 1.0, tmp_path)
    assert (summary["cases"], summary["wrong_values"], summary["unexpected_outcomes"]) == (4, 2, 2)
    assert (tmp_path / "failures" / "runner__wrong-value.mlir").read_text() == SCATTER


def test_bit_exact_comparison():
    nan_and_zeros = np.array([np.nan, -0.0, 0.0], np.float32)
    assert runner.differences([nan_and_zeros], (nan_and_zeros.copy(),)) is None
    assert "differ" in runner.differences([np.array([np.nan, 0.0, 0.0], np.float32)], (nan_and_zeros,))
    assert "is float64" in runner.differences([nan_and_zeros.astype(np.float64)], (nan_and_zeros,))
