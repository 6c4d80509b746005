"""KLAR-CLC scoring and figures: the per-document rule (first line, shared matcher), the KLAR report figures on
hand-worked records, and a scripted model through lm-eval whose in-run figures (accuracy, exact, total consistency,
en-CO, Jaccard with English) equal hand counts and the report recomputed from the logged samples."""

from __future__ import annotations

import math

import pytest

from xlfact.evaluators.klar import report_extras, split_means
from xlfact.tasks.crosslingual import store_snapshot, total_consistency
from xlfact.tasks.klar import utils as klar_utils

LANGS = ("en", "fr", "zh")


# ----------------------------------------------------------------------------------------------- per document
@pytest.fixture()
def fresh_store():
    """Leave the run-scoped store as an lm-eval run does: an aggregation marks the run over, so the next record filed
    (by a later run in this process) starts a new store."""
    yield
    total_consistency(["klar|en"])


def _doc(lang="en", item="7", target="Paris"):
    return {"id": item, "index": int(item), "lang": lang, "relation": "capital", "target": target, "prompt": "..."}


@pytest.mark.parametrize(
    ("output", "acc", "exact", "prediction"),
    [
        ("Paris", 1.0, 1.0, "Paris"),
        (" Paris.\nBerlin", 1.0, 1.0, " Paris."),
        ("Paris, France\n", 1.0, 0.0, "Paris, France"),
        ("\nParis", 0.0, 0.0, ""),  # a leading newline is an empty prediction (the authors' first line)
        ("Berlin\nParis", 0.0, 0.0, "Berlin"),
        ("", 0.0, 0.0, ""),
        ("parisienne", 1.0, 0.0, "parisienne"),
    ],
)
def test_process_results(output, acc, exact, prediction, fresh_store):
    values = klar_utils.process_results(_doc(), [output])
    assert values["acc"] == acc and values["exact"] == exact
    assert set(values) == set(klar_utils.TASK_METRICS)
    record = values["total_consistency"]
    assert record == {"benchmark": "klar", "item": "7", "lang": "en", "correct": bool(acc), "exact": bool(exact),
                      "prediction": prediction, "output": output, "target": "Paris", "relation": "capital"}
    assert values["jaccard_en"] == values["en_co"] == "klar|en"
    assert store_snapshot()["klar"]["en"]["7"] == record


# ----------------------------------------------------------------------------------------------- report figures
def _records(table: dict[str, dict[str, tuple[bool, bool]]]) -> list[dict]:
    return [
        {"benchmark": "klar", "item": item, "lang": lang, "correct": c, "exact": e}
        for item, per in table.items() for lang, (c, e) in per.items()
    ]


def test_report_extras_by_hand():
    # four facts in en (seen), fr (seen), tr (ood), vi (ood); (lenient, exact)
    table = {
        "1": {"en": (True, True), "fr": (True, False), "tr": (False, False), "vi": (True, True)},
        "2": {"en": (True, False), "fr": (False, False), "tr": (True, True), "vi": (False, False)},
        "3": {"en": (False, False), "fr": (True, True), "tr": (False, False), "vi": (False, False)},
        "4": {"en": (False, False), "fr": (False, False), "tr": (False, False), "vi": (True, False)},
    }
    extras = report_extras(_records(table))
    # accuracy: en 2/4, fr 2/4, tr 1/4, vi 2/4
    assert extras["accuracy_seen"] == pytest.approx(0.5)
    assert extras["accuracy_ood"] == pytest.approx((0.25 + 0.5) / 2)
    # exact: en 1/4, fr 1/4, tr 1/4, vi 1/4
    assert extras["exact_macro"] == extras["exact_seen"] == extras["exact_ood"] == pytest.approx(0.25)
    # C_en = {1, 2}; C_fr = {1, 3}: 1/3; C_tr = {2}: 1/2; C_vi = {1, 4}: 1/3
    assert extras["jaccard_en/fr"] == pytest.approx(1 / 3)
    assert extras["jaccard_en/tr"] == pytest.approx(1 / 2)
    assert extras["jaccard_en/vi"] == pytest.approx(1 / 3)
    assert "jaccard_en/en" not in extras
    assert extras["jaccard_en_mean"] == pytest.approx((1 / 3 + 1 / 2 + 1 / 3) / 3)


