"""BMLAMA-17 / -53 (Qi, Fernández and Bisazza, EMNLP 2023): candidate ranking, P@1, RankC and COverlap, as the
reference scripts of https://github.com/Betswish/Cross-Lingual-Consistency (``1_easyrun/main.py``, ``RankC.py``,
``COverlap.py``) compute them.

* **Ranking** (``main.py``, causal LMs): each candidate is put in the ``<mask>`` of the prompt and the *whole
  sentence* is scored by its mean token cross-entropy (``CrossEntropyLoss(reduction='mean')`` over every token after
  the first); candidates are sorted by that loss, ascending, ties in candidate order (Python's stable sort). That is,
  the normalisation is the mean negative log-likelihood per token of the filled-in sentence — prompt tokens included,
  not the candidate's tokens alone. In lm-eval terms: context ``""``, continuation the sentence, score = summed
  log-likelihood / number of sentence tokens (:mod:`xlfact.tasks.per_token`).
* **P@1** (the script's "probing accuracy"): with ``k`` gold answers, a gold counts as found when it is among the
  top ``k`` candidates; precision = found golds / golds, summed over all items of the language (micro).
* **RankC** of a language pair: per item, ``sum_j w_j * |top_j(a) & top_j(b)| / |top_j(a)|`` over candidate
  positions (``softmax`` weights of ``[N, ..., 1]``), averaged over items. Candidates are aligned across languages by
  their position in the row (the files are translations of one another). The per-item value is
  :func:`xlfact.evaluators.consistency.rankc_pair`, xlfact's one RankC.
* **COverlap** of a pair: ``sum_i (#golds correct in both / k_i) / #(item, gold) correct in either`` — the
  reference's formula, whose denominator counts golds and whose numerator counts items (with one gold per item, as in
  the released files, it is |both| / |either|).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from xlfact.evaluators.consistency import ENGLISH, rankc_pair

BENCHMARKS: dict[str, str] = {"bmlama17": "BMLAMA17", "bmlama53": "BMLAMA53"}  # benchmark -> reference folder
LANGUAGES: dict[str, tuple[str, ...]] = {
    # easyrun.sh's lists, in its order.
    "bmlama17": ("en", "fr", "nl", "es", "ru", "ja", "zh", "ko", "vi", "el", "hu", "he", "tr", "ca", "ar", "uk", "fa"),
    "bmlama53": (
        "ca", "az", "en", "ar", "uk", "fa", "tr", "it", "el", "ru", "hr", "hi", "sv", "sq", "fr", "ga", "eu", "de",
        "nl", "et", "he", "es", "bn", "ms", "sr", "hy", "ur", "hu", "la", "sl", "cs", "af", "gl", "fi", "ro", "ko",
        "cy", "th", "be", "id", "pt", "vi", "ka", "ja", "da", "bg", "zh", "pl", "lv", "sk", "lt", "ta", "ceb",
    ),
}
MASK = "<mask>"


def rank_by_loss(losses: Sequence[float]) -> list[int]:
    """Candidate positions by ascending loss, ties in candidate order (``sorted(..., key=loss)`` of the reference)."""
    return sorted(range(len(losses)), key=lambda i: losses[i])


def correct_index(ranking: Sequence[int], candidates: Sequence[str], golds: Sequence[str]) -> list[int]:
    """The reference's ``CorrectIndex`` of one item: per gold, 1 when it is among the top ``len(golds)`` candidates."""
    top = [candidates[i] for i in ranking[: len(golds)]]
    return [1 if gold in top else 0 for gold in golds]


def precision_at_1(correct_indices: Sequence[Sequence[int]]) -> float:
    """``pred_corr / pred_tot`` over all items of one language (micro over gold answers)."""
    total = sum(len(c) for c in correct_indices)
    return sum(sum(c) for c in correct_indices) / total if total else math.nan


