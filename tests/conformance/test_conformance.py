"""StableHLO's own test data, a committed subset: one or two files per op
family (testdata/, Apache-2.0, from openxla/stablehlo at the commit named
in testdata/README.md), each with its recorded outcome in expected.json.

A file recorded as passing must pass; a refused file must be refused with
its recorded reason; a failing file must fail for its recorded cause (fix
it, then record the new outcome). Run the whole data set with

    python -m webtensor.tests.conformance.runner PATH/TO/stablehlo/testdata --iree

The files run in child processes (compiling in the child, not in the
compiler worker, to keep this test fast), two at a time.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from webtensor.tests.conformance import program, runner

HERE = Path(__file__).resolve().parent
DATA = HERE / "testdata"
EXPECTED = json.loads((HERE / "expected.json").read_text())


@pytest.fixture(scope="module")
def records() -> dict:
    files = [str(DATA / name) for name in sorted(EXPECTED)]
    return {r["file"]: r for r in runner.run(files, ["webtensor"], jobs=2, timeout=300, isolate=False)}


def test_the_subset_is_the_committed_data():
    assert sorted(EXPECTED) == sorted(p.name for p in DATA.glob("*.mlir"))
    assert (DATA / "LICENSE").exists()


@pytest.mark.slow
@pytest.mark.parametrize("outcome", runner.OUTCOMES)
def test_each_file_has_its_recorded_outcome(records, outcome):
    wrong = []
    for name, want in sorted(EXPECTED.items()):
        if want["outcome"] != outcome:
            continue
        got = records.get(name, {"outcome": "missing", "cause": "", "detail": ""})
        if (got["outcome"], got["cause"]) != (want["outcome"], want["cause"]):
            wrong.append(f"{name}: {got['outcome']} ({got['cause']}: {got['detail']}), recorded {want['outcome']} ({want['cause']})")
    assert not wrong, "\n".join(wrong)


def test_a_file_becomes_a_program_its_inputs_and_checks():
    case = program.load(str(DATA / "add_any_complex64_2_complex64_2.mlir"))
    assert case.family == "add_any"
    assert "custom_call" not in case.program and "@inputs" not in case.program
    assert "func.func public @main(%arg0: tensor<2xcomplex<f32>>, %arg1: tensor<2xcomplex<f32>>)" in case.program
    assert [x.dtype for x in case.inputs] == [np.complex64, np.complex64]
    assert [c.kind for c in case.checks] == ["check.expect_close"]
    np.testing.assert_allclose(case.checks[0].expected, case.inputs[0] + case.inputs[1], rtol=1e-6)


@pytest.mark.parametrize(
    "body, element, shape, want",
    [
        ('"0x0100803F"', "f16", [2], np.array([0x0001, 0x3F80], np.uint16).view(np.float16)),
        ("[true, false]", "i1", [2], np.array([True, False])),
        ('"0x0100"', "i1", [2], np.array([True, False])),
        ("[[1, -2], [255, 0]]", "ui8", [2, 2], np.array([[1, 254], [255, 0]], np.uint8)),
        ("0x7FC00000", "f32", [3], np.full(3, np.nan, np.float32)),
        ("[(1.5,-2.0), (0x7F800000,0.0)]", "complex<f32>", [2], np.array([1.5 - 2j, complex(np.inf, 0)], np.complex64)),
        ("-1.000000e+00", "bf16", [], np.array(-1, program.DTYPES["bf16"])),
    ],
)
def test_dense_literals(body, element, shape, want):
    got = program.parse_dense(body, element, shape)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.reshape(-1).view(np.uint8), want.reshape(-1).view(np.uint8))


def test_checks_follow_the_interpreter():
    f32 = np.float32
    one = np.array([1.0], f32)
    next_up = np.nextafter(one, f32(2))
    assert program.compare("check.expect_close", next_up, one) is None
    four_up = one.view(np.uint32) + 4
    assert "1 of 1" in program.compare("check.expect_close", four_up.view(f32), one)
    assert program.compare("check.expect_close", np.array([np.nan], f32), np.array([-np.nan], f32)) is None
    assert program.compare("check.expect_close", np.array([np.inf], f32), np.array([3e38], f32)) is not None
    assert program.compare("check.expect_close", np.array([-0.0], f32), np.array([0.0], f32)) is None
    assert program.compare("check.expect_almost_eq", np.array([1.0009], f32), one) is None
    assert program.compare("check.expect_almost_eq", np.array([1.002], f32), one) is not None
    assert program.compare("check.expect_eq", np.array([np.nan], f32), np.array([np.nan], f32)) is not None
    assert program.compare("check.expect_eq", np.array([3], np.int8), np.array([3], np.int16)) is not None
