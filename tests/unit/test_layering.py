"""The runtime never needs the compiler: a host that ships artifacts installs
iree-base-runtime and numpy, nothing else. Within the compiler, imports walk
one way: no module is in an import cycle, and the frontends, which own the
input's bytes, never import the gate that checks them."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np

import webtensor
from webtensor.tests.runtime_only import run_without_compiler

PACKAGE_DIR = Path(webtensor.__file__).parent
RUNTIME_DIR = PACKAGE_DIR / "runtime"
COMPILER_DIR = PACKAGE_DIR / "compiler"
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


def test_the_compile_worker_starts_without_the_runtimes_iree_or_jax():
    # A compile worker's zygote imports what a compile needs and no more:
    # iree.runtime brings ml_dtypes (0.5 to 4 s to import), once per
    # webtensor-compile and per process that compiles.
    result = subprocess.run(
        [sys.executable, "-c", "import sys\nimport webtensor.compiler.worker_main as w\nw.preload()\n"
         "print(sorted(m for m in ('ml_dtypes', 'iree.runtime', 'jax') if m in sys.modules))"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_webtensor_compile_writes_an_artifact_without_the_runtimes_iree(tmp_path):
    # It writes bytes; loading them is the runtime's job (and a second
    # ml_dtypes import per compile). 2.2 s for a small module before, 1.0 s after.
    source = tmp_path / "add.mlir"
    source.write_text("func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {\n"
                      "  %0 = stablehlo.add %x, %x : tensor<3xf32>\n  return %0 : tensor<3xf32>\n}\n")
    code = (
        "import sys\nfrom webtensor.tools.compile import main\n"
        f"assert main([{str(source)!r}, '-o', {str(tmp_path / 'add.vmfb')!r}]) == 0\n"
        "print(sorted(m for m in ('ml_dtypes', 'iree.runtime', 'jax') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert np.asarray(webtensor.load(tmp_path / "add.vmfb")(np.ones(3, np.float32))).tolist() == [2.0, 2.0, 2.0]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path):
    """Every module `path` imports, at any depth of its code: a function's
    lazy import closes a cycle as surely as a top-level one."""
    name = _module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name.removeprefix("webtensor.") for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = (node.module or "").removeprefix("webtensor.")
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)  # `from . import gate` is a module


def _import_graph(folder: Path) -> dict[str, set[str]]:
    """Which modules under `folder` each module under it imports."""
    paths = {_module_name(path): path for path in folder.rglob("*.py")}
    known = set(paths)
    graph = {}
    for name, path in paths.items():
        # A package's __init__ runs before any module in it, so an import of
        # an enclosing package is never the second half of a cycle.
        graph[name] = {
            imported for imported in _imported_modules(path)
            if imported in known and imported != name and not name.startswith(imported + ".")
        }
    return graph


def _cycle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A chain of imports from `start` back to itself, or None."""
    stack, seen = [(start, [start])], set()
    while stack:
        module, chain = stack.pop()
        for imported in sorted(graph[module]):
            if imported == start:
                return chain + [start]
            if imported not in seen:
                seen.add(imported)
                stack.append((imported, chain + [imported]))
    return None


def _assert_no_cycle(graph: dict[str, set[str]]) -> None:
    for module in sorted(graph):
        cycle = _cycle_through(graph, module)
        assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_compiler_module_is_in_an_import_cycle():
    graph = _import_graph(COMPILER_DIR)
    assert {"compiler.options", "compiler.worker", "compiler.gate", "compiler.frontends.bytecode"} <= set(graph)
    _assert_no_cycle(graph)


def test_no_runtime_module_is_in_an_import_cycle():
    graph = _import_graph(RUNTIME_DIR)
    # The modules of the two cycles this test was written against.
    assert {"runtime.model", "runtime.call_process", "runtime.package", "runtime.weights"} <= set(graph)
    _assert_no_cycle(graph)


def test_options_import_neither_the_worker_nor_the_gate():
    graph = _import_graph(COMPILER_DIR)
    assert not graph["compiler.options"] & {"compiler.worker", "compiler.gate", "compiler.api"}
    assert "compiler.options" in graph["compiler.worker"] and "compiler.options" in graph["compiler.gate"]


def test_the_gate_reads_bytes_through_the_frontend_never_the_reverse():
    graph = _import_graph(COMPILER_DIR)
    frontends = [name for name in graph if name.startswith("compiler.frontends")]
    for name in frontends:
        assert "compiler.gate" not in graph[name], f"{name} imports the gate"
    assert "compiler.frontends.bytecode" in graph["compiler.gate"]


# Each folder's modules may import the folders after it, never those before:
# tools -> compiler -> passes -> dialects. (runtime/ is held to iree and numpy
# above; the compiler and the tools may import it.)
LAYERS = ("tools", "compiler", "passes", "dialects")


def test_imports_go_one_way_tools_compiler_passes_dialects():
    modules = {_module_name(path): path for folder in LAYERS for path in (PACKAGE_DIR / folder).rglob("*.py")}
    assert {"tools.compile", "compiler.phases", "passes.pipeline", "dialects.attributes"} <= set(modules)
    layer = lambda module: LAYERS.index(module.split(".")[0])  # noqa: E731
    upward = sorted(
        f"{module} imports {imported}"
        for module, path in modules.items()
        for imported in set(_imported_modules(path)) & set(modules)
        if layer(imported) < layer(module)
    )
    assert not upward, "imports against the layering:\n" + "\n".join(upward)
