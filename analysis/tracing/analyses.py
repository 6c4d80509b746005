"""The analyses of multilingual fact tracing, per checkpoint, exactly as spec §4-§6 (MFT ``frequency_correctness.py``).

- :func:`p_correct_given_frequency`: 29 log-spaced bins, edges ``np.logspace(0, log10(M+1), 30)``, ``np.histogram``
  (last bin closed); frequency-0 facts fall below the first edge and are dropped. Pooled over languages: M = max of
  the pooled data, empty bin -> 0. Per language: M = ``max(1, max over the whole frequency file)``, empty bin -> NaN.
- :func:`threshold_classifier`: thresholds = the observed frequencies ascending, predict correct iff ``freq >= t``,
  accuracy, strict ``>`` (the smallest threshold wins ties), starting from 0; zero-frequency facts kept; index lists
  in frequency-sorted (stable) order.
- :func:`fn_analysis`: per false-negative fact (recalled although rarer than the threshold), its frequency and
  correctness in every language, whether English recalls it and from which checkpoint on; FN relations; the
  per-language transfer summary with and without identical-object facts (object equal to the English object; the
  rule is reconstructed, MFT never wrote that file).

Facts, languages and orders come from the frequency file. By default a language is analysed only if the records have
it, over the facts the records asked (so ``--limit`` runs are not scored as all-wrong on facts never asked), and a
relation with no fact asked is null in ``per_language_per_relation_acc`` and ``clc.per_relation`` (not measured);
``mft_strict_languages=True`` reproduces MFT: every language and fact of the file, unasked ones incorrect, 0 for a
relation without facts asked.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlfact.analysis.tracing.frequencies import FrequencyTable
from xlfact.analysis.tracing.records import CheckpointRecords
from xlfact.evaluators.consistency import ENGLISH, clc, clc_per_relation

N_EDGES = 30  # 29 bins
CLASSES = ("fn", "tp", "tn", "fp")


# ----------------------------------------------------------------------------------------------- §4 bins
def frequency_edges(max_frequency: float) -> np.ndarray:
    """``np.logspace(log10(1), log10(M + 1), 30)``: 30 edges, 29 log-uniform bins from 1 to M+1."""
    return np.logspace(np.log10(1), np.log10(max_frequency + 1), N_EDGES)


def binned_recall(freqs: np.ndarray, labels: np.ndarray, edges: np.ndarray, *, empty: float) -> dict[str, Any]:
    """Counts per bin (``np.histogram``: ``e_k <= f < e_k+1``, last bin closed; f < 1 dropped) and P(correct).

    ``empty`` is the probability of an empty bin: 0 for the pooled curve, NaN per language (JSON null).
    """
    total, _ = np.histogram(freqs, bins=edges)
    correct, _ = np.histogram(freqs[labels], bins=edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = np.where(total > 0, correct / np.maximum(total, 1), empty)
    return {
        "edges": edges.tolist(),
        "centers": np.sqrt(edges[:-1] * edges[1:]).tolist(),
        "total": total.astype(int).tolist(),
        "correct": correct.astype(int).tolist(),
        "prob": [None if math.isnan(p) else float(p) for p in prob],
        "n_zero_frequency_dropped": int(np.sum(freqs < edges[0])),
    }


# ----------------------------------------------------------------------------------------------- §5 classifier
def threshold_classifier(indices: np.ndarray, freqs: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """The per-language frequency-threshold classifier on frequency-sorted (stable) arrays.

    Vectorised form of MFT's loop: for the sorted frequencies, threshold ``t_k`` predicts the suffix from the first
    position of ``t_k`` on; accuracy = (correct in the suffix + incorrect before it) / n; the first maximum wins (the
    strict ``>``), and only if it beats 0. "Everything incorrect" is not a candidate. When no threshold beats 0 (every
    prediction wrong) MFT reuses stale sets from the previous language; here ``best_threshold`` is None and the sets
    are empty.
    """
    n = len(freqs)
    out: dict[str, Any] = {"n": n, "best_threshold": None, "best_accuracy": 0.0}
    empty = {"true_positive": [], "true_negative": [], "false_positive": [], "false_negative": []}
    if n:
        thresholds = np.unique(freqs)
        starts = np.searchsorted(freqs, thresholds, side="left")
        cum = np.concatenate([[0], np.cumsum(labels, dtype=np.int64)])
        hits = (cum[-1] - cum[starts]) + (starts - cum[starts])
        best = int(np.argmax(hits))
        if hits[best] > 0:
            preds = np.zeros(n, dtype=bool)
            preds[starts[best]:] = True
            out["best_threshold"] = int(thresholds[best])
            out["best_accuracy"] = float(hits[best] / n)
            empty = {
                "true_positive": indices[preds & labels].tolist(),
                "true_negative": indices[~preds & ~labels].tolist(),
                "false_positive": indices[preds & ~labels].tolist(),
                "false_negative": indices[~preds & labels].tolist(),
            }
    for name, members in empty.items():
        out[f"{name}_indices"] = members
        out[f"n_{name}"] = len(members)
    out["all_indices"] = indices.tolist()
    out["majority_rate"] = float(max(labels.mean(), 1 - labels.mean())) if n else math.nan
    return out


# ----------------------------------------------------------------------------------------------- per checkpoint
@dataclass(frozen=True)
class LanguageArrays:
    """One language's analysed facts, stable-sorted by frequency."""

    indices: np.ndarray
    freqs: np.ndarray
    labels: np.ndarray


