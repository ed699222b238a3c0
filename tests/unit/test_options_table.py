"""Every compile setting is declared once, in compiler/options.py's OPTIONS:
webtensor-compile's flags, the reproducer command a compile error names, and
the profile limits' parsing all agree with it."""

import dataclasses

import pytest

from webtensor.compiler import options
from webtensor.compiler.options import OPTIONS, CompileOptions, InputLimits, IsolationLimits
from webtensor.dialects.profile import BadLimitValue, Limits, UnknownLimit
from webtensor.passes.base import PassOptionError
from webtensor.passes.verify_profile import VerifyProfile
from webtensor.tools import compile as compile_tool

EVERY_SETTING_CHANGED = CompileOptions(
    target="cuda",
    target_cpu="generic",
    cuda_arch="sm_86",
    vulkan_target="ampere",
    sandbox=False,
    tuning=False,
    iree_flags=("--iree-opt-level=O2", "--mlir-timing"),
    limits=Limits(max_rank=4, max_ops=0x400, dynamic_dim_bound=64),
    isolation_limits=IsolationLimits(memory_bytes=1536 << 20, cpu_seconds=7, wall_seconds=2.5),
    input_limits=InputLimits(max_bytes=1000, max_depth=9),
)


def _leaf_fields(cls, prefix=""):
    for field in dataclasses.fields(cls):
        if field.name in ("isolation_limits", "input_limits"):
            yield from _leaf_fields(type(field.default), f"{field.name}.")
        else:
            yield prefix + field.name


def _parse(flags):
    return options.from_arguments(compile_tool.build_parser().parse_args(["model.mlir", *flags]))


def test_every_setting_has_exactly_one_entry():
    assert sorted(option.field for option in OPTIONS) == sorted(_leaf_fields(CompileOptions))
    assert len({option.flag for option in OPTIONS}) == len(OPTIONS)


def test_every_entry_is_a_flag_of_webtensor_compile():
    flags = {flag: action for action in compile_tool.build_parser()._actions for flag in action.option_strings}
    for option in OPTIONS:
        action = flags[option.flag]
        assert action.dest == option.dest
        assert action.default is None  # so that a flag not given keeps the dataclass's default


def test_help_shows_the_dataclass_defaults():
    text = " ".join(compile_tool.build_parser().format_help().split())
    shown = ("(default llvm-cpu)", "(default sm_80)", "'host' (default)", "wall time [300]",
             "CPU time of all threads [1200]", "e.g. 8G [8G]", "e.g. 1G [1G]", "MLIR text [256]")
    for words in shown:
        assert words in text


@pytest.mark.parametrize(
    "compile_options",
    [
        CompileOptions(),
        EVERY_SETTING_CHANGED,
        dataclasses.replace(EVERY_SETTING_CHANGED, isolate=False, isolation_limits=IsolationLimits()),
        CompileOptions(limits=Limits(dynamic_dim_bound=None, max_sort_size=3), input_limits=InputLimits(max_bytes=3 << 30)),
    ],
    ids=["defaults", "every-setting", "not-isolated", "limits"],
)
def test_the_reproducer_command_line_asks_for_the_same_options(compile_options):
    assert _parse(options.command_line(compile_options)) == compile_options


def test_the_reproducer_names_only_what_differs_and_the_target():
    assert options.command_line(CompileOptions()) == ["--target=llvm-cpu"]
    flags = options.command_line(EVERY_SETTING_CHANGED)
    assert "--memory-limit=1536M" in flags and "--time-limit=2.5" in flags and "--limit=max_ops=1024" in flags
    assert "--limit=max_rank=4" in flags and not any(flag.startswith("--limit=max_call_depth") for flag in flags)
    # Without a worker its limits do not apply, so the command leaves them out.
    not_isolated = dataclasses.replace(EVERY_SETTING_CHANGED, isolate=False)
    assert "--no-isolate" in options.command_line(not_isolated)
    assert not any(flag.startswith(("--time-limit", "--cpu-limit", "--memory-limit")) for flag in options.command_line(not_isolated))


