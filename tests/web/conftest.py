"""Node for the web tests: a test that needs it skips where it is absent,
unless WEBTENSOR_REQUIRE_NODE=1 (set by CI), which turns absence into a failure."""

import os

import pytest

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
