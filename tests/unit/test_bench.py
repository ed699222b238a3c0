"""webtensor-bench end to end on one small model: it compiles every variant,
times them in turns and writes its table, JSON and Markdown. Timings are
only reported, never asserted (the machines are shared and noisy)."""

import json

import pytest

from webtensor.bench import suite


def test_the_benchmark_writes_every_variant_of_a_model(tmp_path, capsys):
    assert suite.main(["--model", "test_cnn", "--seconds", "0", "--no-iree", "--out", str(tmp_path)]) == 0
    (result,) = json.loads((tmp_path / "results.json").read_text())
    assert result["model"] == "test_cnn"
    assert {"bound", "bound-device", "full", "constants", "unsandboxed", "xla"} <= set(result["timings"])
    assert "iree" not in result["timings"]
    # No ONNX version of this model: left out with a note, never timed.
    assert "onnxruntime" not in result["timings"]
    assert any(note.startswith("onnxruntime:") for note in result["notes"])
    assert set(result["compile_seconds"]) == {"webtensor", "xla"}
    assert result["artifact_bytes"] > 0
    printed = capsys.readouterr().out
    assert "| test_cnn |" in printed and "Geometric mean, WebTensor (bound weights) vs the best peer" in printed
    assert "| test_cnn |" in (tmp_path / "results.md").read_text()


def test_an_unwritable_output_directory_is_one_line_before_any_timing(capsys):
    with pytest.raises(SystemExit) as exit_info:
        suite.main(["--model", "test_cnn", "--out", "/proc/no-such-dir"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err == "webtensor-bench: error: cannot write results to /proc/no-such-dir: No such file or directory\n"
