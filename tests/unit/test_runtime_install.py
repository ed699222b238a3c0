"""`pip install webtensor` is the runtime alone: a fresh virtual environment
gets iree-base-runtime and numpy, loads and runs a saved artifact, and every
door to the compiler says in one line what to install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import webtensor
from webtensor.bench.models import mlp, mlp_params

ROOT = Path(webtensor.__file__).parent
ADD = "func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {\n  %0 = stablehlo.add %x, %x : tensor<3xf32>\n  return %0 : tensor<3xf32>\n}\n"
COMPILER_MESSAGE = "needs the compiler, and iree.compiler is not installed (a runtime-only install): pip install 'webtensor[compiler]'"

RUN = textwrap.dedent(
    """
    import importlib.util, sys
    import numpy as np
    import webtensor

    model = webtensor.load(sys.argv[1], weights=sys.argv[3])
    print(np.asarray(model(np.load(sys.argv[2]))).tobytes().hex())
    print([name for name in ("jax", "jaxlib", "iree.compiler") if importlib.util.find_spec(name.split(".")[0]) and importlib.util.find_spec(name)])
    print(importlib.util.find_spec("webtensor.tests"))
    try:
        webtensor.compile
    except webtensor.MissingExtra as e:
        print(type(e).__name__, e)
    """
)


def _copy_of_the_repository(to: Path) -> Path:
    """The sources a user's clone has: no virtualenv, no build outputs, and
    a folder name of its own (the package is `webtensor` whatever the
    checkout's folder is called)."""
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build", "Output", "bench-results")
    return Path(shutil.copytree(ROOT, to / "a-checkout", ignore=ignore))


@pytest.mark.slow
def test_a_runtime_only_install_runs_artifacts_and_names_the_compiler_extra(tmp_path):
    params = mlp_params(np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((4, 64)).astype(np.float32)
    model = webtensor.compile(mlp, params, x, weights_argnums=0)
    model.save(tmp_path / "mlp.vmfb")
    named = {f"params['{key}']": value for key, value in params.items()}
    webtensor.save_weights(tmp_path / "mlp.safetensors", named)
    np.save(tmp_path / "x.npy", x)
    want = np.asarray(model(x)).tobytes().hex()

    source = _copy_of_the_repository(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python, bin_dir = venv / "bin" / "python", venv / "bin"
    # Nothing of this process's environment may put another webtensor on the path.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(source)], capture_output=True, text=True, timeout=900, env=env
    )
    assert install.returncode == 0, install.stderr[-3000:]

    ran = subprocess.run(
        [str(python), "-c", RUN, *(str(tmp_path / name) for name in ("mlp.vmfb", "x.npy", "mlp.safetensors"))],
        capture_output=True, text=True, timeout=300, cwd=venv, env=env,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    got, present, tests, refusal = ran.stdout.strip().splitlines()
    assert got == want  # the same bits as in the full install
    assert present == "[]"  # no jax, no jaxlib, no IREE compiler
    assert tests == "None"  # the tests stay in the checkout
    assert refusal == f"MissingExtra webtensor.compile {COMPILER_MESSAGE}"

    compile_tool = subprocess.run([str(bin_dir / "webtensor-compile"), "model.mlir"], capture_output=True, text=True, env=env)
    assert compile_tool.returncode == 1
    assert compile_tool.stderr.strip() == f"webtensor-compile: error: webtensor-compile {COMPILER_MESSAGE}"

    # A package runs on the web after a compile for wasm32: here, one line saying what to install.
    webtensor.export(ADD).save(tmp_path / "add.wtpkg")
    web_tool = subprocess.run(
        [str(bin_dir / "webtensor-run"), str(tmp_path / "add.wtpkg"), "--device=node", "--input=3xf32=1,2,3"],
        capture_output=True, text=True, env=env,
    )
    assert web_tool.returncode == 1
    assert web_tool.stderr.strip() == (
        f"webtensor-run: error: running a package (.wtpkg) on --device=node, which is compiled for wasm32 first, {COMPILER_MESSAGE}"
    )
