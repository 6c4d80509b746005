"""CLiKA end to end: every CLiKA task through ``xlfact eval`` (lm-eval's own CLI) on a tiny offline model with the
real data and ``--limit``, then ``xlfact report``; the in-run figures must equal what the shared metric code
computes from the logged samples."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from xlfact.evaluators.clika import (
    first_character,
    report_data,
    rescaled_accuracy,
)
from xlfact.tasks.clika.generate_configs import LANGUAGES

pytestmark = [pytest.mark.slow, pytest.mark.shared]
BIN = Path(sys.executable).parent
LIMIT = 2
GROUPS = "clika_all,clika_all_gen,clika_fictional,clika_translate"


@pytest.fixture(scope="module")
def clika_dir(shared) -> Path:
    return shared("data", "CLiKA")


@pytest.fixture(scope="module")
def clika_model(tmp_path_factory, clika_dir) -> Path:
    """A tiny Llama whose tokenizer saw CLiKA text in all ten languages (prompts stay well under its context)."""
    from xlfact.tasks.clika.data import load_fictional, load_items
    from xlfact.training.tiny_models import build_tiny_llama

    texts = []
    for lang in LANGUAGES:
        for task in ("xcsqa", "xcopa", "xgeo", "xpeo"):
            texts += [f"{i['question']} {' '.join(i['options'])}" for i in load_items(clika_dir, task, lang)[:20]]
        texts += [f"{r['question']} {r['answer']}" for r in load_fictional(clika_dir, lang)[:20]]
    return build_tiny_llama(tmp_path_factory.mktemp("clika_tiny"), texts, max_positions=2048, seed=0)


@pytest.fixture(scope="module")
def run(tmp_path_factory, clika_model, clika_dir):
    out = tmp_path_factory.mktemp("clika_run")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [str(BIN / "xlfact"), "eval", "--model", "hf", "--model_args", f"pretrained={clika_model},dtype=float32",
         "--tasks", GROUPS, "--limit", str(LIMIT), "--device", "cpu", "--batch_size", "16",
         "--metadata", f"clika_dir={clika_dir}", "--output_path", str(out), "--log_samples"],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(next(out.rglob("results_*.json")).read_text(encoding="utf-8"))
    samples: dict[str, list[dict]] = {}
    for path in out.rglob("samples_*.jsonl"):
        task = path.name[len("samples_"):].rsplit("_", 1)[0]
        samples[task] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {"dir": out, "stdout": proc.stdout, "results": results["results"], "groups": results.get("groups", {}),
            "samples": samples}


def _records(samples, prefix=""):
    by_benchmark = defaultdict(list)
    for task, rows in samples.items():
        if task.startswith(prefix):
            for row in rows:
                by_benchmark[row["total_consistency"]["benchmark"]].append(row["total_consistency"])
    return by_benchmark


def test_every_task_ran_on_the_real_data(run):
    results = run["results"]
    for task in ("xcsqa", "xcopa", "xgeo", "xpeo"):
        for lang in LANGUAGES:
            for name in (f"clika_{task}_{lang}", f"clika_{task}_gen_{lang}"):
                assert name in results and results[name]["sample_len"] == LIMIT, name
                assert len(run["samples"][name]) == LIMIT
    for lang in LANGUAGES:
        assert f"clika_fictional_{lang}" in results
        if lang != "en":
            assert f"clika_translate_{lang}" in results
    for group in ("clika_basic", "clika_factual", "clika_all", "clika_all_gen", "clika_fictional"):
        assert group in results or group in run["groups"], group


def test_requests_are_the_authors_prompt_and_bare_letters(run):
    for task in ("clika_xcsqa_zh", "clika_xcopa_he", "clika_xgeo_en", "clika_xpeo_ar"):
        for row in run["samples"][task]:
            doc = row["doc"]
            requests = [row["arguments"][f"gen_args_{i}"] for i in range(len(row["arguments"]))]
            assert {r["arg_0"] for r in requests} == {doc["prompt"]}
            assert [r["arg_1"] for r in requests] == doc["letters"]  # target_delimiter "": the bare letter
            record = row["total_consistency"]
            assert record["benchmark"] == "clika_" + task.split("_")[1] and record["lang"] == doc["lang"]
            assert record["item"] == doc["id"] and record["gold"] == doc["gold"]
            assert record["correct"] == (row["acc"] == 1.0)


def test_ra_and_en_co_in_the_results_equal_the_shared_metric_code(run):
    results = run["results"]
    data = report_data(_records(run["samples"]), focus="zh")
    for protocol, suffix in (("option-letter log-likelihood", ""), ("first character of the generation", "_gen")):
        scores = data["protocols"][protocol]
        for task in ("xcsqa", "xcopa", "xgeo", "xpeo"):
            for lang in LANGUAGES:
                entry = results[f"clika_{task}{suffix}_{lang}"]
                assert entry["acc,none"] == pytest.approx(scores["accuracy"][task][lang])
                assert entry["ra,none"] == pytest.approx(rescaled_accuracy(entry["acc,none"], task))
                expected = scores["en_co"][task].get(lang, math.nan)
                if math.isnan(expected):
                    assert math.isnan(entry["en_co,none"])
                else:
                    assert entry["en_co,none"] == pytest.approx(expected)


def test_generation_variant_scores_the_first_character(run):
    for row in run["samples"]["clika_xgeo_gen_de"]:
        output = row["filtered_resps"][0]
        record = row["total_consistency"]
        assert record["prediction"] == first_character(output)
        assert record["correct"] == (first_character(output) == row["doc"]["gold_letter"])


def test_fictional_xrr_in_the_results_equals_the_shared_metric_code(run):
    data = report_data(_records(run["samples"], "clika_fictional"), focus="zh")
    for lang in LANGUAGES:
        value = run["results"][f"clika_fictional_{lang}"]["xrr,none"]
        expected = math.nan if lang == "en" else data["fictional"]["xrr"][lang]
        assert (math.isnan(value) and math.isnan(expected)) or value == pytest.approx(expected)
    row = run["samples"]["clika_fictional_de"][0]
    assert row["arguments"]["gen_args_0"]["arg_0"] == row["doc"]["prompt"]
    assert row["doc"]["prompt"].startswith("Below is an instruction") and row["doc"]["prompt"].endswith(
        "### Response:\n")
    assert run["samples"]["clika_translate_zh"][0]["total_consistency"]["benchmark"] == "clika_translate"


def test_report_prints_the_clika_table(run, tmp_path):
    proc = subprocess.run([str(BIN / "xlfact"), "report", str(run["dir"]), "--bootstrap", "0",
                           "--json", str(tmp_path / "report.json")], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for text in ("Basic RA en", "Factual en-CO zh", "first character of the generation", "XRR", "translation acc"):
        assert text in proc.stdout, text
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert any("clika" in run_["sections"] for run_ in report["runs"])