def language_arrays(table: FrequencyTable, lang: str, records: CheckpointRecords, strict: bool) -> LanguageArrays:
    facts = table.languages[lang]
    keep = np.ones(len(facts.indices), dtype=bool)
    if not strict:
        asked = records.asked.get(lang, set())
        keep = np.isin(facts.indices, np.fromiter(asked, dtype=np.int64, count=len(asked)))
    indices, freqs = facts.indices[keep], facts.frequencies[keep]
    order = np.argsort(freqs, kind="stable")
    indices, freqs = indices[order], freqs[order]
    correct = records.correct.get(lang, set())
    labels = np.isin(indices, np.fromiter(correct, dtype=np.int64, count=len(correct)))
    return LanguageArrays(indices, freqs, labels)


def analysed_languages(table: FrequencyTable, records: CheckpointRecords, strict: bool) -> list[str]:
    return [lang for lang in table.languages if strict or lang in records.asked]


def identical_object_indices(table: FrequencyTable) -> dict[str, list[int]]:
    """Per non-English language: facts whose object string equals the English object of the same index (exact)."""
    if ENGLISH not in table.languages:
        return {}
    en = table.languages[ENGLISH]
    en_object = {int(i): o for i, o in zip(en.indices, en.objects)}
    return {
        lang: [int(i) for i, o in zip(facts.indices, facts.objects) if en_object.get(int(i)) == o]
        for lang, facts in table.languages.items() if lang != ENGLISH
    }


def _share(members: Sequence[int], en_correct: set[int]) -> dict[str, Any]:
    n = len(members)
    hit = sum(1 for i in members if i in en_correct)
    return {"n": n, "n_en_correct": hit, "share_en_correct": hit / n if n else math.nan}


def fn_analysis(
    table: FrequencyTable, records: CheckpointRecords, classifier: Mapping[str, Mapping[str, Any]],
    en_learned_at: Mapping[int, str | None], identical: Mapping[str, list[int]],
) -> dict[str, Any]:
    """§6: the FN facts of each language against every language, and the transfer summary."""
    positions = {lang: facts.position() for lang, facts in table.languages.items()}
    en_correct = records.correct.get(ENGLISH, set())
    fn_facts: dict[str, dict[str, Any]] = {}
    fn_relations: dict[str, dict[str, int]] = {}
    summary: dict[str, dict[str, Any]] = {}
    for lang, result in classifier.items():
        facts, pos = table.languages[lang], positions[lang]
        per: dict[str, Any] = {}
        for i in result["false_negative_indices"]:
            k = pos[i]
            per[str(i)] = {
                "subject": facts.subjects[k], "object": facts.objects[k], "relation": facts.relations[k],
                "frequencies": {o: int(table.languages[o].frequencies[positions[o][i]]) if i in positions[o] else 0
                                for o in table.languages},
                "correctness": {o: i in records.correct.get(o, set()) for o in table.languages},
                "en_learned_at": en_learned_at.get(i),
            }
        fn_facts[lang] = per
        fn_relations[lang] = dict(Counter(facts.relations[pos[i]] for i in result["false_negative_indices"])
                                  .most_common())
        if lang == ENGLISH:
            continue
        same = set(identical.get(lang, ()))
        classes = {c: result[f"{name}_indices"] for c, name in zip(
            CLASSES, ("false_negative", "true_positive", "true_negative", "false_positive"))}
        entry: dict[str, Any] = {}
        for c, members in classes.items():
            entry[c] = _share(members, en_correct)
            entry[f"{c}_no_identical"] = _share([i for i in members if i not in same], en_correct)
        fn = classes["fn"]
        entry["fn_en_learned"] = sum(1 for i in fn if en_learned_at.get(i) is not None)
        entry["median_fn_frequency"] = float(np.median([per[str(i)]["frequencies"][lang] for i in fn])) if fn \
            else math.nan
        entry["median_fn_frequency_en"] = float(np.median([per[str(i)]["frequencies"].get(ENGLISH, 0) for i in fn])) \
            if fn else math.nan
        entry["fn_relations_no_identical"] = dict(Counter(
            facts.relations[pos[i]] for i in fn if i not in same).most_common())
        summary[lang] = entry
    return {"crosslingual_fn_freqs": fn_facts, "fn_relations": fn_relations, "transfer_summary": summary}


