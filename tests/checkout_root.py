"""A pytest plugin (pyproject.toml's addopts: `-p webtensor.tests.checkout_root`).

The checkout's root is the `webtensor` package, and its folder may have any
name (`webtensor-main` from a zip, `checkout`, ...). pytest collects a folder
with an `__init__.py` as a Package and imports that file under the folder's
name: a name that is no identifier fails every test at setup ("attempted
relative import with no known parent package"), and one that is imports the
whole package a second time. The root is collected as a plain folder; the
tests import `webtensor` as installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collect_directory(path: Path, parent: pytest.Collector):
    if path == parent.config.rootpath and (path / "__init__.py").is_file():
        return pytest.Dir.from_parent(parent, path=path)
    return None
