"""MKQA's official scoring (Longpre et al. 2021), reimplemented: per-language normalisation, EM and token F1 as the
maximum over every gold string (answer texts and their aliases), and the answerable / unanswerable summaries.

The rule is that of ``mkqa_eval.py`` / ``mkqa_eval_util.py`` in https://github.com/apple/ml-mkqa, reproduced here
exactly (``tests/test_mkqa_reference.py`` replays the official test cases item by item). Things that look odd but
are the reference's behaviour, kept so that verdicts equal the official ones:

* normalisation is ``str.lower()``, removal of ASCII punctuation (``string.punctuation`` only: ``。`` and ``，``
  survive), removal of per-language articles by the regexes of :data:`ARTICLE_REGEX_BY_LANG` (the Arabic one
  deletes every ``ال``; the French and Italian ones have no closing ``\\b``, so ``de`` is also cut from ``des``),
  then whitespace tokenisation joined by single spaces;
* "mixed segmentation" for zh_cn / zh_hk / zh_tw / ja / th / km puts *every character* in its own token (the
  reference's loop never fills its buffer of non-CJK characters, so Latin words are split into letters too);
* a gold or prediction that normalises to nothing scores F1 1 only against another empty one (No Answer);
* a binary prediction (``yes`` / ``no``) replaces the text prediction when given;
* gold strings of an example are the answer texts (``None`` → ``""``: No Answer) plus all their aliases; an example
  is *answerable* unless that set is exactly ``{""}`` (so ``long_answer`` rows, whose text is ``None``, count as
  unanswerable, as in the reference).

Matching for MKQA is this rule, not :mod:`xlfact.evaluators.matching` (KLAR's lenient matcher): MKQA's numbers are
only comparable to the literature under its own scorer.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from xlfact.errors import UsageError

BENCHMARK = "mkqa"

# The official language codes, in the official order (mkqa_eval.MKQA_LANGUAGES).
LANGUAGES: tuple[str, ...] = (
    "ar", "da", "de", "en", "es", "fi", "fr", "he", "hu", "it", "ja", "km", "ko", "ms", "nl", "no", "pl", "pt", "ru",
    "sv", "th", "tr", "vi", "zh_cn", "zh_hk", "zh_tw",
)
MIXED_SEGMENTATION_LANGS = frozenset({"zh_cn", "zh_hk", "zh_tw", "ja", "th", "km"})

# Answer types of the dataset (the hub's ClassLabel order; the jsonl file spells them out).
ANSWER_TYPES: tuple[str, ...] = (
    "entity", "long_answer", "unanswerable", "date", "number", "number_with_unit", "short_phrase", "binary",
)
BINARY_ANSWERS = frozenset({"yes", "no"})

ARTICLE_REGEX_BY_LANG: dict[str, str] = {
    "en": r"\b(a|an|the)\b",
    "es": r"\b(un|una|unos|unas|el|la|los|las)\b",
    "vi": r"\b(của|là|cái|chiếc|những)\b",
    "de": r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b",
    "ar": r"\sال^|ال",
    "nl": r"\b(de|het|een|des|der|den)\b",
    "sv": r"\b(en|ett)\b",
    "da": r"\b(en|et)\b",
    "no": r"\b(en|et|ei)\b",
    "fr": r"\b(le|la|l'|les|du|de|d'|des|un|une|des)",
    "pt": r"\b(o|a|os|as|um|uma|uns|umas)\b",
    "it": r"\b(il|lo|la|l'|i|gli|le|del|dello|della|dell'|dei|degli|degl'|delle|un'|uno|una|un)",
    "fi": r"\b(se|yks|yksi)\b",
    "hu": r"\b(a|az|egy)\b",
}
_ARTICLES = {lang: re.compile(pattern) for lang, pattern in ARTICLE_REGEX_BY_LANG.items()}
_PUNCTUATION = frozenset(string.punctuation)


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise UsageError(f"MKQA: unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return lang


def normalize_answer(text: str, lang: str) -> str:
    """The official ``normalize_answer_by_language``: lower, drop ASCII punctuation, drop articles, re-tokenise."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    if lang in _ARTICLES:
        text = _ARTICLES[lang].sub(" ", text)
    tokens = list(text) if lang in MIXED_SEGMENTATION_LANGS else text.split()
    return " ".join(t for t in tokens if t.strip() != "")


def exact_match(prediction: str, gold: str, lang: str) -> int:
    return int(normalize_answer(prediction, lang) == normalize_answer(gold, lang))


def token_f1(prediction: str, gold: str, lang: str) -> float:
    """Token-overlap F1 after normalisation; an empty side scores 1 only when both are empty."""
    gold_toks = normalize_answer(gold, lang).split() if gold else []
    pred_toks = normalize_answer(prediction, lang).split() if prediction else []
    if not gold_toks or not pred_toks:
        return int(gold_toks == pred_toks)
    common = sum((Counter(gold_toks) & Counter(pred_toks)).values())
    if common == 0:
        return 0.0
    recall = common / len(gold_toks)
    precision = common / len(pred_toks)
    return (2.0 * precision * recall) / (precision + recall)


def best_over_answers(metric: Callable[[str, str, str], float], prediction: str, golds: Sequence[str],
                      lang: str) -> float:
    if not golds:
        raise ValueError("MKQA: an example has an empty list of gold answers")
    return float(max(metric(prediction, gold, lang) for gold in golds))