def test_flags_not_given_keep_the_defaults():
    assert _parse([]) == CompileOptions()
    assert _parse(["--time-limit=5", "--max-nesting-depth=10"]) == CompileOptions(
        isolation_limits=IsolationLimits(wall_seconds=5), input_limits=InputLimits(max_depth=10)
    )


def test_limits_parse_and_spell_alike():
    limits = Limits.parse({"max_rank": "4", "max_ops": "0x10", "dynamic_dim_bound": "none"})
    assert limits == Limits(max_rank=4, max_ops=16)
    assert Limits(max_rank=4, dynamic_dim_bound=8).settings() == {"max_rank": "4", "dynamic_dim_bound": "8"}
    assert Limits.parse(Limits(max_rank=2, dynamic_dim_bound=8).settings()) == Limits(max_rank=2, dynamic_dim_bound=8)
    with pytest.raises(UnknownLimit) as info:
        Limits.parse({"max_bogus": "1"})
    assert info.value.names == tuple(sorted(f.name for f in dataclasses.fields(Limits)))
    with pytest.raises(BadLimitValue, match="limit max_rank: 'four' is not an integer"):
        Limits.parse({"max_rank": "four"})
    # Only a limit that may be absent takes "none": a None max_rank would
    # reach the verifier's comparisons as a crash.
    with pytest.raises(BadLimitValue, match="limit max_rank: 'none' is not an integer"):
        Limits.parse({"max_rank": "none"})


NAMES = ", ".join(sorted(f.name for f in dataclasses.fields(Limits)))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--limit=max_bogus=1"], f"--limit takes NAME=VALUE with NAME one of: {NAMES}"),
        (["--limit=max_rank"], f"--limit takes NAME=VALUE with NAME one of: {NAMES}"),
        (["--limit=max_rank=four"], "--limit max_rank: 'four' is not an integer"),
        (["--print-profile", "--limit=max_bogus=1"], f"--limit takes NAME=VALUE with NAME one of: {NAMES}"),
        (["--time-limit=-1"], "IsolationLimits.wall_seconds must be positive, got -1.0"),
        (["--max-nesting-depth=0"], "InputLimits.max_depth must be a positive integer, got 0"),
        (["--target=tpu"], "unknown target 'tpu'; valid values: llvm-cpu, vulkan-spirv, cuda, wasm32"),
    ],
)
def test_bad_settings_are_one_line_errors(argv, message, tmp_path, capsys):
    model = tmp_path / "model.mlir"
    model.write_text("func.func @main() {\n  return\n}\n")
    assert compile_tool.main([str(model), "--compile-to=input", *argv]) == 1
    assert capsys.readouterr().err == f"webtensor-compile: error: {message}\n"


def test_the_profile_pass_reads_limits_with_the_same_parser():
    assert VerifyProfile.from_options({"max_rank": "4", "dynamic_dim_bound": "0x40"}).limits == Limits(max_rank=4, dynamic_dim_bound=64)
    assert VerifyProfile(Limits(max_rank=4)).spelling() == "webtensor-verify-profile{max_rank=4}"
    assert VerifyProfile().spelling() == "webtensor-verify-profile"
    with pytest.raises(PassOptionError, match=rf"pass 'webtensor-verify-profile' has no option 'max_bogus' \(options: {NAMES}\)"):
        VerifyProfile.from_options({"max_bogus": "1"})
    with pytest.raises(PassOptionError, match="pass 'webtensor-verify-profile': option 'max_rank' expects an integer, got 'four'"):
        VerifyProfile.from_options({"max_rank": "four"})


def test_limit_errors_name_the_flag_from_the_table():
    assert options.how_to_raise("isolation_limits.wall_seconds") == "raise IsolationLimits.wall_seconds (--time-limit)"
    assert options.how_to_raise("input_limits.max_bytes") == "raise InputLimits.max_bytes (--max-input-bytes)"