def test_report_extras_without_english_or_split():
    extras = report_extras(_records({"1": {"fr": (True, True)}, "2": {"fr": (False, False)}}))
    assert extras["accuracy_seen"] == 0.5
    assert math.isnan(extras["accuracy_ood"]) and math.isnan(extras["jaccard_en_mean"])
    with pytest.raises(KeyError, match="item '1' lang 'fr' has no 'exact' field"):
        report_extras([{"benchmark": "klar", "item": "1", "lang": "fr", "correct": True}])


def test_split_means():
    means = split_means({"en": 0.4, "ar": 0.2, "ca": 0.1, "vi": 0.3})
    assert means == pytest.approx({"all": 0.25, "seen": 0.3, "ood": 0.2})


# ----------------------------------------------------------------------------------------------- through lm-eval
def _plan(doc: dict) -> str:
    """What the scripted model answers for a document: a pattern of right/wrong per (fact, language)."""
    index, lang, target = doc["index"], doc["lang"], doc["target"]
    right = {"en": index % 2 == 0, "fr": index % 3 == 0, "zh": index % 2 == 0 or index % 5 == 0}[lang]
    if not right:
        return "\n" + target if index % 7 == 0 else "Atlantis\n" + target  # leading newline: empty, so wrong
    if index % 4 == 0:
        return target + "\nmore text"  # exact
    return f"{target}（{lang}）" if lang == "zh" else f"{target} ({lang})"  # lenient only


def _expected(docs: dict[str, list[dict]]) -> dict:
    correct = {lang: {d["id"]: not _plan(d).startswith(("\n", "Atlantis")) for d in ds} for lang, ds in docs.items()}
    exact = {lang: {d["id"]: _plan(d).split("\n")[0] == d["target"] for d in ds} for lang, ds in docs.items()}
    items = list(correct["en"])
    right = {lang: {i for i in items if correct[lang][i]} for lang in LANGS}
    jaccard = {lang: len(right[lang] & right["en"]) / len(right[lang] | right["en"]) for lang in LANGS}
    en_co = {lang: len(right[lang] & right["en"]) / len(right[lang]) for lang in LANGS}
    return {
        "acc": {lang: len(right[lang]) / len(items) for lang in LANGS},
        "exact": {lang: sum(exact[lang].values()) / len(items) for lang in LANGS},
        "total_consistency": sum(all(correct[lang][i] for lang in LANGS) for i in items) / len(items),
        "mean_languages_correct": sum(sum(correct[lang][i] for lang in LANGS) for i in items) / len(items),
        "en_co": en_co,
        "jaccard_en": jaccard,
        "jaccard_en_mean": (jaccard["fr"] + jaccard["zh"]) / 2,
        "en_co_mean": (en_co["fr"] + en_co["zh"]) / 2,
    }


@pytest.fixture(scope="module")
def scripted_run(tmp_path_factory, klar_fixture_writer):
    from lm_eval.api.model import LM
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    from xlfact.tasks import tasks_dir
    from xlfact.tasks.klar.data import load_documents

    root = klar_fixture_writer(tmp_path_factory.mktemp("klar_fixture") / "KLAR-CLC", LANGS)
    docs = {lang: load_documents(root, lang) for lang in LANGS}

    class ScriptedLM(LM):
        """Answers each document by the plan; records what lm-eval asked."""

        def __init__(self):
            super().__init__()
            self.requests: list[tuple] = []

        def generate_until(self, requests, disable_tqdm: bool = False):
            self.requests += [(r.args, r.doc) for r in requests]
            return [_plan(r.doc) for r in requests]

        def loglikelihood(self, requests, disable_tqdm: bool = False):
            raise NotImplementedError

        def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
            raise NotImplementedError

    lm = ScriptedLM()
    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False, metadata={"klar_dir": str(root)})
    results = simple_evaluate(model=lm, tasks=[f"klar_{lang}" for lang in LANGS], task_manager=manager,
                              log_samples=True)
    out = tmp_path_factory.mktemp("klar_scripted_out")
    tracker = EvaluationTracker(output_path=str(out))
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for task in results["configs"]:
        tracker.save_results_samples(task_name=task, samples=samples[task])
    return {"results": results["results"], "samples": samples, "expected": _expected(docs), "requests": lm.requests,
            "out": out, "docs": docs}


