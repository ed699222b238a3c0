"""Runs the lit tests as part of pytest, one pytest item per lit file.

lit runs once, in parallel, over every collected lit file; each item then
reports its own file's result, so `pytest` alone runs the whole suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

LIT_ROOT = Path(__file__).parent / "lit"

# Set by .ci/run: a machine without a vulkan device fails the Vulkan tests
# instead of skipping them, so that CI cannot pass without running them.
REQUIRE_VULKAN = "WEBTENSOR_REQUIRE_VULKAN"
NO_VULKAN = (
    "no vulkan device on this machine: Mesa's software driver gives one "
    "(apt-get install mesa-vulkan-drivers; .ci/run installs it where it runs as root with apt-get)"
)


def device_or_skip(driver: str) -> None:
    """Skips the calling test unless this machine has a `driver` device
    (vulkan, cuda); with WEBTENSOR_REQUIRE_VULKAN=1, a missing vulkan device
    fails it instead."""
    import webtensor

    if any(info.driver == driver for info in webtensor.devices()):
        return
    if driver != "vulkan":
        pytest.skip(f"no {driver} device on this machine")
    if os.environ.get(REQUIRE_VULKAN) == "1":
        pytest.fail(f"{NO_VULKAN}; {REQUIRE_VULKAN}=1 requires one", pytrace=False)
    pytest.skip(NO_VULKAN)


@pytest.fixture(scope="session")
def need_device():
    """`need_device("vulkan")`: skip (or, for vulkan in CI, fail) the test
    unless this machine has such a device."""
    return device_or_skip


def pytest_configure(config):
    # The compile cache of the whole run, lit's tools included, is a
    # temporary directory: tests never read or fill the user's cache.
    config._webtensor_user_cache_dir = os.environ.get("WEBTENSOR_CACHE_DIR")
    config._webtensor_cache_dir = tempfile.mkdtemp(prefix="webtensor-test-cache-")
    os.environ["WEBTENSOR_CACHE_DIR"] = config._webtensor_cache_dir


def pytest_unconfigure(config):
    shutil.rmtree(config._webtensor_cache_dir, ignore_errors=True)
    os.environ.pop("WEBTENSOR_CACHE_DIR", None)
    if config._webtensor_user_cache_dir is not None:
        os.environ["WEBTENSOR_CACHE_DIR"] = config._webtensor_user_cache_dir


@pytest.fixture(autouse=True)
def private_compile_cache(tmp_path_factory, monkeypatch):
    """Each test starts with an empty compile cache of its own, so that no
    test loads an artifact another one compiled (a worker hook that should
    crash the compile would otherwise meet a cache hit)."""
    directory = tmp_path_factory.mktemp("compile-cache")
    monkeypatch.setenv("WEBTENSOR_CACHE_DIR", str(directory))
    return directory


# --- Two or more processes (pytest-xdist, pyproject's addopts) -------------------


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's: unknown without it (-p no:xdist)
def pytest_xdist_make_scheduler(config, log):
    """Sends each test file to one worker process as a whole, so that a
    module-scoped fixture (a compiled model, the hostile runner's results)
    is made once; lit's files are one unit (lit runs once, for all of them),
    and the hostile suite's CPU and GPU runs are one unit each, so that
    they can run side by side. Units go out in collection order, which
    starts the longest (conformance, fuzz, hostile) first."""
    from xdist.scheduler import LoadScopeScheduling

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_unit(nodeid)

    config.option.loadscopereorder = False
    return FileScheduling(config, log)


# Test functions whose parameters share one fixture run that deserves a unit of its own.
OWN_UNITS = tuple(
    f"tests/hostile/test_hostile.py::{name}" for name in ("test_family", "test_family_on_vulkan", "test_family_on_cuda")
)


def worker_unit(nodeid: str) -> str:
    """The unit of work (a file, lit, or a function of OWN_UNITS) `nodeid` belongs to."""
    path, _, name = nodeid.partition("::")
    if path.startswith("tests/lit/"):
        return "tests/lit"
    function = f"{path}::{name.split('[', 1)[0]}"
    if function in OWN_UNITS:
        return function
    return path


def pytest_collect_file(parent, file_path: Path):
    if not is_lit_test(file_path):
        return None
    return LitFile.from_parent(parent, path=file_path)


def is_lit_test(file_path: Path) -> bool:
    """A .mlir file under tests/lit, but the tests' inputs and what lit
    writes under Output/ (a test's %t.mlir is no test of its own: a second
    run collected it)."""
    if file_path.suffix != ".mlir" or LIT_ROOT not in file_path.parents:
        return False
    return not {"Inputs", "Output"} & set(file_path.relative_to(LIT_ROOT).parts)


class LitFile(pytest.File):
    def collect(self):
        yield LitItem.from_parent(self, name=self.path.name)


class LitItem(pytest.Item):
    def runtest(self):
        results = _lit_results(self.session)
        result = results.get(str(self.path))
        if result is None:
            raise LitFailure(f"lit did not report a result for {self.path}")
        if result["code"] not in ("PASS", "XFAIL"):
            raise LitFailure(f"{result['code']}\n{result.get('output', '')}")

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, LitFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"lit: {self.path.relative_to(LIT_ROOT)}"


class LitFailure(Exception):
    pass


def _lit_results(session) -> dict[str, dict]:
    cached = getattr(session, "_webtensor_lit_results", None)
    if cached is not None:
        return cached
    paths = sorted({str(item.path) for item in session.items if isinstance(item, LitItem)})
    output = LIT_ROOT / "Output" / "results.json"
    output.parent.mkdir(exist_ok=True)
    jobs = str(max(1, min(4, os.cpu_count() or 1)))
    run = subprocess.run(
        [sys.executable, "-c", "from lit.main import main; main()", "-q", "-j", jobs, "-o", str(output), *paths],
        cwd=LIT_ROOT,
        capture_output=True,
        text=True,
    )
    results = {}
    if not output.exists():
        raise LitFailure(f"lit did not run:\n{run.stdout}\n{run.stderr}")
    if output.exists():
        for test in json.loads(output.read_text())["tests"]:
            # lit names tests "suite :: relative/path.mlir".
            relative = test["name"].split(" :: ", 1)[1]
            results[str(LIT_ROOT / relative)] = test
        output.unlink()
    session._webtensor_lit_results = results
    return results
