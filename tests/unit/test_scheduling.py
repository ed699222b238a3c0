"""The suite's units of work under pytest-xdist (tests/conftest.py): a
test file goes to one process as a whole, lit's files together, and the
hostile suite's CPU, Vulkan and CUDA runs each on their own."""

from webtensor.tests.conftest import LIT_ROOT, is_lit_test, worker_unit


def test_a_file_is_one_unit():
    assert worker_unit("tests/unit/test_api.py::test_compile[a-b]") == "tests/unit/test_api.py"
    assert worker_unit("tests/unit/test_api.py::TestX::test_y") == "tests/unit/test_api.py"


def test_lit_is_one_unit():
    assert worker_unit("tests/lit/passes/sandbox-gather.mlir::sandbox-gather.mlir") == "tests/lit"
    assert worker_unit("tests/lit/tools/run.mlir::run.mlir") == "tests/lit"


def test_the_hostile_runs_are_units_of_their_own():
    units = {
        worker_unit(f"tests/hostile/test_hostile.py::{test}[{family}]")
        for test in ("test_family", "test_family_on_vulkan", "test_family_on_cuda")
        for family in ("gather", "loops")
    }
    assert units == {
        "tests/hostile/test_hostile.py::test_family",
        "tests/hostile/test_hostile.py::test_family_on_vulkan",
        "tests/hostile/test_hostile.py::test_family_on_cuda",
    }
    assert worker_unit("tests/hostile/test_hostile.py::test_bit_exact_comparison") == "tests/hostile/test_hostile.py"


def test_lit_files_but_not_what_lit_writes_are_tests():
    assert is_lit_test(LIT_ROOT / "passes" / "sandbox-gather.mlir")
    assert not is_lit_test(LIT_ROOT / "Inputs" / "mlp.mlir")
    # A second pytest run found lit's temporary files of the first as tests.
    assert not is_lit_test(LIT_ROOT / "Output" / "tools" / "Output" / "compile-timings.mlir.tmp.mlir")
    assert not is_lit_test(LIT_ROOT / "lit.cfg.py")
