"""KLAR-CLC figures beyond per-language accuracy: seen / held-out macro means, exact match, Jaccard with English.

The paper (Wang et al., ACL 2025, "Lost in Multilinguality") and the Lost-in-Mistranslation follow-up report KLAR as
two macro averages over languages: the languages the models were tuned on ("seen": en es fr ru zh ja ar) and the
held-out ones (ca el fa he hu ko nl tr uk vi). The paper's table header lists ar as held-out, but its numbers use ar as
seen (the authors' summaries reproduce only that way: OLMo-2-1124-7B 24.56 / 13.30), so ar is seen here.

Correctness itself is the shared matcher (:mod:`xlfact.evaluators.matching`); total consistency, en-CO and the
Jaccard form come from :mod:`xlfact.evaluators.consistency`. This module only arranges KLAR's records for them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from xlfact.evaluators.consistency import ENGLISH, clc, clc_per_relation, jaccard_with_english, macro_mean

BENCHMARK = "klar"
SEEN_LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "ru", "zh", "ja", "ar")
OOD_LANGUAGES: tuple[str, ...] = ("ca", "el", "fa", "he", "hu", "ko", "nl", "tr", "uk", "vi")
LANGUAGES: tuple[str, ...] = tuple(sorted(SEEN_LANGUAGES + OOD_LANGUAGES))  # the dataset's 17 folders
SPLITS: dict[str, tuple[str, ...]] = {"seen": SEEN_LANGUAGES, "ood": OOD_LANGUAGES}


def split_means(per_language: Mapping[str, float]) -> dict[str, float]:
    """Macro means over all languages present, the seen languages and the held-out (ood) ones (NaN when none)."""
    return {
        "all": macro_mean(per_language, per_language.keys()),
        **{name: macro_mean(per_language, langs) for name, langs in SPLITS.items()},
    }


def accuracy_from_counts(per_lang: Mapping[str, Sequence[int]]) -> dict[str, float]:
    """``{lang: [n_correct, n]}`` (the authors' summary files) as ``{lang: accuracy}``."""
    out: dict[str, float] = {}
    for lang, counts in per_lang.items():
        if len(counts) != 2:
            raise ValueError(f"language {lang!r}: expected [n_correct, n], got {counts!r}")
        correct, total = counts
        out[lang] = correct / total if total else math.nan
    return out


def correct_by_item(records: Iterable[Mapping[str, Any]], field: str = "correct") -> dict[str, dict[str, bool]]:
    """``{item: {lang: bool}}`` from logged records (``field`` = ``correct`` for the lenient verdict or ``exact``)."""
    out: dict[str, dict[str, bool]] = {}
    for record in records:
        if field not in record:
            raise KeyError(
                f"KLAR record item {record.get('item')!r} lang {record.get('lang')!r} has no {field!r} field"
            )
        out.setdefault(str(record["item"]), {})[record["lang"]] = bool(record[field])
    return out


def accuracy_by_language(correct: Mapping[str, Mapping[str, bool]]) -> dict[str, float]:
    """Fraction correct per language over the items that language has."""
    hits: dict[str, list[int]] = {}
    for per_lang in correct.values():
        for lang, ok in per_lang.items():
            hits.setdefault(lang, [0, 0])
            hits[lang][0] += int(ok)
            hits[lang][1] += 1
    return {lang: n_ok / n for lang, (n_ok, n) in hits.items()}


def mean_without_english(per_language: Mapping[str, float]) -> float:
    """Mean over the languages other than English (an overlap of English with itself is 1 by definition)."""
    return macro_mean(per_language, [lang for lang in per_language if lang != ENGLISH])


def report_extras(records: list[dict]) -> dict[str, float]:
    """KLAR's figures for ``xlfact report``, from the logged records of one run (benchmark ``klar``).

    Keys: ``accuracy_seen`` / ``accuracy_ood`` (macro means of the lenient accuracy over the seen / held-out languages
    present), ``exact_macro`` / ``exact_seen`` / ``exact_ood`` (the same for exact match after normalisation),
    ``jaccard_en/<lang>`` (|C_x ∩ C_en| / |C_x ∪ C_en| over fact ids, each language against English) and
    ``jaccard_en_mean`` (its mean without English). Figures that need a language the run lacks are NaN / absent.
    """
    records = [r for r in records if r.get("benchmark", BENCHMARK) == BENCHMARK]
    correct = correct_by_item(records)
    accuracy = split_means(accuracy_by_language(correct))
    exact = split_means(accuracy_by_language(correct_by_item(records, "exact")))
    out: dict[str, float] = {
        "accuracy_seen": accuracy["seen"],
        "accuracy_ood": accuracy["ood"],
        "exact_macro": exact["all"],
        "exact_seen": exact["seen"],
        "exact_ood": exact["ood"],
    }
    jaccard = jaccard_with_english(correct)
    for lang in sorted(jaccard):
        if lang != ENGLISH:
            out[f"jaccard_en/{lang}"] = jaccard[lang]
    out["jaccard_en_mean"] = mean_without_english(jaccard) if jaccard else math.nan
    return out


TRACE_BENCHMARK = "klar_trace"


def trace_sets(records: list[dict]) -> tuple[dict[str, set[str]], dict[str, str], dict[str, int]]:
    """Correct fact ids per language, relation of each fact, and facts asked per language (klar_trace records)."""
    correct: dict[str, set[str]] = {}
    relation_of: dict[str, str] = {}
    asked: dict[str, int] = {}
    for r in records:
        if r.get("benchmark") != TRACE_BENCHMARK:
            continue
        correct.setdefault(r["lang"], set())
        asked[r["lang"]] = asked.get(r["lang"], 0) + 1
        if r["correct"]:
            correct[r["lang"]].add(str(r["item"]))
        if r.get("relation"):
            relation_of[str(r["item"])] = str(r["relation"])
    return correct, relation_of, asked


def trace_relation_clc(records: list[dict]) -> dict[str, dict[str, float | None]]:
    """``{lang: {relation: CLC}}`` of a run's klar_trace records (English 1.0 by fiat; empty without English; None
    for a relation with no fact asked in the language or in English, as in a ``--limit`` run)."""
    correct, relation_of, _ = trace_sets(records)
    asked: dict[str, set[str]] = {}
    for r in records:
        if r.get("benchmark") == TRACE_BENCHMARK:
            asked.setdefault(r["lang"], set()).add(str(r["item"]))
    return clc_per_relation(correct, relation_of, asked=asked) if ENGLISH in correct else {}


def trace_report_extras(records: list[dict]) -> dict[str, float]:
    """``klar_trace``'s figures for ``xlfact report``: CLC as Liu et al. (2025) define it (per language Jaccard with
    English, 0 for an empty union, English included), ``clc_overall`` (mean over all languages, English included) and
    ``clc_overall_excl_en`` (an extra); per relation: :func:`trace_relation_clc` (the report's klar_trace section)."""
    figures = clc(trace_sets(records)[0])
    out: dict[str, float] = {"clc_overall": figures["overall"], "clc_overall_excl_en": figures["overall_excl_en"]}
    for lang in sorted(figures["per_language"]):
        out[f"clc/{lang}"] = figures["per_language"][lang]
    return out


def trace_report_data(records_by_benchmark: Mapping[str, list[dict]], focus: str = "") -> dict:
    """The klar_trace section as data: CLC per language and relation."""
    records = [r for recs in records_by_benchmark.values() for r in recs]
    return {"clc_per_relation": trace_relation_clc(records)}