def rankc_of_pair(losses_a: Sequence[Sequence[float]], losses_b: Sequence[Sequence[float]]) -> float:
    """RankC of two languages over parallel items (``RankC.py`` with the default softmax weights)."""
    if len(losses_a) != len(losses_b):
        raise ValueError(f"RankC needs parallel items; got {len(losses_a)} and {len(losses_b)}")
    if not losses_a:
        return math.nan
    total = 0.0
    for a, b in zip(losses_a, losses_b):
        total += rankc_pair([-x for x in a], [-x for x in b])
    return total / len(losses_a)


def coverlap_of_pair(correct_a: Sequence[Sequence[int]], correct_b: Sequence[Sequence[int]]) -> float:
    """COverlap of two languages over parallel items (``COverlap.py``; NaN when neither language gets any right)."""
    if len(correct_a) != len(correct_b):
        raise ValueError(f"COverlap needs parallel items; got {len(correct_a)} and {len(correct_b)}")
    consistent = 0.0
    either = 0
    for a, b in zip(correct_a, correct_b):
        if len(a) != len(b):
            raise ValueError("COverlap needs the same number of gold answers in both languages of an item")
        consistent += sum(1 for x, y in zip(a, b) if x == 1 and y == 1) / len(a)
        either += sum(1 for x, y in zip(a, b) if x == 1 or y == 1)
    return consistent / either if either else math.nan


def _pair_names(langs: Sequence[str]) -> list[tuple[str, str]]:
    return list(itertools.combinations(langs, 2))


def pairwise_figures(per_lang: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """RankC and COverlap for every language pair of a run, from ``{lang: {item: record}}`` (records with ``losses``
    and ``correct_index``), each pair over the items both languages have, and their means (all pairs / pairs with
    English)."""
    langs = list(per_lang)
    if ENGLISH in langs:
        langs.remove(ENGLISH)
        langs.insert(0, ENGLISH)
    out: dict[str, Any] = {"rankc_pairs": {}, "coverlap_pairs": {}}
    for a, b in _pair_names(langs):
        items = [i for i in per_lang[a] if i in per_lang[b]]
        items.sort(key=lambda i: (len(i), i))
        name = f"{a}-{b}"
        out["rankc_pairs"][name] = rankc_of_pair([per_lang[a][i]["losses"] for i in items],
                                                 [per_lang[b][i]["losses"] for i in items])
        out["coverlap_pairs"][name] = coverlap_of_pair([per_lang[a][i]["correct_index"] for i in items],
                                                       [per_lang[b][i]["correct_index"] for i in items])
    for key in ("rankc", "coverlap"):
        values = out[f"{key}_pairs"]
        finite = [v for v in values.values() if not math.isnan(v)]
        with_en = [v for n, v in values.items() if ENGLISH in n.split("-") and not math.isnan(v)]
        out[key] = float(np.mean(finite)) if finite else math.nan
        out[f"{key}_en"] = float(np.mean(with_en)) if with_en else math.nan
    return out


def records_by_language(records: Sequence[Mapping[str, Any]], benchmark: str) -> dict[str, dict[str, Mapping]]:
    out: dict[str, dict[str, Mapping]] = {}
    for record in records:
        if record.get("benchmark") == benchmark:
            out.setdefault(record["lang"], {})[str(record["item"])] = record
    return out


def report_extras_for(benchmark: str, records: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """BMLAMA's own figures for ``xlfact report``: P@1 per language (``p_at_1/<lang>``), RankC and COverlap per pair
    (``rankc/<a>-<b>``, ``coverlap/<a>-<b>``) and their means."""
    per_lang = records_by_language(records, benchmark)
    out: dict[str, float] = {}
    for lang, items in per_lang.items():
        out[f"p_at_1/{lang}"] = precision_at_1([r["correct_index"] for r in items.values()])
    figures = pairwise_figures(per_lang)
    for key in ("rankc", "coverlap"):
        out[key] = figures[key]
        out[f"{key}_en"] = figures[f"{key}_en"]
        for pair, value in figures[f"{key}_pairs"].items():
            out[f"{key}/{pair}"] = value
    return out


def report_extras_17(records: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    return report_extras_for("bmlama17", records)


def report_extras_53(records: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    return report_extras_for("bmlama53", records)
