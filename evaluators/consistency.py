"""Cross-lingual metrics over parallel items: one implementation for every benchmark.

An *item* (a fact, a Global-MMLU question, a CLiKA item) is asked in several languages. Its option slots are aligned
across languages (slot 2 is the same answer in every language), so we can ask whether a model knows the fact in every
language (total consistency), whether what it knows in a language it also knows in English (en-CO), and whether it
ranks the candidate answers the same way across languages (RankC, Qi et al. 2023, "Cross-Lingual Consistency of
Factual Knowledge in Multilingual Language Models").

Everything here is a pure function of ``scores`` and ``gold``; tasks, the report, the leaderboard and training
callbacks import it. Confidence intervals resample *facts* (clusters), never rows, because the languages of one fact
are not independent observations.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from xlfact.core.stats import resample_items

Scores = Mapping[str, Mapping[str, Sequence[float]]]  # item_id -> lang -> score per option slot
Gold = Mapping[str, Mapping[str, int]]  # item_id -> lang -> gold slot
Correct = Mapping[str, Mapping[str, bool]]  # item_id -> lang -> correct?

ENGLISH = "en"


def argmax_first(values: Sequence[float]) -> int:
    """Index of the highest score; ties go to the first slot (the authors' rule, and ``numpy.argmax``'s)."""
    best = 0
    for i in range(1, len(values)):
        if values[i] > values[best]:
            best = i
    return best


def stable_ranking(values: Sequence[float]) -> list[int]:
    """Option slots from best to worst; equal scores keep slot order (a stable descending sort)."""
    return sorted(range(len(values)), key=lambda i: -values[i])


def rankc_weights(n: int) -> np.ndarray:
    """RankC's weights w_j = e^(N-j) / sum_k e^(N-k) for j = 1..N (Qi et al. 2023, Eq. 2).

    Computed as the reference ``RankC.py`` does (``softmax`` of the order ``[N, N-1, ..., 1]``), so the weights are
    the reference's floats, not just equal in exact arithmetic.
    """
    order = np.array([n - i for i in range(n)])
    return np.exp(order) / np.sum(np.exp(order), axis=0)


def rankc_pair(scores_a: Sequence[float], scores_b: Sequence[float]) -> float:
    """RankC of one item between two languages: sum_j w_j * |top_j(a) & top_j(b)| / j."""
    if len(scores_a) != len(scores_b):
        raise ValueError(f"RankC needs aligned option slots; got {len(scores_a)} and {len(scores_b)} scores")
    n = len(scores_a)
    rank_a, rank_b = stable_ranking(scores_a), stable_ranking(scores_b)
    weights = rankc_weights(n)
    total = 0.0
    for j in range(1, n + 1):
        top_a = set(rank_a[:j])
        total += weights[j - 1] * (len(top_a & set(rank_b[:j])) / len(top_a))
    return float(total)


def languages_of(items: Mapping[str, Mapping[str, object]]) -> list[str]:
    """Languages in first-seen order, English first when present (it is the pivot of en-CO and RankC-en)."""
    seen: dict[str, None] = {}
    for per_lang in items.values():
        for lang in per_lang:
            seen.setdefault(lang, None)
    langs = list(seen)
    if ENGLISH in seen:
        langs.remove(ENGLISH)
        langs.insert(0, ENGLISH)
    return langs


def correctness(scores: Scores, gold: Gold) -> dict[str, dict[str, bool]]:
    """Whether each (item, language) prediction — the first highest-scoring slot — is the gold slot."""
    out: dict[str, dict[str, bool]] = {}
    for item, per_lang in scores.items():
        if item not in gold:
            raise KeyError(f"item {item!r} has scores but no gold answer")
        out[item] = {}
        for lang, values in per_lang.items():
            if lang not in gold[item]:
                raise KeyError(f"item {item!r} language {lang!r} has scores but no gold answer")
            out[item][lang] = argmax_first(values) == int(gold[item][lang])
    return out


@dataclass(frozen=True)
class ItemTable:
    """Per-item quantities from which every metric is a (ratio of) mean(s); the unit a cluster bootstrap resamples.

    ``correct[i, l]`` is 1.0/0.0, NaN where item i lacks language l; ``rankc[i, p]``/``agree[i, p]`` hold the
    per-item value of language pair p (NaN where either language is missing, or where the two languages' option
    slots cannot be aligned: ``unaligned`` counts those item-pairs).
    """

    items: list[str]
    langs: list[str]
    pairs: list[tuple[str, str]]
    correct: np.ndarray
    rankc: np.ndarray | None
    agree: np.ndarray | None
    unaligned: int = 0


def item_table(correct: Correct, scores: Scores | None = None,
               slot_keys: Mapping[str, Mapping[str, Sequence[str]]] | None = None) -> ItemTable:
    """Arrange per-item correctness (and, given scores, per-pair RankC and agreement) as arrays over items.

    ``slot_keys`` (``{item: {lang: key per slot}}``, e.g. option ids or normalised option texts in slot order) says
    what each slot holds; a pair whose two languages hold different keys cannot be aligned slot by slot, so it is left
    out of RankC and agreement (and counted), never compared position by position.
    """
    items = list(correct)
    langs = languages_of(correct)
    lang_index = {lang: j for j, lang in enumerate(langs)}
    table = np.full((len(items), len(langs)), np.nan)
    for i, item in enumerate(items):
        for lang, ok in correct[item].items():
            table[i, lang_index[lang]] = 1.0 if ok else 0.0
    pairs = list(itertools.combinations(langs, 2))
    rankc = agree = None
    unaligned = 0
    if scores is not None:
        rankc = np.full((len(items), len(pairs)), np.nan)
        agree = np.full((len(items), len(pairs)), np.nan)
        for i, item in enumerate(items):
            per_lang = scores[item]
            keys = (slot_keys or {}).get(item, {})
            for p, (a, b) in enumerate(pairs):
                if a in per_lang and b in per_lang:
                    if a in keys and b in keys and list(keys[a]) != list(keys[b]):
                        unaligned += 1
                        continue
                    rankc[i, p] = rankc_pair(per_lang[a], per_lang[b])
                    agree[i, p] = float(argmax_first(per_lang[a]) == argmax_first(per_lang[b]))
    return ItemTable(items, langs, pairs, table, rankc, agree, unaligned)


def slot_keys_of(by_item: Mapping[str, Mapping[str, Mapping]]) -> dict[str, dict[str, list[str]]]:
    """``{item: {lang: record["option_ids"]}}`` of per-sample records (``{item: {lang: record}}``) that say what each
    option slot holds, for :func:`item_table`'s alignment check."""
    return {item: {lang: list(r["option_ids"]) for lang, r in per.items() if r.get("option_ids")}
            for item, per in by_item.items()}


