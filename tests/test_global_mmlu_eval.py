"""xlfact's Global-MMLU groups end to end, offline: lm-eval's built-in tasks on a local Global-MMLU-format copy.

The copy is written here in the hub layout (``<lang>/test.jsonl``, ``<lang>/dev.jsonl`` with the hub's columns): one
item per MMLU subject (57, spread over Lite's six categories), parallel across languages by ``sample_id``. The tiny
Llama answers it through ``xlfact_global_mmlu_lite`` (the real ``xlfact eval`` CLI, then ``xlfact report``), its
high/low groups, and ``xlfact_global_mmlu`` (full).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from xlfact.tasks import tasks_dir
from xlfact.tasks.global_mmlu.builtin import builtin_folder
from xlfact.tasks.global_mmlu.data import LANGUAGES, LITE_LANGUAGES, LOW_RESOURCE

pytestmark = pytest.mark.slow


def _builtin_list(relative: str, name: str) -> list[str]:
    spec = importlib.util.spec_from_file_location("gmmlu_builtin_utils", builtin_folder() / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, name))


def write_global_mmlu_copy(root: Path, langs=LANGUAGES) -> tuple[Path, list[str]]:
    """A Global-MMLU-format local copy: one test and one dev item per subject, in every language."""
    subjects = _builtin_list("full/en/utils.py", "SUBJECTS")
    categories = _builtin_list("default/en/utils.py", "CATEGORIES")
    texts = []
    for lang in langs:
        (root / lang).mkdir(parents=True, exist_ok=True)
        for split in ("test", "dev"):
            rows = []
            for i, subject in enumerate(subjects):
                row = {
                    "sample_id": f"{subject}/{split}/{i}", "subject": subject,
                    "subject_category": categories[i % len(categories)],
                    "question": f"{lang} {subject.replace('_', ' ')} {i}?",
                    **{f"option_{c}": f"{lang}{c}{i % 7}" for c in "abcd"},
                    "answer": "ABCD"[i % 4], "required_knowledge": "[]", "time_sensitive": "No", "reference": "",
                    "culture": "", "region": "", "country": "", "cultural_sensitivity_label": "CA",
                    "is_annotated": True,
                }
                rows.append(json.dumps(row))
                texts.append(row["question"])
            (root / lang / f"{split}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root, texts


@pytest.fixture(scope="module")
def gmmlu_setup(tmp_path_factory):
    from xlfact.training.tiny_models import build_tiny_llama

    data, texts = write_global_mmlu_copy(tmp_path_factory.mktemp("gmmlu_data"))
    model = build_tiny_llama(tmp_path_factory.mktemp("gmmlu_model"), texts + ["A. B. C. D. Answer: A B C D"])
    return data, model


def _evaluate(model: Path, tasks: list[str], metadata: dict) -> dict:
    import lm_eval
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=[str(tasks_dir()), str(Path(lm_eval.__file__).parent / "tasks" / "global_mmlu")],
                          include_defaults=False, metadata=metadata)
    return simple_evaluate(model="hf", model_args=f"pretrained={model},dtype=float32", tasks=tasks,
                           task_manager=manager, batch_size=64, device="cpu")


@pytest.fixture(scope="module")
def lite_cli_run(gmmlu_setup, tmp_path_factory):
    """``xlfact eval --tasks xlfact_global_mmlu_lite --metadata global_mmlu_lite_dir=...`` and its report."""
    from xlfact.cli.eval import eval_main
    from xlfact.cli.report import build_report

    data, model = gmmlu_setup
    out = tmp_path_factory.mktemp("gmmlu_lite_run")
    eval_main(["--model", "hf", "--model_args", f"pretrained={model},dtype=float32", "--tasks",
               "xlfact_global_mmlu_lite", "--device", "cpu", "--batch_size", "64",
               "--metadata", json.dumps({"global_mmlu_lite_dir": str(data)}), "--output_path", str(out),
               "--log_samples"])
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    return results, build_report(out, n_resamples=0)


def test_lite_group_runs_builtin_tasks_on_local_copy(lite_cli_run):
    results, _ = lite_cli_run
    per_lang = {lang: results[f"xlfact_global_mmlu_lite_{lang}"]["acc,none"] for lang in LITE_LANGUAGES}
    assert "ru" not in {k.split("_")[-1] for k in results if k.startswith("xlfact_global_mmlu_lite_")}
    for lang in LITE_LANGUAGES:  # lm-eval's own built-in tasks ran beneath the xlfact group
        assert results[f"global_mmlu_{lang}"]["acc,none"] == pytest.approx(per_lang[lang])
        assert f"global_mmlu_{lang}_stem" in results
    assert results["xlfact_global_mmlu_lite"]["acc,none"] == pytest.approx(sum(per_lang.values()) / len(per_lang))


def test_report_reads_builtin_samples(lite_cli_run):
    results, report = lite_cli_run
    (run,) = report["runs"]
    bench = run["benchmarks"]["global_mmlu_lite"]
    assert sorted(bench["languages"]) == sorted(LITE_LANGUAGES) and bench["n_items"] == 57
    assert bench["n_items_all_languages"] == 57
    for lang in LITE_LANGUAGES:
        assert bench["per_language"][lang]["n"] == 57
        assert bench["per_language"][lang]["accuracy"] == pytest.approx(
            results[f"xlfact_global_mmlu_lite_{lang}"]["acc,none"])
    cross = bench["cross_lingual"]
    for key in ("total_consistency", "mean_languages_correct", "rankc", "rankc_en", "answer_agreement", "en_co_mean"):
        assert 0.0 <= cross[key] <= len(LITE_LANGUAGES)
    assert cross["mean_languages_correct"] == pytest.approx(
        sum(bench["per_language"][lang]["accuracy"] for lang in LITE_LANGUAGES))
    high = [lang for lang in LITE_LANGUAGES if lang not in LOW_RESOURCE]
    assert bench["macro"]["accuracy_high"] == pytest.approx(
        sum(bench["per_language"][lang]["accuracy"] for lang in high) / len(high))


def test_high_and_low_groups_average_their_languages(gmmlu_setup, lite_cli_run):
    data, model = gmmlu_setup
    reference, _ = lite_cli_run
    results = _evaluate(model, ["xlfact_global_mmlu_lite_high", "xlfact_global_mmlu_lite_low"],
                        {"global_mmlu_lite_dir": str(data)})["results"]
    for part, langs in (("high", [x for x in LITE_LANGUAGES if x not in LOW_RESOURCE]), ("low", LOW_RESOURCE)):
        expected = sum(reference[f"xlfact_global_mmlu_lite_{lang}"]["acc,none"] for lang in langs) / len(langs)
        assert results[f"xlfact_global_mmlu_lite_{part}"]["acc,none"] == pytest.approx(expected, abs=1e-9)


def test_full_group_runs_every_subject_in_twelve_languages(gmmlu_setup):
    data, model = gmmlu_setup
    results = _evaluate(model, ["xlfact_global_mmlu"], {"global_mmlu_dir": str(data)})["results"]
    per_lang = {lang: results[f"xlfact_global_mmlu_{lang}"]["acc,none"] for lang in LANGUAGES}
    assert "global_mmlu_full_ru_anatomy" in results and "global_mmlu_full_bn_world_religions" in results
    assert results["xlfact_global_mmlu"]["acc,none"] == pytest.approx(sum(per_lang.values()) / len(LANGUAGES))
