"""KLAR-CLC end to end on the real data: a tiny offline Llama through lm-eval's hf backend, in-process (klar_all with a
small limit) and through ``xlfact eval`` + ``xlfact report``; samples are logged with records, the requests are the
authors' prompts, and the in-run figures equal the shared metric code over the logged records."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xlfact.evaluators.consistency import consistency_from_correct
from xlfact.evaluators.klar import LANGUAGES, OOD_LANGUAGES, SEEN_LANGUAGES
from xlfact.evaluators.matching import answer_matches

pytestmark = [pytest.mark.slow, pytest.mark.shared]
BIN = Path(sys.executable).parent
LIMIT = 3


@pytest.fixture(scope="module")
def klar_dir(shared) -> Path:
    return shared("data", "KLAR-CLC")


@pytest.fixture(scope="module")
def klar_model(tmp_path_factory, klar_dir) -> Path:
    """A tiny Llama whose tokenizer saw KLAR prompts in all 17 languages."""
    from xlfact.tasks.klar.data import load_documents
    from xlfact.training.tiny_models import build_tiny_llama

    texts = []
    for lang in LANGUAGES:
        texts += [d["prompt"] + d["target"] for d in load_documents(klar_dir, lang)[:: 200]]
    return build_tiny_llama(tmp_path_factory.mktemp("klar_tiny"), texts, max_positions=2048, seed=0)


@pytest.fixture(scope="module")
def run(tmp_path_factory, klar_model, klar_dir):
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    from xlfact.tasks import tasks_dir

    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False, metadata={"klar_dir": str(klar_dir)})
    out = tmp_path_factory.mktemp("klar_run")
    tracker = EvaluationTracker(output_path=str(out))
    results = simple_evaluate(model="hf", model_args=f"pretrained={klar_model},dtype=float32", tasks=["klar_all"],
                              task_manager=manager, limit=LIMIT, device="cpu", batch_size=16, log_samples=True,
                              evaluation_tracker=tracker)
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for task in results["configs"]:
        tracker.save_results_samples(task_name=task, samples=samples[task])
    return {"results": results["results"], "samples": samples, "out": out}


def test_every_language_ran_and_the_groups_aggregate(run):
    results = run["results"]
    for lang in LANGUAGES:
        assert len(run["samples"][f"klar_{lang}"]) == LIMIT
        assert results[f"klar_{lang}"]["sample_len"] == LIMIT
    for group, langs in (("klar_seen", SEEN_LANGUAGES), ("klar_ood", OOD_LANGUAGES), ("klar_all", LANGUAGES)):
        for metric in ("acc", "exact"):
            mean = sum(results[f"klar_{lang}"][f"{metric},none"] for lang in langs) / len(langs)
            assert results[group][f"{metric},none"] == pytest.approx(mean), (group, metric)


def test_samples_are_the_authors_prompts_and_carry_records(run):
    for lang in LANGUAGES:
        for row in run["samples"][f"klar_{lang}"]:
            doc = row["doc"]
            args = row["arguments"]["gen_args_0"]
            assert args["arg_0"] == doc["prompt"] and doc["prompt"].endswith(doc["query"] + " ")
            assert args["arg_1"]["until"] == [] and args["arg_1"]["max_gen_toks"] == 10
            record = row["total_consistency"]
            output = row["filtered_resps"][0]
            assert (record["benchmark"], record["item"], record["lang"]) == ("klar", doc["id"], lang)
            assert record["output"] == output and record["prediction"] == output.split("\n")[0]
            assert record["correct"] == answer_matches(record["prediction"], doc["target"])
            assert row["acc"] == float(record["correct"])


def test_facts_are_parallel_under_limit(run):
    ids = {lang: [row["doc"]["id"] for row in run["samples"][f"klar_{lang}"]] for lang in LANGUAGES}
    assert all(v == ids["en"] for v in ids.values())


def test_in_run_consistency_equals_the_shared_code_over_the_samples(run):
    correct: dict[str, dict[str, bool]] = {}
    for lang in LANGUAGES:
        for row in run["samples"][f"klar_{lang}"]:
            record = row["total_consistency"]
            correct.setdefault(record["item"], {})[lang] = record["correct"]
    expected = consistency_from_correct(correct)
    for lang in LANGUAGES:
        entry = run["results"][f"klar_{lang}"]
        assert entry["total_consistency,none"] == pytest.approx(expected["total_consistency"])
        assert entry["mean_languages_correct,none"] == pytest.approx(expected["mean_languages_correct"])
        value, want = entry["en_co,none"], expected["en_co"].get(lang, math.nan)
        assert (math.isnan(value) and math.isnan(want)) or value == pytest.approx(want)


def test_report_reads_the_run(run):
    from xlfact.cli.report import build_report

    report = build_report(run["out"], n_resamples=0)
    (folder,) = report["runs"]
    klar = folder["benchmarks"]["klar"]
    assert set(klar["per_language"]) == set(LANGUAGES)
    assert klar["n_items"] == LIMIT
    for key in ("accuracy_seen", "accuracy_ood", "exact_seen", "exact_ood", "jaccard_en_mean"):
        assert key in klar["extras"]
    assert klar["macro"]["accuracy"] == pytest.approx(run["results"]["klar_all"]["acc,none"])


def test_xlfact_eval_and_report_commands(tmp_path, klar_model, klar_dir):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(BIN / "xlfact"), "eval", "--model", "hf", "--model_args", f"pretrained={klar_model},dtype=float32",
         "--tasks", "klar_all", "--limit", "1", "--device", "cpu", "--batch_size", "16",
         "--metadata", f"klar_dir={klar_dir}", "--output_path", str(out), "--log_samples"],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    for name in ("klar_all", "klar_seen", "klar_ood", "klar_zh", "jaccard_en_mean"):
        assert name in proc.stdout, name
    results = json.loads(next(out.rglob("results_*.json")).read_text(encoding="utf-8"))
    assert {f"klar_{lang}" for lang in LANGUAGES} <= set(results["results"])
    report = subprocess.run([str(BIN / "xlfact"), "report", str(out), "--bootstrap", "0"],
                            capture_output=True, text=True, env=env, timeout=600)
    assert report.returncode == 0, report.stderr[-3000:]
    for text in ("## klar", "accuracy_seen", "accuracy_ood", "total_consistency", "jaccard_en_mean", "| vi "):
        assert text in report.stdout, text
