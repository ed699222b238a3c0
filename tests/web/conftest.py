"""Node for the web tests: a test that needs it skips where it is absent,
unless WEBTENSOR_REQUIRE_NODE=1 (set by CI), which turns absence into a failure.
And the MLP with bound weights that the weights tests share, compiled for
wasm32 once per test file."""

import os

import numpy as np
import pytest

from webtensor.bench.models import mlp, mlp_params
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions
from webtensor.web.node import NO_NODE, find_node

REQUIRE_NODE = "WEBTENSOR_REQUIRE_NODE"


@pytest.fixture
def node():
    """The node binary; skips (or, in CI, fails) the test without one."""
    binary = find_node()
    if binary:
        return binary
    if os.environ.get(REQUIRE_NODE) == "1":
        pytest.fail(f"{NO_NODE}; {REQUIRE_NODE}=1 requires it", pytrace=False)
    pytest.skip(NO_NODE)


@pytest.fixture(scope="module")
def params():
    return mlp_params(np.random.default_rng(16), (16, 32, 32, 4))


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(17).standard_normal((3, 16)).astype(np.float32)


@pytest.fixture(scope="module")
def named(params):
    return {f"params['{k}']": v for k, v in params.items()}


@pytest.fixture(scope="module")
def artifact(params, x, tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "mlp.vmfb"
    path.write_bytes(compile_artifact(import_source(mlp, (params, x), weights_argnums=0), CompileOptions(target="wasm32")))
    return path
