"""The runtime never needs the compiler: a host that ships artifacts installs
iree-base-runtime and numpy, nothing else."""

import ast
from pathlib import Path

import numpy as np

import webtensor
from webtensor.tests.runtime_only import run_without_compiler

RUNTIME_DIR = Path(webtensor.__file__).parent / "runtime"
ALLOWED_TOP_LEVEL = {"iree", "numpy", "ml_dtypes", "__future__"}


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name
        elif isinstance(node, ast.ImportFrom):
            yield node.level, node.module or ""


def test_runtime_imports_only_the_runtime_and_numpy():
    import sys as _sys

    stdlib = _sys.stdlib_module_names
    for path in RUNTIME_DIR.glob("*.py"):
        for level, module in _imports(path):
            top = module.split(".")[0]
            if level == 1:
                continue  # within runtime/
            assert level == 0, f"{path.name} imports from outside runtime/: {'.' * level}{module}"
            assert top in stdlib or top in ALLOWED_TOP_LEVEL, f"{path.name} imports {module}"
            if top == "iree":
                assert module == "iree.runtime" or module.startswith("iree.runtime."), f"{path.name} imports {module}"


def test_loading_and_running_an_artifact_imports_no_compiler(tmp_path):
    model = webtensor.compile("func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {\n"
                              "  %0 = stablehlo.add %x, %x : tensor<3xf32>\n  return %0 : tensor<3xf32>\n}")
    artifact = tmp_path / "double.vmfb"
    model.save(artifact)
    result = run_without_compiler(
        f"""
        import numpy as np
        import webtensor
        model = webtensor.load({str(artifact)!r})
        print(model(np.array([1, 2, 3], np.float32)).tolist())
        assert not any(m.startswith(('jax', 'iree.compiler', 'webtensor.compiler')) for m in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[2.0, 4.0, 6.0]"