def learned_at_series(checkpoints: Sequence[CheckpointRecords], lang: str = ENGLISH) -> list[dict[int, str | None]]:
    """For each checkpoint k, ``{fact: checkpoint from which it has stayed correct through k}`` (None: not correct at
    k) — the "learned at" column of ``first_learned.csv``, computed incrementally for every prefix of the trace."""
    out: list[dict[int, str | None]] = []
    current: dict[int, str] = {}
    for c in checkpoints:
        correct = c.correct.get(lang, set())
        current = {i: current.get(i, c.name) for i in correct}
        out.append(dict(current))
    return out


def analyse_checkpoint(
    table: FrequencyTable, records: CheckpointRecords, en_learned_at: Mapping[int, str | None], *,
    strict: bool = False, identical: Mapping[str, list[int]] | None = None,
) -> dict[str, Any]:
    """Every figure of one checkpoint (the ``checkpoints.<name>`` entry of ``xlfact trace frequency``)."""
    langs = analysed_languages(table, records, strict)
    arrays = {lang: language_arrays(table, lang, records, strict) for lang in langs}
    relation_of = {int(i): r for facts in table.languages.values() for i, r in zip(facts.indices, facts.relations)}
    per_acc = {lang: len(records.correct.get(lang, ())) / len(records.asked[lang]) if records.asked.get(lang) else 0.0
               for lang in langs}
    correct_sets = {lang: {int(i) for i in a.indices[a.labels]} for lang, a in arrays.items()}
    clc_figures = clc(correct_sets, langs)
    clc_figures["per_relation"] = clc_per_relation(
        correct_sets, relation_of, langs, asked=None if strict else records.asked) if clc_figures["available"] else {}
    pooled_f = np.concatenate([a.freqs for a in arrays.values()]) if arrays else np.zeros(0, dtype=np.int64)
    pooled_l = np.concatenate([a.labels for a in arrays.values()]) if arrays else np.zeros(0, dtype=bool)
    pooled_m = int(pooled_f.max()) if len(pooled_f) else 0
    per_edges = frequency_edges(table.global_max)
    classifier = {lang: threshold_classifier(a.indices, a.freqs, a.labels) for lang, a in arrays.items()}
    n_total = sum(len(records.asked.get(lang, ())) for lang in langs)
    per_relation_acc: dict[str, dict[str, float | None]] = {}
    for lang in langs:  # MFT's per_language_per_relation_acc: relations sorted; a relation without facts asked is
        # None (not measured: a --limit run), or 0 as MFT writes it with mft_strict_languages
        asked, right = records.asked.get(lang, set()), records.correct.get(lang, set())
        counts: dict[str, list[int]] = {rel: [0, 0] for rel in sorted(set(table.languages[lang].relations))}
        for i, rel in zip(table.languages[lang].indices.tolist(), table.languages[lang].relations):
            if i in asked:
                counts[rel][0] += int(i in right)
                counts[rel][1] += 1
        per_relation_acc[lang] = {rel: (c / n if n else 0.0 if strict else None) for rel, (c, n) in counts.items()}
    return {
        "step": records.step,
        "languages": langs,
        "recall": {
            "per_language_acc": per_acc,
            "overall_acc": sum(len(records.correct.get(lang, ())) for lang in langs) / n_total if n_total else 0.0,
            "per_language_per_relation_acc": per_relation_acc,
        },
        "clc": clc_figures,
        "p_correct_given_frequency": {
            "pooled": {"max_frequency": pooled_m,
                       **binned_recall(pooled_f, pooled_l, frequency_edges(pooled_m), empty=0.0)},
            "per_language": {lang: {"max_frequency": table.global_max,
                                    **binned_recall(a.freqs, a.labels, per_edges, empty=math.nan)}
                             for lang, a in arrays.items()},
        },
        "threshold_classifier": classifier,
        "fn_analysis": fn_analysis(table, records, classifier, en_learned_at,
                                   identical if identical is not None else identical_object_indices(table)),
    }


def analyse(table: FrequencyTable, checkpoints: Sequence[CheckpointRecords], *, strict: bool = False) -> dict:
    """Every checkpoint in training order, plus the transfer share over checkpoints (what the plot shows)."""
    identical = identical_object_indices(table)
    learned = learned_at_series(checkpoints)
    per = {c.name: analyse_checkpoint(table, c, learned[k], strict=strict, identical=identical)
           for k, c in enumerate(checkpoints)}
    transfer: dict[str, dict[str, list[Any]]] = {}
    for entry in per.values():
        for lang, s in entry["fn_analysis"]["transfer_summary"].items():
            t = transfer.setdefault(lang, {"share_en_correct": [], "share_en_correct_no_identical": [], "n_fn": []})
            t["share_en_correct"].append(s["fn"]["share_en_correct"])
            t["share_en_correct_no_identical"].append(s["fn_no_identical"]["share_en_correct"])
            t["n_fn"].append(s["fn"]["n"])
    return {
        "frequencies": table.source,
        "mft_strict_languages": strict,
        "order": [c.name for c in checkpoints],
        "steps": [c.step for c in checkpoints],
        "identical_object_indices": identical,
        "transfer_over_checkpoints": transfer,
        "checkpoints": per,
    }
