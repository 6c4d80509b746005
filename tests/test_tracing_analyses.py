"""Every rule of the fact-tracing spec §4-§6 on hand-made records, and the CLI's exact JSON keys."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from xlfact.analysis.tracing.analyses import (
    analyse,
    binned_recall,
    frequency_edges,
    learned_at_series,
    threshold_classifier,
)
from xlfact.analysis.tracing.frequencies import parse_frequencies
from xlfact.analysis.tracing.records import CheckpointRecords
from xlfact.cli import main as xlfact
from xlfact.evaluators.consistency import clc, clc_per_relation


def table(spec: dict[str, list[tuple[int, int, str, str]]]):
    """{lang: [(index, frequency, relation, object)]} -> FrequencyTable."""
    data = {lang: {} for lang in spec}
    for lang, facts in spec.items():
        for index, freq, rel, obj in facts:
            data[lang].setdefault(rel, []).append({"subject": f"s{index}", "object": obj, "index": index,
                                                   "frequency": freq})
    return parse_frequencies(data, "hand.json")


def ckpt(name, correct: dict[str, set[int]], asked: dict[str, set[int]]):
    c = CheckpointRecords(name, None)
    for lang, idx in asked.items():
        for i in idx:
            c.add(lang, i, i in correct.get(lang, set()))
    return c


# ------------------------------------------------------------------------------------------------ §2 CLC
def test_clc_is_jaccard_with_english_including_english():
    fig = clc({"en": {1, 2, 3}, "fr": {2, 3, 4}, "ar": set()})
    assert fig["per_language"] == {"en": 1.0, "fr": 0.5, "ar": 0.0}
    assert fig["overall"] == pytest.approx(0.5)  # (1 + 0.5 + 0) / 3: English counts
    assert fig["overall_excl_en"] == pytest.approx(0.25)


def test_clc_empty_union_is_zero_and_english_without_correct_is_zero():
    fig = clc({"en": set(), "fr": set()})
    assert fig["per_language"] == {"en": 0.0, "fr": 0.0} and fig["overall"] == 0.0
    assert clc({"fr": {1}})["available"] is False


def test_clc_per_relation_english_is_one_by_fiat():
    rel = {1: "a", 2: "a", 3: "b"}
    out = clc_per_relation({"en": set(), "fr": {1}}, rel)
    assert out == {"en": {"a": 1.0, "b": 1.0}, "fr": {"a": 0.0, "b": 0.0}}
    out = clc_per_relation({"en": {1, 3}, "fr": {1}}, rel)
    assert out["fr"] == {"a": 1.0, "b": 0.0}


# ------------------------------------------------------------------------------------------------ §4 bins
def test_edges_are_numpy_logspace_30_from_1_to_m_plus_1():
    e = frequency_edges(999)
    assert len(e) == 30 and e[0] == 1.0 and e[-1] == pytest.approx(1000.0)
    assert np.array_equal(e, np.logspace(0, np.log10(1000), 30))


def test_zero_frequency_dropped_last_bin_closed_and_empty_bins():
    edges = frequency_edges(99)
    freqs = np.array([0, 0, 1, 100, 100])
    labels = np.array([True, False, True, False, True])
    pooled = binned_recall(freqs, labels, edges, empty=0.0)
    assert sum(pooled["total"]) == 3 and pooled["n_zero_frequency_dropped"] == 2
    assert pooled["total"][0] == 1 and pooled["total"][-1] == 2  # f = M+1 = 100 is in the closed last bin
    assert pooled["prob"][-1] == 0.5 and pooled["prob"][5] == 0.0  # empty pooled bin: 0
    per = binned_recall(freqs, labels, edges, empty=math.nan)
    assert per["prob"][5] is None and per["prob"][0] == 1.0  # empty per-language bin: NaN -> null


def test_pooled_m_is_data_max_and_per_language_m_is_file_max():
    t = table({"en": [(1, 5, "r", "x"), (2, 50, "r", "y")], "fr": [(1, 3, "r", "x2"), (2, 1000, "r", "y2")]})
    c = ckpt("step1", {"en": {1}}, {"en": {1, 2}})  # fr not in the records: analysed only with strict
    out = analyse(t, [c])["checkpoints"]["step1"]
    assert out["languages"] == ["en"]
    assert out["p_correct_given_frequency"]["pooled"]["max_frequency"] == 50
    assert out["p_correct_given_frequency"]["per_language"]["en"]["max_frequency"] == 1000
    strict = analyse(t, [c], strict=True)["checkpoints"]["step1"]
    assert strict["languages"] == ["en", "fr"]
    assert strict["p_correct_given_frequency"]["pooled"]["max_frequency"] == 1000
    assert strict["threshold_classifier"]["fr"]["n_true_positive"] == 0  # absent language: all incorrect


# ------------------------------------------------------------------------------------------------ §5 classifier
def classify(freqs, labels, indices=None):
    freqs = np.asarray(freqs)
    order = np.argsort(freqs, kind="stable")
    idx = np.arange(len(freqs)) if indices is None else np.asarray(indices)
    return threshold_classifier(idx[order], freqs[order], np.asarray(labels, dtype=bool)[order])


def brute_classifier(freqs, labels):
    best, best_t = 0.0, None
    for t in np.unique(freqs):
        acc = float(np.mean((np.asarray(freqs) >= t) == np.asarray(labels)))
        if acc > best:
            best, best_t = acc, int(t)
    return best_t, best


def test_classifier_matches_mft_loop_on_random_data():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        freqs = rng.integers(0, 6, n)
        labels = rng.random(n) < 0.5
        out = classify(freqs, labels)
        t, acc = brute_classifier(freqs, labels)
        assert (out["best_threshold"], out["best_accuracy"]) == (t, pytest.approx(acc) if t is not None else 0.0)


def test_classifier_ties_keep_smallest_threshold_and_zeros_are_kept():
    # thresholds 0, 5, 10: acc 2/4, 2/4, 2/4 -> all tie, smallest (0) wins
    out = classify([0, 5, 10, 10], [True, False, True, False])
    assert out["best_threshold"] == 0 and out["best_accuracy"] == 0.5
    assert out["n"] == 4  # the zero-frequency fact is in the classifier


def test_classifier_cannot_predict_all_incorrect():
    out = classify([1, 2, 3], [False, False, False])  # majority rate 1.0, best reachable 2/3 with t = 3
    assert out["best_threshold"] == 3 and out["best_accuracy"] == pytest.approx(2 / 3)
    assert out["majority_rate"] == 1.0


def test_classifier_sets_are_in_frequency_sorted_order():
    # facts 10..13 with freqs 7, 0, 7, 1; correct: 11 (rare) and 10
    out = classify([7, 0, 7, 1], [True, True, False, False], indices=[10, 11, 12, 13])
    assert out["all_indices"] == [11, 13, 10, 12]
    assert out["best_threshold"] == 0 or out["best_threshold"] == 7
    t, acc = brute_classifier([7, 0, 7, 1], [True, True, False, False])
    assert out["best_threshold"] == t
    assert out["false_negative_indices"] == ([11] if t == 7 else [])


def test_classifier_language_with_no_correct_fact_and_empty_language():
    out = classify([0, 0], [False, False])  # the only threshold predicts everything correct: accuracy 0
    assert out["best_threshold"] is None and out["false_negative_indices"] == []
    assert classify([], [])["n"] == 0


# ------------------------------------------------------------------------------------------------ §6 FN attribution
def transfer_world():
    en = [(1, 100, "capital_of", "France"), (2, 100, "capital_of", "Japan"), (3, 1, "religion", "Islam"),
          (4, 0, "religion", "Buddhism")]
    fr = [(1, 50, "capital_of", "France"), (2, 40, "capital_of", "Japon"), (3, 0, "religion", "islam"),
          (4, 0, "religion", "bouddhisme")]
    return table({"en": en, "fr": fr})


def test_fn_attribution_with_and_without_identical_objects():
    t = transfer_world()
    asked = {"en": {1, 2, 3, 4}, "fr": {1, 2, 3, 4}}
    early = ckpt("step100", {"en": {1}}, asked)
    final = ckpt("step200", {"en": {1, 2, 3}, "fr": {1, 2, 3}}, asked)
    result = analyse(t, [early, final])
    fr = result["checkpoints"]["step200"]["threshold_classifier"]["fr"]
    # fr sorted by frequency: 3(0) 4(0) 2(40) 1(50); labels T F T T; t=0 -> 3/4, t=40 -> 2/4 -> t = 0, no FN
    assert fr["best_threshold"] == 0 and fr["false_negative_indices"] == []
    assert result["identical_object_indices"] == {"fr": [1]}  # exact equality: "islam" != "Islam"
    # make fact 3 rare-but-recalled against a threshold above it
    final2 = ckpt("step200", {"en": {1, 2, 3}, "fr": {1, 2, 3}}, asked)
    t2 = table({"en": [(1, 100, "capital_of", "France"), (2, 100, "capital_of", "Japan"), (3, 1, "religion", "Islam"),
                       (4, 0, "religion", "Buddhism"), (5, 0, "religion", "Hinduism"), (6, 0, "religion", "Taoism")],
                "fr": [(1, 50, "capital_of", "France"), (2, 40, "capital_of", "Japon"), (3, 0, "religion", "islam"),
                       (4, 0, "religion", "bouddhisme"), (5, 0, "religion", "hindouisme"),
                       (6, 0, "religion", "taoïsme")]})
    asked2 = {"en": {1, 2, 3, 4, 5, 6}, "fr": {1, 2, 3, 4, 5, 6}}
    final2 = ckpt("step200", {"en": {1, 2, 3}, "fr": {1, 2, 3}}, asked2)
    early2 = ckpt("step100", {"en": {1, 3}}, asked2)
    out = analyse(t2, [early2, final2])["checkpoints"]["step200"]
    clf = out["threshold_classifier"]["fr"]
    assert clf["best_threshold"] == 40 and clf["false_negative_indices"] == [3]
    fn = out["fn_analysis"]["crosslingual_fn_freqs"]["fr"]["3"]
    assert fn["frequencies"] == {"en": 1, "fr": 0} and fn["correctness"] == {"en": True, "fr": True}
    assert fn["en_learned_at"] == "step100" and fn["relation"] == "religion"
    assert out["fn_analysis"]["fn_relations"]["fr"] == {"religion": 1}
    summary = out["fn_analysis"]["transfer_summary"]["fr"]
    assert summary["fn"] == {"n": 1, "n_en_correct": 1, "share_en_correct": 1.0}
    assert summary["tp"]["n"] == 2 and summary["tp_no_identical"]["n"] == 1  # fact 1 (France) set aside
    assert summary["median_fn_frequency"] == 0.0 and summary["median_fn_frequency_en"] == 1.0


def test_learned_at_is_the_start_of_the_final_streak():
    cs = [ckpt("a", {"en": {1, 2}}, {"en": {1, 2}}), ckpt("b", {"en": {2}}, {"en": {1, 2}}),
          ckpt("c", {"en": {1, 2}}, {"en": {1, 2}})]
    series = learned_at_series(cs)
    assert series[0] == {1: "a", 2: "a"} and series[1] == {2: "a"} and series[2] == {1: "c", 2: "a"}


# ------------------------------------------------------------------------------------------------ CLI
def test_trace_frequency_cli_writes_the_issue_keys(tmp_path):
    t = transfer_world()
    (tmp_path / "f.json").write_text(json.dumps(t.to_json()))
    rows = [{"checkpoint": name, "lang": lang, "relation": "r", "index": i, "correct": i in ok.get(lang, ())}
            for name, ok in (("step2000-tokens8B", {"en": {1, 2}, "fr": {1}}), ("step1000-tokens4B", {"en": {1}}))
            for lang in ("en", "fr") for i in (1, 2, 3, 4)]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    argv = ["trace", "frequency", "--records", str(tmp_path / "r.jsonl"), "--frequencies", str(tmp_path / "f.json"),
            "--out", str(tmp_path / "o.json"), "--plots", str(tmp_path / "plots")]
    assert xlfact(argv) == 0
    out = json.loads((tmp_path / "o.json").read_text())
    assert out["order"] == ["step1000-tokens4B", "step2000-tokens8B"] and out["steps"] == [1000.0, 2000.0]
    c = out["checkpoints"]["step2000-tokens8B"]
    assert c["recall"]["per_language_acc"] == {"en": 0.5, "fr": 0.25}
    assert c["recall"]["per_language_per_relation_acc"]["fr"] == {"capital_of": 0.5, "religion": 0.0}
    assert c["clc"]["per_language"] == {"en": 1.0, "fr": 0.5} and c["clc"]["overall"] == 0.75
    for part in (c["p_correct_given_frequency"]["pooled"], c["p_correct_given_frequency"]["per_language"]["fr"]):
        assert {"edges", "total", "correct", "prob"} <= set(part) and len(part["edges"]) == 30
    assert None in c["p_correct_given_frequency"]["per_language"]["fr"]["prob"]  # NaN written as null
    assert {"best_threshold", "best_accuracy", "false_negative_indices"} <= set(c["threshold_classifier"]["fr"])
    assert {"crosslingual_fn_freqs", "fn_relations", "transfer_summary"} <= set(c["fn_analysis"])
    for name in ("recall_vs_frequency.png", "recall_vs_frequency_by_language.png", "transfer_share.png"):
        assert (tmp_path / "plots" / name).stat().st_size > 0


def test_bad_inputs_name_file_row_and_field(tmp_path, capsys):
    (tmp_path / "f.json").write_text(json.dumps({"en": {"r": [{"subject": "a", "object": "b", "index": 1,
                                                               "frequency": -3}]}}))
    (tmp_path / "r.jsonl").write_text(json.dumps({"checkpoint": "s", "lang": "en", "relation": "r", "index": "x",
                                                  "correct": True}) + "\n")
    base = ["trace", "frequency", "--records", str(tmp_path / "r.jsonl"), "--out", str(tmp_path / "o.json")]
    assert xlfact([*base, "--frequencies", str(tmp_path / "f.json")]) == 2
    assert "en/r row 0 (index 1): field 'frequency'" in capsys.readouterr().err
    (tmp_path / "g.json").write_text(json.dumps({"en": {"r": [{"subject": "a", "object": "b", "index": 1,
                                                               "frequency": 3}]}}))
    assert xlfact([*base, "--frequencies", str(tmp_path / "g.json")]) == 2
    assert "r.jsonl row 1: field 'index'" in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists()


def test_the_papers_frequency_file_has_the_spec_properties():
    """MFT's ``data/lang_rel_frequencies.json`` (no licence, so not in ../shared): set XLFACT_MFT_FREQUENCIES to it.
    The reader, global max and the reconstructed identical-object rule give the spec's §3/§6 figures."""
    import os

    from xlfact.analysis.tracing.analyses import identical_object_indices
    from xlfact.analysis.tracing.frequencies import read_frequencies

    path = os.environ.get("XLFACT_MFT_FREQUENCIES")
    if not path or not os.path.isfile(path):
        pytest.skip("XLFACT_MFT_FREQUENCIES (MFT's lang_rel_frequencies.json) is not set")
    t = read_frequencies(path)
    assert {lang: int((f.frequencies == 0).sum()) for lang, f in t.languages.items()} == {
        "en": 4, "fr": 95, "es": 116, "ar": 782, "zh": 593, "ru": 681, "ja": 676, "tr": 411, "uk": 979, "ca": 456,
        "ko": 866, "el": 859}
    assert t.global_max == 59_735_284 and all(len(f.indices) == 1197 for f in t.languages.values())
    assert {lang: len(v) for lang, v in identical_object_indices(t).items()} == {
        "fr": 341, "es": 245, "ca": 192, "tr": 163, "el": 20, "uk": 19, "ru": 17, "zh": 1, "ja": 1, "ko": 1, "ar": 0}


