"""The suite runs from a checkout whatever its folder is called: a GitHub zip
unpacks to `webtensor-main`, which is no Python identifier."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import webtensor

ROOT = Path(webtensor.__file__).parent


def test_the_tests_run_in_a_checkout_whose_folder_name_is_no_identifier(tmp_path):
    checkout = tmp_path / "webtensor-main"
    shutil.copytree(ROOT, checkout, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build", "Output", "node_modules"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit/test_layering.py", "-k", "one_way"],
        cwd=checkout, capture_output=True, text=True, timeout=600, env=env,
    )
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert "1 passed" in ran.stdout