def _nanmean(values: np.ndarray, axis: int = 0) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        counts = np.sum(~np.isnan(values), axis=axis)
        sums = np.nansum(values, axis=axis)
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def metrics_from_table(table: ItemTable) -> dict:
    """All cross-lingual metrics from an :class:`ItemTable` (see :func:`cross_lingual_metrics` for the keys)."""
    c = table.correct
    langs = table.langs
    accuracy = _nanmean(c, axis=0)
    complete = ~np.isnan(c).any(axis=1)
    full = c[complete]
    out: dict = {
        "languages": list(langs),
        "n_items": {lang: int(np.sum(~np.isnan(c[:, j]))) for j, lang in enumerate(langs)},
        "n_items_all_languages": int(complete.sum()),
        "accuracy": {lang: float(accuracy[j]) for j, lang in enumerate(langs)},
        "total_consistency": float(np.mean(np.all(full == 1.0, axis=1))) if len(full) else math.nan,
        "mean_languages_correct": float(np.mean(np.sum(full, axis=1))) if len(full) else math.nan,
    }
    en_co: dict[str, float] = {}
    if ENGLISH in langs:
        en = c[:, langs.index(ENGLISH)]
        for j, lang in enumerate(langs):
            both_present = ~np.isnan(c[:, j]) & ~np.isnan(en)
            right_here = (c[:, j] == 1.0) & both_present
            n_right = int(right_here.sum())
            en_co[lang] = float(np.sum(right_here & (en == 1.0)) / n_right) if n_right else math.nan
    out["en_co"] = en_co
    non_en = [v for lang, v in en_co.items() if lang != ENGLISH and not math.isnan(v)]
    out["en_co_mean"] = float(np.mean(non_en)) if non_en else math.nan
    if table.rankc is not None and table.agree is not None:
        pair_rankc = _nanmean(table.rankc, axis=0)
        pair_agree = _nanmean(table.agree, axis=0)
        names = [f"{a}-{b}" for a, b in table.pairs]
        with_en = [p for p, (a, b) in enumerate(table.pairs) if ENGLISH in (a, b)]
        out["rankc_pairs"] = {n: float(v) for n, v in zip(names, pair_rankc)}
        out["answer_agreement_pairs"] = {n: float(v) for n, v in zip(names, pair_agree)}
        out["rankc"] = float(np.mean(pair_rankc)) if len(names) else math.nan
        out["rankc_en"] = float(np.mean(pair_rankc[with_en])) if with_en else math.nan
        out["answer_agreement"] = float(np.mean(pair_agree)) if len(names) else math.nan
        out["rankc_unaligned"] = table.unaligned
    return out


