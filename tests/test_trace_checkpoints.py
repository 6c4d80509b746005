"""``xlfact trace`` end to end, offline: checkpoints of a tiny model trained on the fixture facts, traced with lm-eval;
accuracy on the trained facts must rise along the trajectory; finished checkpoints are skipped on re-run."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from xlfact.analysis.tracing.trace import first_learned, plan_checkpoints
from xlfact.cli import main as xlfact
from xlfact.training.tiny_models import build_tiny_llama

pytestmark = pytest.mark.slow
STEPS = (0, 100, 250)


def train_checkpoints(root: Path, data_dir: Path) -> list[Path]:
    """Train a tiny Llama on "Question: q\\nAnswer: a" for every fixture fact (plain torch), saving at STEPS."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    rows = [json.loads(x) for f in sorted(data_dir.glob("*/test.jsonl")) for x in f.read_text().splitlines()]
    texts = [f"Question: {r['question']}\nAnswer: {r['answer_text']}" for r in rows]
    base = build_tiny_llama(root / "base", texts + [r[f"option_{c}"] for r in rows for c in "abcd"], seed=0)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base)
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    saved = []
    for step in range(STEPS[-1] + 1):
        if step in STEPS:
            folder = root / "run" / f"checkpoint-{step}"
            model.save_pretrained(folder)
            tokenizer.save_pretrained(folder)
            saved.append(folder)
        loss = model(**batch, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return saved


@pytest.fixture(scope="module")
def traced(tmp_path_factory, polyfact_fixture_dir):
    root = tmp_path_factory.mktemp("trace")
    checkpoints = train_checkpoints(root, polyfact_fixture_dir)
    argv = ["trace", "--checkpoints", *map(str, checkpoints), "--model_args", "dtype=float32",
            "--tasks", "polyfact_en,polyfact_de,polyfact_ru", "--output_path", str(root / "out"),
            "--metadata", json.dumps({"data_dir": str(polyfact_fixture_dir)}), "--batch_size", "16",
            "--device", "cpu", "--bootstrap", "50"]
    assert xlfact(argv) == 0
    return {"root": root, "out": root / "out", "argv": argv, "checkpoints": checkpoints}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_accuracy_rises_along_the_trajectory(traced):
    rows = read_csv(traced["out"] / "trace.csv")
    assert set(rows[0]) == {"checkpoint", "step", "benchmark", "task", "language", "metric", "value", "ci_low",
                            "ci_high", "n"}
    macro = {float(r["step"]): float(r["value"]) for r in rows if r["metric"] == "accuracy" and r["language"] == "all"}
    assert sorted(macro) == [float(s) for s in STEPS]
    values = [macro[float(s)] for s in STEPS]
    assert values == sorted(values) and values[-1] - values[0] >= 0.4, values
    assert values[-1] >= 0.9
    per_lang = [r for r in rows if r["metric"] == "accuracy" and r["language"] in ("en", "de", "ru")]
    assert len(per_lang) == 3 * len(STEPS) and {r["task"] for r in per_lang} == {"polyfact_en", "polyfact_de",
                                                                                   "polyfact_ru"}
    assert all(float(r["ci_low"]) <= float(r["value"]) <= float(r["ci_high"]) for r in per_lang)
    assert {r["metric"] for r in rows} >= {"total_consistency", "en_co", "rankc"}


def test_first_learned_and_plots(traced):
    learned = read_csv(traced["out"] / "first_learned.csv")
    facts = [r for r in learned if r["language"] != "all"]
    assert len(facts) == 6 * 3
    for r in facts:
        if r["correct_at_end"] == "True":
            assert r["learned_at"].startswith("checkpoint-") and r["first_correct"]
        else:
            assert r["learned_at"] == ""
    assert sum(r["correct_at_end"] == "True" for r in facts) >= 16
    for name in ("trace_polyfact.png",):
        assert (traced["out"] / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((traced["out"] / "trace.json").read_text())
    assert [c["label"] for c in summary["checkpoints"]] == [f"checkpoint-{s}" for s in STEPS]


def test_rerun_skips_finished_checkpoints(traced, capsys, monkeypatch):
    import xlfact.tasks.evaluate as evaluate

    def must_not_run(*args, **kwargs):
        raise AssertionError("a finished checkpoint was evaluated again")

    monkeypatch.setattr(evaluate, "evaluate_to_folder", must_not_run)
    before = (traced["out"] / "trace.csv").read_text()
    assert xlfact(traced["argv"]) == 0
    assert capsys.readouterr().err.count("finished earlier, skipped") == len(STEPS)
    assert (traced["out"] / "trace.csv").read_text().splitlines()[1:] == before.splitlines()[1:]
    changed = [a if a != "polyfact_en,polyfact_de,polyfact_ru" else "polyfact_en" for a in traced["argv"]]
    assert xlfact(changed) == 2
    assert "traced with other settings" in capsys.readouterr().err


def test_first_learned_rule():
    rows = first_learned(["a", "b", "c"], [{("x", "1", "en"): False, ("x", "2", "en"): True},
                                           {("x", "1", "en"): True, ("x", "2", "en"): False},
                                           {("x", "1", "en"): True, ("x", "2", "en"): True}])
    assert rows == [["x", "1", "en", "b", "b", True, 2], ["x", "2", "en", "a", "c", True, 2]]


def test_plan_names_hub_revisions_and_local_folders(tmp_path):
    planned = plan_checkpoints("pretrained=allenai/OLMo-2-0425-1B,dtype=bfloat16", ["stage1-step1000", "step2000"],
                               [])
    assert [(c.label, c.step, c.model_args["revision"]) for c in planned] == [
        ("stage1-step1000", 1000.0, "stage1-step1000"), ("step2000", 2000.0, "step2000")]
    assert planned[0].model_args["pretrained"] == "allenai/OLMo-2-0425-1B"
    with pytest.raises(ValueError, match="pretrained"):
        plan_checkpoints("dtype=float32", ["step1"], [])
    with pytest.raises(FileNotFoundError, match="checkpoint folder not found"):
        plan_checkpoints("", [], [str(tmp_path / "missing")])
