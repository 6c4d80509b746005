"""PolyFact through lm-eval on a tiny model: per-token scores proven against transformers, metrics in the table."""

from __future__ import annotations

import json
import math

import pytest
import torch

from xlfact.evaluators.consistency import cross_lingual_metrics
from xlfact.tasks import tasks_dir

pytestmark = pytest.mark.slow


def run_polyfact(model_dir, data_dir, tasks, **kwargs):
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.tasks import TaskManager

    manager = TaskManager(
        include_path=str(tasks_dir()), include_defaults=False,
        metadata={"data_dir": str(data_dir), "pretrained": str(model_dir)},
    )
    return simple_evaluate(
        model="hf", model_args=f"pretrained={model_dir},dtype=float32", tasks=tasks, task_manager=manager,
        log_samples=True, batch_size=16, device="cpu", **kwargs,
    )


@pytest.fixture(scope="module")
def bundled_run(tiny_model_dir, bundled_polyfact_dir):
    return run_polyfact(tiny_model_dir, bundled_polyfact_dir, ["polyfact_all"])


def direct_mean_logprob(model, tokenizer, context: str, continuation: str) -> float:
    """Mean log-prob per continuation token, computed straight with transformers (no lm-eval code)."""
    stripped = context.rstrip()
    continuation = context[len(stripped):] + continuation
    ctx_ids = tokenizer(stripped, add_special_tokens=False)["input_ids"]
    all_ids = tokenizer(stripped + continuation, add_special_tokens=False)["input_ids"]
    cont_ids = all_ids[len(ctx_ids):]
    with torch.no_grad():
        logits = model(torch.tensor([all_ids[:-1]])).logits[0].float()
    logprobs = torch.log_softmax(logits, dim=-1)
    positions = range(len(ctx_ids) - 1, len(all_ids) - 1)
    total = sum(float(logprobs[p, t]) for p, t in zip(positions, cont_ids))
    return total / len(cont_ids)