def cross_lingual_metrics(scores: Scores, gold: Gold,
                          slot_keys: Mapping[str, Mapping[str, Sequence[str]]] | None = None) -> dict:
    """Per-language accuracy and cross-lingual consistency of a model over parallel items.

    Args:
        scores: ``{item_id: {lang: [score per option slot]}}``; slots aligned across languages (same slot = same
            answer). Higher is better; the prediction is the first highest-scoring slot.
        gold: ``{item_id: {lang: gold slot}}``.

    Returns a dict with
        ``accuracy`` ({lang: float}), ``total_consistency`` (fraction of the items present in *all* languages that
        are correct in all of them), ``mean_languages_correct`` (over those same items), ``en_co`` ({lang: of the
        items correct in lang, the fraction also correct in English}) and ``en_co_mean`` (its mean without English),
        ``rankc`` / ``rankc_en`` (RankC@N averaged over all language pairs / over pairs with English; each pair over
        the items present in both), ``answer_agreement`` (same top-1 slot, mean over pairs), the per-pair values
        ``rankc_pairs`` and ``answer_agreement_pairs``, and counts (``n_items``, ``n_items_all_languages``).
        Items missing a language count for the languages they have, as the authors' evaluator does.
    """
    return metrics_from_table(item_table(correctness(scores, gold), scores, slot_keys))


def consistency_from_correct(correct: Correct) -> dict:
    """The correctness-only metrics (accuracy, total consistency, en-CO) when no option scores exist (free-form)."""
    return metrics_from_table(item_table(correct))


def jaccard_with_english(correct: Correct) -> dict[str, float]:
    """|C_x & C_en| / |C_x | C_en| over item ids, per language (the multilingual fact-tracing form of overlap)."""
    out: dict[str, float] = {}
    langs = languages_of(correct)
    if ENGLISH not in langs:
        return out
    for lang in langs:
        both = [item for item, per in correct.items() if lang in per and ENGLISH in per]
        right_x = {item for item in both if correct[item][lang]}
        right_en = {item for item in both if correct[item][ENGLISH]}
        union = right_x | right_en
        out[lang] = len(right_x & right_en) / len(union) if union else math.nan
    return out


def flat_figures(metrics: Mapping) -> dict[str, float]:
    """The figures of :func:`metrics_from_table` that get an interval, flattened to ``name`` / ``name/lang``."""
    out: dict[str, float] = {}
    accuracies = [v for v in metrics.get("accuracy", {}).values() if not math.isnan(v)]
    if accuracies:
        out["accuracy_macro"] = float(np.mean(accuracies))
    for key in ("total_consistency", "mean_languages_correct", "en_co_mean", "rankc", "rankc_en", "answer_agreement"):
        if key in metrics:
            out[key] = metrics[key]
    for key in ("accuracy", "en_co"):
        for lang, value in metrics.get(key, {}).items():
            out[f"{key}/{lang}"] = value
    return out


