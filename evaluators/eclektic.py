"""ECLeKTic's figures (Goldman et al. 2025, arXiv 2502.21228): overall success and transfer score, per source and
target language, with intervals clustered by question.

Each question comes from one language's Wikipedia (its *source* language) and is asked in every language. With
``correct[q][l]`` the verdict of question ``q`` asked in language ``l`` and ``src(q)`` its source language, the paper
defines, over the (question, target language) pairs with target ≠ source:

* **overall success** = #{(q, t): correct[q][src(q)] and correct[q][t]} / #{(q, t)} — the knowledge is there in the
  source language *and* transferred to the target;
* **transfer score** = the same numerator / #{(q, t): correct[q][src(q)]} — of what the model knows in the source
  language, the share it also knows in the target.

HELM's ``eclektic_metrics.py`` computes its ``overall_transfer`` over *all* rows of the questions answered correctly
in the source language, the source-language rows included: each such question adds one row that is correct by
construction to both numerator and denominator, which raises the figure. :func:`helm_transfer` computes HELM's
version so the difference can be shown (``tests/test_eclektic.py`` works it out by hand); xlfact reports the paper's.

Pairs whose source or target verdict is missing (a language not run, ``--limit``) are left out of both counts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from xlfact.evaluators.consistency import cluster_bootstrap

BENCHMARK = "eclektic"
# The 12 languages of ECLeKTic (HELM's SUPPORTED_LANGUAGES), alphabetical as in the dataset's columns.
LANGUAGES: tuple[str, ...] = ("de", "en", "es", "fr", "he", "hi", "id", "it", "ja", "ko", "pt", "zh")

Correct = Mapping[str, Mapping[str, bool]]  # q_id -> lang -> correct
Sources = Mapping[str, str]  # q_id -> source language


def _pairs(correct: Correct, sources: Sources, questions: Iterable[str] | None = None, *,
           source: str | None = None, target: str | None = None) -> tuple[int, int, int]:
    """(successes, pairs, pairs whose source is correct) over (question, target ≠ source) pairs."""
    success = total = known = 0
    for q in questions if questions is not None else correct:
        src = sources[q]
        if source is not None and src != source:
            continue
        per = correct[q]
        if src not in per:
            continue
        for lang, ok in per.items():
            if lang == src or (target is not None and lang != target):
                continue
            total += 1
            if per[src]:
                known += 1
                success += bool(ok)
    return success, total, known


def overall_success(correct: Correct, sources: Sources, **where: Any) -> float:
    success, total, _ = _pairs(correct, sources, **where)
    return success / total if total else math.nan


def transfer_score(correct: Correct, sources: Sources, **where: Any) -> float:
    success, _, known = _pairs(correct, sources, **where)
    return success / known if known else math.nan


def helm_transfer(correct: Correct, sources: Sources) -> float:
    """HELM's ``overall_transfer``: rows (source-language rows included) of the questions correct in their source
    language that are correct, over those rows."""
    right = rows = 0
    for q, per in correct.items():
        if per.get(sources[q]):
            rows += len(per)
            right += sum(bool(v) for v in per.values())
    return right / rows if rows else math.nan


def figures(correct: Correct, sources: Sources, questions: Sequence[str] | None = None, *,
            by_language: bool = True) -> dict[str, float]:
    """Overall success and transfer, overall and per source / target language (``overall/src=de``,
    ``transfer/tgt=ja``), over ``questions`` (all by default; a bootstrap passes a resample, repeats allowed)."""
    qs = list(questions) if questions is not None else list(correct)
    out = {"overall_success": overall_success(correct, sources, questions=qs),
           "transfer": transfer_score(correct, sources, questions=qs)}
    if not by_language:
        return out
    langs = sorted({lang for q in qs for lang in correct[q]} | {sources[q] for q in qs})
    for lang in langs:
        for side, key in (("source", "src"), ("target", "tgt")):
            out[f"overall_success/{key}={lang}"] = overall_success(correct, sources, questions=qs, **{side: lang})
            out[f"transfer/{key}={lang}"] = transfer_score(correct, sources, questions=qs, **{side: lang})
    return {k: v for k, v in out.items() if not (k.count("/") and math.isnan(v))}


def intervals(correct: Correct, sources: Sources, *, n_resamples: int = 1000, seed: int = 0,
              confidence_level: float = 0.95, by_language: bool = False) -> dict[str, tuple[float, float]]:
    """Percentile intervals of :func:`figures` (the headline two unless ``by_language``), resampling questions with
    the suite's cluster bootstrap (a question's languages stay together)."""
    qs = list(correct)
    names = figures(correct, sources, by_language=by_language)

    def figures_of(idx: np.ndarray) -> dict[str, float]:
        drawn = figures(correct, sources, [qs[i] for i in idx], by_language=by_language)
        return {name: drawn.get(name, math.nan) for name in names}

    return cluster_bootstrap(len(qs), figures_of, n_resamples=n_resamples, seed=seed,
                             confidence_level=confidence_level)


def from_records(records: Iterable[Mapping[str, Any]]) -> tuple[dict[str, dict[str, bool]], dict[str, str]]:
    """(correct, sources) from per-sample records carrying ``source_lang``."""
    correct: dict[str, dict[str, bool]] = {}
    sources: dict[str, str] = {}
    for record in records:
        if record.get("benchmark") != BENCHMARK:
            continue
        item = str(record["item"])
        correct.setdefault(item, {})[record["lang"]] = bool(record["correct"])
        sources[item] = str(record["source_lang"])
    return correct, sources


def report_extras(records: list[dict[str, Any]], n_resamples: int = 200) -> dict[str, float]:
    """ECLeKTic's figures for ``xlfact report``: overall success and transfer (and per source / target language),
    each with a 95% interval clustered by question (``<name>_ci_low`` / ``<name>_ci_high`` for the two headline
    figures), and HELM's transfer for comparison."""
    correct, sources = from_records(records)
    if not correct:
        return {}
    out = dict(figures(correct, sources))
    for name, (low, high) in intervals(correct, sources, n_resamples=n_resamples).items():
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = low, high
    out["transfer_helm"] = helm_transfer(correct, sources)
    return out


# ----------------------------------------------------------------------------------------------- optional LLM judge
# The judging protocol of the paper as HELM runs it: a judge model sees the source passage in the asked language, the
# question and the model's answer, and says YES when the answer follows from the passage. Wording is xlfact's.
JUDGE_PROMPT = (
    "You grade answers to questions about a passage.\n"
    "The passage, the question and the answer are in {language}.\n"
    "Reply with one English word: YES if the answer is supported by the passage, NO otherwise.\n\n"
    "Passage:\n{context}\n\nQuestion:\n{question}\n\nAnswer:\n{answer}\n\nVerdict:"
)


def judge_says_correct(reply: str) -> bool:
    """HELM's reading of the judge's reply: correct when it contains "yes" (case-insensitive)."""
    return "yes" in (reply or "").lower()