def test_per_token_scores_equal_a_direct_transformers_computation(bundled_run, tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    checked = 0
    for task, samples in bundled_run["samples"].items():
        for sample in samples:
            record = sample["total_consistency"]
            for option, (context, continuation) in enumerate(sample["arguments"]):
                expected = direct_mean_logprob(model, tokenizer, context, continuation)
                assert record["scores"][option] == pytest.approx(expected, abs=1e-4), (task, record["item"], option)
                checked += 1
    assert checked == 4 * sum(len(s) for s in bundled_run["samples"].values())
    assert len(bundled_run["samples"]) == 12


def test_accuracy_follows_the_per_token_rule(bundled_run):
    for samples in bundled_run["samples"].values():
        for sample in samples:
            record = sample["total_consistency"]
            per_token = [ll / n for ll, n in zip(record["loglikelihoods"], record["token_counts"])]
            best = max(range(4), key=lambda i: (per_token[i], -i))
            assert sample["acc"] == float(best == record["gold"])
            assert sample["acc_sum"] == float(max(range(4), key=lambda i: (record["loglikelihoods"][i], -i))
                                              == record["gold"])


def test_results_table_carries_the_cross_lingual_metrics(bundled_run):
    scores, gold = {}, {}
    for samples in bundled_run["samples"].values():
        for sample in samples:
            r = sample["total_consistency"]
            scores.setdefault(r["item"], {})[r["lang"]] = r["scores"]
            gold.setdefault(r["item"], {})[r["lang"]] = r["gold"]
    expected = cross_lingual_metrics(scores, gold)
    results = bundled_run["results"]
    group = results["polyfact_all"]
    for key in ("total_consistency", "mean_languages_correct", "rankc", "rankc_en", "answer_agreement"):
        assert group[f"{key},none"] == pytest.approx(expected[key]), key
    for lang in ("de", "sw", "zh"):
        assert results[f"polyfact_{lang}"]["en_co,none"] == pytest.approx(expected["en_co"][lang])
        assert results[f"polyfact_{lang}"]["acc,none"] == pytest.approx(expected["accuracy"][lang])
    assert group["acc,none"] == pytest.approx(sum(expected["accuracy"].values()) / 12)


def test_a_second_run_does_not_mix_with_the_first(tiny_model_dir, polyfact_fixture_dir, bundled_run):
    result = run_polyfact(tiny_model_dir, polyfact_fixture_dir, ["polyfact_en", "polyfact_de"])
    samples = result["samples"]
    items = {s["total_consistency"]["item"] for s in samples["polyfact_en"]}
    assert len(items) == 6
    correct = {}
    for task in samples:
        for s in samples[task]:
            correct.setdefault(s["total_consistency"]["item"], []).append(s["acc"])
    expected = sum(all(v == 1.0 for v in per) for per in correct.values()) / len(correct)
    assert result["results"]["polyfact_en"]["total_consistency,none"] == pytest.approx(expected)


def test_several_ranks_report_nan_instead_of_a_wrong_number(tiny_model_dir, polyfact_fixture_dir, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    result = run_polyfact(tiny_model_dir, polyfact_fixture_dir, ["polyfact_en", "polyfact_de"])
    assert math.isnan(result["results"]["polyfact_de"]["total_consistency,none"])
    assert not math.isnan(result["results"]["polyfact_de"]["acc,none"])


def test_missing_tokenizer_is_a_clear_error(polyfact_fixture_dir, tiny_model_dir):
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False,
                          metadata={"data_dir": str(polyfact_fixture_dir)})
    with pytest.raises(ValueError, match="--metadata tokenizer="):
        simple_evaluate(model="hf", model_args=f"pretrained={tiny_model_dir}", tasks=["polyfact_en"],
                        task_manager=manager, device="cpu", limit=2)


def test_report_recomputes_from_logged_samples(tiny_model_dir, polyfact_fixture_dir, tmp_path, capsys):
    from xlfact.cli.eval import eval_main
    from xlfact.cli.report import main as report_main

    out = tmp_path / "run"
    eval_main([
        "--model", "hf", "--model_args", f"pretrained={tiny_model_dir},dtype=float32",
        "--tasks", "polyfact_en,polyfact_de,polyfact_ru", "--device", "cpu", "--batch_size", "8",
        "--metadata", json.dumps({"data_dir": str(polyfact_fixture_dir)}),
        "--output_path", str(out), "--log_samples",
    ])
    table = capsys.readouterr().out
    assert "total_consistency" in table and "polyfact_ru" in table
    assert report_main([str(out), "--bootstrap", "50"]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "xlfact_report.json").read_text())
    bench = report["runs"][0]["benchmarks"]["polyfact"]
    assert bench["languages"] == ["en", "de", "ru"] and bench["n_items"] == 6
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    assert bench["per_language"]["de"]["accuracy"] == pytest.approx(results["polyfact_de"]["acc,none"])
    assert bench["cross_lingual"]["rankc"] == pytest.approx(results["polyfact_de"]["rankc,none"])
    assert "| de " in printed and "total_consistency" in printed
    lo, hi = bench["cross_lingual_ci"]["total_consistency"]
    assert lo <= bench["cross_lingual"]["total_consistency"] <= hi


def test_cached_requests_resume_a_run_with_identical_scores(tiny_model_dir, polyfact_fixture_dir, tmp_path):
    """``--use_cache`` (lm-eval's request cache) lets an interrupted run resume; scores must not change."""
    first = run_polyfact(tiny_model_dir, polyfact_fixture_dir, ["polyfact_en", "polyfact_ru"],
                         use_cache=str(tmp_path / "cache"))
    assert list(tmp_path.glob("cache*.db"))
    second = run_polyfact(tiny_model_dir, polyfact_fixture_dir, ["polyfact_en", "polyfact_ru"],
                          use_cache=str(tmp_path / "cache"))
    for task in ("polyfact_en", "polyfact_ru"):
        a = [s["total_consistency"]["scores"] for s in first["samples"][task]]
        b = [s["total_consistency"]["scores"] for s in second["samples"][task]]
        assert a == b
