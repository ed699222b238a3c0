"""The pass registry and pipeline parsing."""

import dataclasses
from pathlib import Path

import pytest

from webtensor import passes
from webtensor.compiler.session import CompilerSession
from webtensor.passes.base import ModulePass
from webtensor.passes.pipeline import PipelineError, build, parse_options, split_top_level

LIT_PASSES = Path(__file__).parents[1] / "lit" / "passes"
PASSES_DIR = Path(passes.__file__).parent


@pytest.mark.parametrize("name", sorted(passes.PASSES))
def test_registry_key_is_the_pass_name(name):
    assert passes.PASSES[name].name == name


@pytest.mark.parametrize("name", sorted(passes.PASSES))
def test_each_pass_has_its_own_module_and_lit_file(name):
    stem = name.removeprefix("webtensor-")
    cls = passes.PASSES[name]
    assert cls.__module__ == f"webtensor.passes.{stem.replace('-', '_')}"
    assert (PASSES_DIR / f"{stem.replace('-', '_')}.py").exists()
    assert (LIT_PASSES / f"{stem}.mlir").exists(), f"no lit test for {name}"


@pytest.mark.parametrize("name", sorted(passes.PASSES))
def test_passes_are_frozen_dataclasses_with_a_summary(name):
    cls = passes.PASSES[name]
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    assert cls.summary


def test_split_top_level_keeps_nested_commas():
    assert split_top_level("a,b{x=1 y=2},func.func(c,d),e") == ["a", "b{x=1 y=2}", "func.func(c,d)", "e"]


def test_split_rejects_unbalanced():
    with pytest.raises(PipelineError, match="unbalanced"):
        split_top_level("a)")


def test_parse_options():
    assert parse_options("p", "{a=1 b=true}") == {"a": "1", "b": "true"}
    with pytest.raises(PipelineError, match="write key=value"):
        parse_options("p", "{a}")


@dataclasses.dataclass(frozen=True)
class _Typed(ModulePass):
    name = "webtensor-test-typed"
    summary = "test"
    count: int = 3
    enabled: bool = False
    label: str = "x"

    def run(self, module, report):
        pass


def test_options_are_typed():
    p = _Typed.from_options({"count": "7", "enabled": "true", "label": "y"})
    assert (p.count, p.enabled, p.label) == (7, True, "y")
    assert p.spelling() == "webtensor-test-typed{count=7 enabled=true label=y}"
    assert _Typed().spelling() == "webtensor-test-typed"


@pytest.mark.parametrize(
    "options, message",
    [
        ({"count": "many"}, "option 'count' expects a int, got 'many'"),
        ({"enabled": "yes"}, "option 'enabled' expects a bool, got 'yes'"),
        ({"colour": "red"}, "has no option 'colour' (options: count, enabled, label)"),
    ],
)
def test_bad_options_are_rejected(options, message):
    with pytest.raises(ValueError) as info:
        _Typed.from_options(options)
    assert message in str(info.value)


def test_unknown_pass_is_rejected_before_anything_runs():
    session = CompilerSession()
    registry = {**passes.PASSES, _Typed.name: _Typed}
    with pytest.raises(PipelineError, match="unknown pass 'webtensor-test-typd'; did you mean 'webtensor-test-typed'"):
        build("webtensor-test-typed,webtensor-test-typd", registry, session.context)


def test_mixed_pipeline_runs_in_order():
    session = CompilerSession()
    seen = []

    @dataclasses.dataclass(frozen=True)
    class Record(ModulePass):
        name = "webtensor-test-record"
        summary = "test"
        tag: str = ""

        def run(self, module, report):
            seen.append((self.tag, sum(1 for _ in module.regions[0].blocks[0].operations)))

    from webtensor.compiler.frontends.stablehlo_file import load_text

    module = session.parse(load_text("func.func private @unused() { return }\nfunc.func @main() { return }"))
    pm, names = build(
        "webtensor-test-record{tag=before},symbol-dce,webtensor-test-record{tag=after}",
        {Record.name: Record},
        session.context,
    )
    assert names == ["webtensor-test-record", "symbol-dce", "webtensor-test-record"]
    pm.run(module.operation)
    assert seen == [("before", 2), ("after", 1)]