# ------------------------------------------------------------------------------------------------ only what was asked
def test_limit_run_reports_unasked_relations_as_null():
    """A --limit trace asked only capital_of facts: religion was not measured, so it is null (was 0.0 in fr and 1.0
    in en), in accuracy and in CLC; with --mft-strict-languages it is 0 as MFT writes it."""
    t = transfer_world()
    asked = {"en": {1, 2}, "fr": {1, 2}}
    out = analyse(t, [ckpt("step1", {"en": {1, 2}, "fr": {1}}, asked)])["checkpoints"]["step1"]
    assert out["recall"]["per_language_per_relation_acc"] == {"en": {"capital_of": 1.0, "religion": None},
                                                               "fr": {"capital_of": 0.5, "religion": None}}
    assert out["clc"]["per_relation"] == {"en": {"capital_of": 1.0, "religion": None},
                                          "fr": {"capital_of": 0.5, "religion": None}}
    strict = analyse(t, [ckpt("step1", {"en": {1, 2}, "fr": {1}}, asked)], strict=True)["checkpoints"]["step1"]
    assert strict["recall"]["per_language_per_relation_acc"]["fr"]["religion"] == 0.0
    assert strict["clc"]["per_relation"]["en"]["religion"] == 1.0


def test_clc_per_relation_with_asked_is_null_where_nothing_was_asked():
    rel = {1: "a", 2: "a", 3: "b"}
    out = clc_per_relation({"en": {1, 3}, "fr": {1}}, rel, asked={"en": {1, 2, 3}, "fr": {1, 2}})
    assert out == {"en": {"a": 1.0, "b": 1.0}, "fr": {"a": 1.0, "b": None}}
    assert clc_per_relation({"en": {1}, "fr": set()}, rel, asked={"en": {1}, "fr": {3}})["fr"] == {"a": None, "b": None}


def test_transfer_share_series_each_have_their_own_colour_and_marker(tmp_path, monkeypatch):
    from xlfact.analysis.tracing import plots

    styles = plots.transfer_series_styles(["fr", "zh", "ja"])
    assert len({(s["color"], s["marker"]) for s in styles.values()}) == len(styles) == 6
    assert len({s["color"] for s in styles.values()}) == 6 and styles["fr"]["marker"] != styles[
        "fr, identical objects set aside"]["marker"]
    figures = {}
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.setdefault(path.name, fig) and path)
    t = transfer_world()
    asked = {"en": {1, 2, 3, 4}, "fr": {1, 2, 3, 4}}
    plots.plot_analysis(analyse(t, [ckpt("step1", {"en": {1}}, asked), ckpt("step2", {"en": {1, 2}}, asked)]),
                        tmp_path)
    lines = [line for line in figures["transfer_share.png"].axes[0].get_lines() if not line.get_label().startswith("_")]
    assert len(lines) == 2 and len({(line.get_color(), line.get_marker()) for line in lines}) == 2
