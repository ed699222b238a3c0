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
    # ONNX Runtime times jax2onnx's export of the model where the bench extra
    # is installed; where it is not, the peer is left out with a note, never timed.
    ort_notes = [note for note in result["notes"] if note.startswith("onnxruntime:")]
    assert ("onnxruntime" in result["timings"]) == (ort_notes == []), result["notes"]
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


def test_the_real_zoo_times_a_tiny_transformers_model_against_xla(tmp_path, capsys):
    # The optional `zoo` extra; skipped where it is not installed.
    pytest.importorskip("transformers")
    pytest.importorskip("flax")
    assert suite.main(["--model", "bert_tiny", "--seconds", "0", "--out", str(tmp_path)]) == 0
    (result,) = json.loads((tmp_path / "results.json").read_text())
    assert result["kind"] == "real"
    assert set(result["timings"]) == {"bound", "bound-device", "xla"}
    assert set(result["compile_seconds"]) == {"webtensor", "xla"}
    assert result["weight_bytes"] > 0 and result["worker_peak_rss_mb"] > 0
    (note,) = result["notes"]
    assert note.startswith("max relative error against jax.jit: ")
    assert float(note.rsplit(" ", 1)[1]) < 1e-4
    assert "| bert_tiny |" in capsys.readouterr().out


def test_a_real_model_without_its_library_is_one_line(monkeypatch, tmp_path, capsys):
    def missing(*args):
        raise ModuleNotFoundError("No module named 'transformers'", name="transformers")

    monkeypatch.setattr(suite, "measure_isolated", missing)
    with pytest.raises(SystemExit) as exit_info:
        suite.main(["--model", "bert_tiny", "--out", str(tmp_path)])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.endswith(
        "webtensor-bench: error: bert_tiny needs the zoo extra (pip install -e '.[zoo]'): No module named 'transformers'\n"
    )
