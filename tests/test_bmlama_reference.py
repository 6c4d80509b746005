"""BMLAMA's RankC and COverlap equal the reference scripts (Betswish/Cross-Lingual-Consistency ``1_easyrun/RankC.py``
and ``COverlap.py``) for every language pair of a constructed run, and xlfact's one RankC (the consistency module,
used by the report for every benchmark) gives the same per-pair values.

The expected numbers were obtained by writing the rankings below in the reference's record format
(``record17/<model>_Rankings_<lang>.txt``, ``_Scores_``, ``_CorrectIndex_``, built with ``main.py``'s own sort and
gold rule) and running ``python RankC.py -pair a,b -mini yes`` and ``python COverlap.py -pair a,b -mini yes`` on each
pair; the reference code is not vendored.
"""

from __future__ import annotations

import pytest

from xlfact.evaluators import bmlama
from xlfact.evaluators.consistency import cross_lingual_metrics

LANGS = ("en", "fr", "zh", "de")
GOLD_SLOT = [0, 2, 1, 3, 0, 2]  # the gold candidate of each item (candidates aligned by position across languages)
N_CANDIDATES = [3, 4, 2, 5, 3, 4]
LOSSES = {  # mean token cross-entropy of each filled-in sentence, with ties (item 5 in en is a three-way tie)
    "en": [[2.1, 3.4, 2.9], [4.0, 3.1, 3.1, 5.2], [1.5, 1.2], [3.3, 2.2, 4.4, 2.0, 3.9], [2.5, 2.5, 2.5],
           [3.0, 3.7, 2.8, 3.2]],
    "fr": [[2.4, 2.2, 3.0], [3.9, 4.1, 2.7, 4.0], [1.1, 1.6], [3.0, 2.9, 2.8, 2.1, 4.0], [2.0, 2.6, 2.9],
           [3.3, 3.1, 2.9, 3.0]],
    "zh": [[1.9, 2.8, 2.0], [3.5, 3.5, 3.6, 3.4], [0.9, 0.7], [4.1, 3.8, 3.2, 3.5, 3.0], [2.7, 2.4, 2.7],
           [2.6, 2.9, 3.1, 2.6]],
    "de": [[2.2, 3.0, 2.5], [3.2, 3.3, 3.0, 3.1], [1.3, 1.4], [2.8, 2.9, 3.6, 2.5, 2.6], [3.1, 2.9, 3.3],
           [3.4, 3.0, 2.7, 3.6]],
}
# pair -> (RankC.py output, COverlap.py output)
REFERENCE = {
    "en-fr": (0.5647918943262858, 0.5),
    "en-zh": (0.4496065868641504, 0.4),
    "en-de": (0.586506138614024, 0.5),
    "fr-zh": (0.24053125062268157, 0.0),
    "fr-de": (0.6831369733560207, 0.6),
    "zh-de": (0.4629320402946962, 0.2),
}


def _records() -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = {}
    for lang in LANGS:
        for i, losses in enumerate(LOSSES[lang]):
            candidates = [f"{lang}:{k}" for k in range(N_CANDIDATES[i])]
            ranking = bmlama.rank_by_loss(losses)
            out.setdefault(lang, {})[str(i)] = {
                "benchmark": "bmlama17", "item": str(i), "lang": lang, "losses": losses,
                "correct_index": bmlama.correct_index(ranking, candidates, [candidates[GOLD_SLOT[i]]]),
                "scores": [-x for x in losses], "gold": GOLD_SLOT[i],
            }
    return out


def test_every_pair_equals_the_reference_scripts():
    figures = bmlama.pairwise_figures(_records())
    assert set(figures["rankc_pairs"]) == set(REFERENCE)
    for pair, (rankc, coverlap) in REFERENCE.items():
        assert figures["rankc_pairs"][pair] == pytest.approx(rankc, rel=1e-12, abs=1e-15), pair
        assert figures["coverlap_pairs"][pair] == pytest.approx(coverlap, rel=1e-12, abs=1e-15), pair


def test_the_suite_rankc_is_the_reference_rankc():
    """The report's generic path (scores per aligned slot -> cross_lingual_metrics) gives the reference values too."""
    records = _records()
    scores = {str(i): {lang: records[lang][str(i)]["scores"] for lang in LANGS} for i in range(6)}
    gold = {str(i): {lang: GOLD_SLOT[i] for lang in LANGS} for i in range(6)}
    metrics = cross_lingual_metrics(scores, gold)
    for pair, (rankc, _) in REFERENCE.items():
        assert metrics["rankc_pairs"][pair] == pytest.approx(rankc, rel=1e-12, abs=1e-15), pair


def test_p_at_1_is_the_reference_probing_accuracy():
    records = _records()
    # main.py's CorrectIndex for en is [[1], [0], [1], [1], [1], [1]]: item 1's gold ties with slot 1, which comes
    # first; item 4's three-way tie goes to slot 0, the gold.
    assert [r["correct_index"] for r in records["en"].values()] == [[1], [0], [1], [1], [1], [1]]
    assert bmlama.precision_at_1([r["correct_index"] for r in records["en"].values()]) == 5 / 6
    reference = {"fr": [[0], [1], [0], [1], [1], [1]], "zh": [[1], [0], [1], [0], [0], [0]],
                 "de": [[1], [1], [0], [1], [0], [1]]}  # the CorrectIndex files main.py's rule wrote
    for lang, expected in reference.items():
        assert [r["correct_index"] for r in records[lang].values()] == expected
    assert bmlama.rank_by_loss([2.5, 2.5, 2.5]) == [0, 1, 2]
    # Two golds: each counts when it is in the top 2.
    assert bmlama.correct_index([2, 0, 1], ["a", "b", "c"], ["a", "b"]) == [1, 0]
    assert bmlama.precision_at_1([[1, 0], [1]]) == 2 / 3


def test_extras_name_every_pair_and_language():
    flat = [r for per in _records().values() for r in per.values()]
    extras = bmlama.report_extras_17(flat)
    assert extras["rankc/en-fr"] == pytest.approx(REFERENCE["en-fr"][0], rel=1e-12)
    assert extras["coverlap/fr-zh"] == 0.0 and extras["p_at_1/en"] == 5 / 6
    assert extras["rankc_en"] == pytest.approx(sum(REFERENCE[p][0] for p in ("en-fr", "en-zh", "en-de")) / 3)
