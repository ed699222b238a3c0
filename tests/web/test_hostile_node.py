"""The hostile suite's defined-value cases through the web runtime in Node:
out-of-bounds gather, scatter and dynamic_slice, integer division and
shifts, float-to-int conversion, booleans, loops and budgets give the same
outcome as on the CPU target (tests/hostile/cases.py holds the outcomes).

Every family runs its first SAMPLE modules here (a compile each, about 2 s
on this machine); WEBTENSOR_WEB_HOSTILE_ALL=1 runs all of them (311 cases,
25 minutes here).
"""

import os

import numpy as np
import pytest

import webtensor
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions
from webtensor.runtime.artifact import Artifact
from webtensor.tests.hostile.cases import BUDGET, VALUE, all_cases, call_budget
from webtensor.tests.hostile.runner import differences
from webtensor.web.node import run_in_node

FAMILIES = ("gather", "scatter", "dynamic_slice", "integer", "float_to_int", "boolean", "loops")
SAMPLE = 4


def _cases():
    every = os.environ.get("WEBTENSOR_WEB_HOSTILE_ALL") == "1"
    modules: dict[str, list] = {family: [] for family in FAMILIES}
    for case in all_cases(list(FAMILIES)):
        if case.expect not in (VALUE, BUDGET) or not case.options.get("sandbox", True):
            continue
        if not isinstance(case.source, str) or not all(isinstance(x, (np.ndarray, np.generic)) for x in case.inputs):
            continue
        seen = modules[case.family]
        key = case.compile_key()
        if key not in seen:
            if not every and len(seen) == SAMPLE:
                continue
            seen.append(key)
        yield case


CASES = {case.name: case for case in _cases()}
_artifacts: dict[tuple, bytes] = {}


def _artifact(case) -> bytes:
    key = case.compile_key()
    if key not in _artifacts:
        options = {**case.options, "target": "wasm32"}
        _artifacts[key] = compile_artifact(import_source(case.source), CompileOptions(**options))
    return _artifacts[key]


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_case_in_node(node, name):
    case = CASES[name]
    data = _artifact(case)
    signature = Artifact.from_bytes(data).signatures[case.function]
    inputs = [np.asarray(x) for x in case.inputs]
    fuel = call_budget(case.fuel, signature)
    if case.expect == BUDGET:
        with pytest.raises(webtensor.BudgetExceeded):
            run_in_node(data, inputs, function=case.function, fuel=fuel)
        return
    outputs = run_in_node(data, inputs, function=case.function, fuel=fuel).outputs
    problem = case.check(case.inputs, outputs) if case.check else differences(outputs, case.want)
    assert problem is None, problem
