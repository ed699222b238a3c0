"""The hostile-module suite under pytest: one test per family of cases.

Every selected family runs once, through the runner (child processes with a
wall-time limit per case, several at once), when the first of these tests
needs it; each test then asserts that its family had no crash, no hang, no
wrong value and no other outcome than the defined one, and names the cases
that did. tests/hostile/Output/summary.json gets the counts.

The runner's own tests run modules without the sandbox, which crash or hang
the process that runs them, to show that such a case is caught and pinned on
the right case; the same modules sandboxed are defined.
"""

from __future__ import annotations

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
    families = sorted({
        item.callspec.params["family"]
        for item in request.session.items
        if Path(str(item.path)).resolve() == HERE and "family" in getattr(getattr(item, "callspec", None), "params", {})
    })
    selected = cases.all_cases(families)
    start = time.monotonic()
    records = runner.run(selected)
    summary = runner.write_summary(records, selected, time.monotonic() - start)
    print("\n" + runner.table(summary))
    return {r.name: r for r in records}


@pytest.mark.parametrize("family", list(cases.FAMILIES))
def test_family(family, results):
    records = [r for r in results.values() if r.family == family]
    assert records, f"the family {family} has no cases"
    failures = [r for r in records if not r.passed]
    assert not failures, f"{len(failures)} of {len(records)} {family} cases failed:\n" + "\n".join(
        f"  {r.outcome}: {r.name}: {r.detail}" for r in failures
    )


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