def cluster_bootstrap(
    n_clusters: int,
    figures_of: Callable[[np.ndarray], Mapping[str, float]],
    *,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of every figure ``figures_of(cluster_indices)`` returns, resampling whole clusters with
    the suite's one cluster bootstrap (:func:`xlfact.core.stats.resample_items`).

    ``figures_of`` gets an array of cluster indices (0 .. n_clusters-1, drawn with replacement) and returns the
    figures of that resample; called once with ``arange(n_clusters)`` for the names. A cluster is what is not
    independent (a fact and its languages, an ECLeKTic question and its target languages); resampling rows instead
    would give intervals that are too narrow. NaN draws are left out; fewer than 2 clusters gives NaN intervals.
    """
    if n_clusters < 2:
        return {name: (math.nan, math.nan) for name in figures_of(np.arange(n_clusters))}
    _, draws = resample_items(figures_of, n_clusters, n_resamples=n_resamples, seed=seed)
    alpha = (1.0 - confidence_level) / 2.0
    out: dict[str, tuple[float, float]] = {}
    for name, arr in draws.items():
        arr = arr[~np.isnan(arr)]
        if len(arr) == 0:
            out[name] = (math.nan, math.nan)
        else:
            out[name] = (float(np.quantile(arr, alpha)), float(np.quantile(arr, 1.0 - alpha)))
    return out


def bootstrap_intervals(
    table: ItemTable,
    *,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """Percentile intervals for every figure of :func:`flat_figures`, resampling whole items (facts) with
    :func:`cluster_bootstrap`: all languages of a drawn item stay together."""

    def figures_of(idx: np.ndarray) -> dict[str, float]:
        sample = ItemTable(
            table.items,
            table.langs,
            table.pairs,
            table.correct[idx],
            None if table.rankc is None else table.rankc[idx],
            None if table.agree is None else table.agree[idx],
            table.unaligned,
        )
        return flat_figures(metrics_from_table(sample))

    return cluster_bootstrap(len(table.items), figures_of, n_resamples=n_resamples,
                             confidence_level=confidence_level, seed=seed)


def macro_mean(values: Mapping[str, float], langs: Iterable[str]) -> float:
    """Mean of ``values`` over ``langs`` that are present (NaN when none are)."""
    chosen = [values[lang] for lang in langs if lang in values and not math.isnan(values[lang])]
    return float(np.mean(chosen)) if chosen else math.nan


# ------------------------------------------------------------------------------------ CLC (multilingual fact tracing)
def jaccard(a: Iterable[object], b: Iterable[object], empty: float = 0.0) -> float:
    """|a & b| / |a | b|, ``empty`` when the union is empty (MFT's ``compute_jaccard``: 0)."""
    a, b = set(a), set(b)
    union = a | b
    return len(a & b) / len(union) if union else empty


def clc(correct_indices: Mapping[str, Iterable[object]], languages: Iterable[str] | None = None) -> dict:
    """Cross-lingual consistency as Liu et al. (2025) define it, from each language's set of correct fact ids.

    ``per_language[l]`` = Jaccard(C_l, C_en), 0 for an empty union; English is included and is 1.0, or 0 when
    English has no correct fact (MFT overwrites its 1.0 with Jaccard(C_en, C_en)). ``overall`` = the mean over all
    languages, English included; ``overall_excl_en`` is the same without English (an extra, labelled as such).
    Without English records ``available`` is False and the figures are NaN (MFT would silently report 0).
    ``languages`` (default: the keys of ``correct_indices``) fixes which languages are averaged; a language without
    records counts as having no correct fact.
    """
    langs = list(correct_indices) if languages is None else list(languages)
    if ENGLISH not in correct_indices:
        nan = {lang: math.nan for lang in langs}
        return {"available": False, "per_language": nan, "overall": math.nan, "overall_excl_en": math.nan}
    english = set(correct_indices[ENGLISH])
    per = {lang: jaccard(correct_indices.get(lang, ()), english) for lang in langs}
    others = [v for lang, v in per.items() if lang != ENGLISH]
    return {
        "available": True,
        "per_language": per,
        "overall": float(np.mean(list(per.values()))) if per else math.nan,
        "overall_excl_en": float(np.mean(others)) if others else math.nan,
    }


def clc_per_relation(
    correct_indices: Mapping[str, Iterable[object]], relation_of: Mapping[object, str],
    languages: Iterable[str] | None = None, *, asked: Mapping[str, Iterable[object]] | None = None,
) -> dict[str, dict[str, float | None]]:
    """``{lang: {relation: Jaccard(C_l^r, C_en^r)}}`` (0 for an empty union; English 1.0 by fiat, as MFT writes it),
    relations sorted; ``relation_of`` maps a fact id to its relation (ids are unique across KLAR relations).

    With ``asked`` (``{lang: fact ids asked}``), a relation none of whose facts was asked in the language, or in
    English, is None (JSON null): a ``--limit`` run did not measure it, and 0 or 1 there would be invented."""
    langs = list(correct_indices) if languages is None else list(languages)
    relations = sorted(set(relation_of.values()))
    english = set(correct_indices.get(ENGLISH, ()))

    def measured(lang: str) -> set[str]:
        return {relation_of.get(i) for i in (asked or {}).get(lang, ())}

    en_measured = measured(ENGLISH)
    out: dict[str, dict[str, float | None]] = {}
    for lang in langs:
        mine = set(correct_indices.get(lang, ()))
        known = measured(lang) & en_measured
        out[lang] = {
            rel: None if asked is not None and rel not in known else 1.0 if lang == ENGLISH else jaccard(
                {i for i in mine if relation_of.get(i) == rel}, {i for i in english if relation_of.get(i) == rel})
            for rel in relations
        }
    return out