def scored_text(prediction: str | None, binary_answer: str | None = None) -> str:
    """What the official scorer compares: the binary answer (yes/no, lower-cased) when given, else the text."""
    binary = binary_answer.lower() if binary_answer else None
    if binary is not None and binary not in BINARY_ANSWERS:
        raise ValueError(f"MKQA: binary_answer must be yes, no or empty; got {binary_answer!r}")
    return binary or prediction or ""


def score_example(prediction: str | None, golds: Sequence[str], lang: str,
                  binary_answer: str | None = None) -> tuple[float, float]:
    """(EM, F1) of one prediction: the best over the example's gold strings."""
    text = scored_text(prediction, binary_answer)
    return (best_over_answers(exact_match, text, golds, lang), best_over_answers(token_f1, text, golds, lang))


def gold_strings(answers: Iterable[Mapping]) -> list[str]:
    """The official gold set of one (example, language): each answer's text (``None`` → ``""``) and its aliases,
    de-duplicated, sorted (the reference's ``set`` order does not matter for a maximum)."""
    out: set[str] = set()
    for answer in answers:
        out.add(answer.get("text") or "")
        out.update(answer.get("aliases") or [])
    return sorted(out)


def is_answerable(golds: Sequence[str]) -> bool:
    return list(golds) != [""]


# ----------------------------------------------------------------------------------------------- summaries
def _pct(values: Iterable[float]) -> float:
    return round(100.0 * float(np.mean(list(values))), 2)


def default_summary(em: Mapping[str, float], f1: Mapping[str, float],
                    answerable: Mapping[str, bool]) -> dict[str, float]:
    """``summarize_default_metrics``: EM / F1 overall, on answerable and on unanswerable examples (percent, 2 d.p.)."""
    return {
        "exact_match": _pct(em.values()),
        "f1": _pct(f1.values()),
        "answerable_exact_match": _pct(em[q] for q in em if answerable[q]),
        "answerable_f1": _pct(f1[q] for q in f1 if answerable[q]),
        "unanswerable_exact_match": _pct(em[q] for q in em if not answerable[q]),
    }


def _apply_threshold(scores: Mapping[str, float], no_answer_probs: Mapping[str, float],
                     answerable: Mapping[str, bool], threshold: float) -> dict[str, float]:
    return {q: float(not answerable[q]) if no_answer_probs[q] > threshold else s for q, s in scores.items()}


def best_threshold_summary(texts: Mapping[str, str], em: Mapping[str, float], f1: Mapping[str, float],
                           no_answer_probs: Mapping[str, float], answerable: Mapping[str, bool]) -> dict[str, float]:
    """``compute_best_threshold``: the No-Answer probability threshold that maximises F1, and the figures at it.

    ``texts`` is the scored text per example (:func:`scored_text`); ``no_answer_probs`` defaults to 0 in the
    reference when a prediction has none.
    """
    threshold = 0.0
    current = best = sum(1 for q in answerable if not answerable[q])
    for q in sorted(no_answer_probs, key=lambda k: no_answer_probs[k]):
        if answerable[q]:
            current += f1[q]
        elif texts[q]:
            current += -1
        if current > best:
            threshold, best = no_answer_probs[q], current
    best_f1 = 100.0 * best / len(f1)
    ans = {q for q in em if answerable[q]}
    return {
        "best_em": _pct(_apply_threshold(em, no_answer_probs, answerable, threshold).values()),
        "best_f1": round(best_f1, 2),
        "best_answerable_em": _pct(_apply_threshold({q: em[q] for q in ans}, no_answer_probs, answerable,
                                                    threshold).values()),
        "best_answerable_f1": _pct(_apply_threshold({q: f1[q] for q in ans}, no_answer_probs, answerable,
                                                    threshold).values()),
        "best_unanswerable_em": _pct(_apply_threshold({q: em[q] for q in em if q not in ans}, no_answer_probs,
                                                      answerable, threshold).values()),
        "best_f1_threshold": round(threshold, 2),
    }


def report_extras(records: Sequence[Mapping]) -> dict[str, float]:
    """MKQA's own figures for ``xlfact report`` (fractions): ``f1/<lang>``, ``answerable_f1/<lang>`` and
    ``unanswerable_em/<lang>`` from the logged records (EM is the record's ``correct``), and their macro means."""
    per_lang: dict[str, list[Mapping]] = {}
    for record in records:
        if record.get("benchmark") == BENCHMARK:
            per_lang.setdefault(record["lang"], []).append(record)
    out: dict[str, float] = {}
    for lang, recs in sorted(per_lang.items()):
        answerable = [r for r in recs if r.get("answerable", True)]
        unanswerable = [r for r in recs if not r.get("answerable", True)]
        out[f"f1/{lang}"] = float(np.mean([r["f1"] for r in recs]))
        if answerable:
            out[f"answerable_f1/{lang}"] = float(np.mean([r["f1"] for r in answerable]))
        if unanswerable:
            out[f"unanswerable_em/{lang}"] = float(np.mean([bool(r["correct"]) for r in unanswerable]))
    f1s = [v for k, v in out.items() if k.startswith("f1/")]
    if f1s:
        out["f1_macro"] = float(np.mean(f1s))
    return out