@pytest.mark.slow
def test_requests_are_the_prompts_with_the_authors_generation_settings(scripted_run):
    requests = scripted_run["requests"]
    assert len(requests) == 3 * 100
    for (context, gen_kwargs), doc in requests:
        assert context == doc["prompt"] and context.endswith(doc["query"] + " ")
        assert gen_kwargs == {"until": [], "max_gen_toks": 10, "do_sample": False, "temperature": 0.0}


@pytest.mark.slow
def test_in_run_figures_equal_hand_counts(scripted_run):
    results, expected = scripted_run["results"], scripted_run["expected"]
    assert 0 < expected["total_consistency"] < min(expected["acc"].values())  # a pattern worth testing
    for lang in LANGS:
        entry = results[f"klar_{lang}"]
        assert entry["acc,none"] == pytest.approx(expected["acc"][lang])
        assert entry["exact,none"] == pytest.approx(expected["exact"][lang])
        assert 0 < entry["exact,none"] < entry["acc,none"]
        assert entry["en_co,none"] == pytest.approx(expected["en_co"][lang])
        assert entry["jaccard_en,none"] == pytest.approx(expected["jaccard_en"][lang])
        for name in ("total_consistency", "mean_languages_correct", "jaccard_en_mean", "en_co_mean"):
            assert entry[f"{name},none"] == pytest.approx(expected[name]), (lang, name)
    assert results["klar_en"]["jaccard_en,none"] == 1.0


@pytest.mark.slow
def test_logged_samples_carry_the_records(scripted_run):
    for lang in LANGS:
        rows = scripted_run["samples"][f"klar_{lang}"]
        assert len(rows) == 100
        for row in rows:
            record = row["total_consistency"]
            assert record["benchmark"] == "klar" and record["lang"] == lang and record["item"] == row["doc"]["id"]
            assert record["output"] == row["filtered_resps"][0]
            assert record["prediction"] == row["filtered_resps"][0].split("\n")[0]
            assert record["correct"] == (row["acc"] == 1.0) and record["exact"] == (row["exact"] == 1.0)


@pytest.mark.slow
def test_the_report_recomputes_the_same_figures(scripted_run):
    from xlfact.cli.report import build_report, render_text

    report = build_report(scripted_run["out"], n_resamples=50, seed=0)
    (run,) = report["runs"]
    klar = run["benchmarks"]["klar"]
    expected = scripted_run["expected"]
    for lang in LANGS:
        assert klar["per_language"][lang]["accuracy"] == pytest.approx(expected["acc"][lang])
        assert klar["per_language"][lang]["exact"] == pytest.approx(expected["exact"][lang])
        assert klar["per_language"][lang]["en_co"] == pytest.approx(expected["en_co"][lang])
    assert klar["cross_lingual"]["total_consistency"] == pytest.approx(expected["total_consistency"])
    assert klar["cross_lingual"]["en_co_mean"] == pytest.approx(expected["en_co_mean"])
    extras = klar["extras"]
    assert extras["jaccard_en_mean"] == pytest.approx(expected["jaccard_en_mean"])
    assert extras["jaccard_en/zh"] == pytest.approx(expected["jaccard_en"]["zh"])
    assert extras["accuracy_seen"] == pytest.approx(sum(expected["acc"].values()) / 3)  # en, fr, zh are all seen
    assert math.isnan(extras["accuracy_ood"])
    text = render_text(report)
    assert "## klar" in text and "jaccard_en_mean" in text and "accuracy_seen" in text
