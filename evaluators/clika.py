"""CLiKA scoring: accuracy, re-scaled accuracy (RA), Basic/Factual, en-CO, "others", and the cross-retrieval ratio.

CLiKA (Gao et al., NAACL 2024, "Multilingual Pretraining and Instruction Tuning Improve Cross-Lingual Knowledge
Alignment, But Only Shallowly") measures cross-lingual knowledge alignment at three levels:

* **Performance** — re-scaled accuracy ``RA = max(A - 1/n, 0) / (A_g - 1/n)``: accuracy above chance (n options),
  relative to a reference accuracy ``A_g``. The authors used ChatGPT's English accuracy, *rounded* to one decimal
  (74.6 xCSQA, 96.4 xCOPA, 92.2 xPeo, 97.0 xGeo); their RA tables depend on exactly those constants, so they are
  the defaults here (overridable). Basic = mean RA of xCSQA and xCOPA; Factual = mean RA of xGeo and xPeo.
* **Consistency** — en-CO(X) = |correct in X and in English| / |correct in X|, per task (computed by the project's
  shared :func:`xlfact.evaluators.consistency.consistency_from_correct`), then the mean over xGeo and xPeo.
* **Conductivity** — after tuning a model on fictional facts, XRR(X) = max(n_enX / n_en - 0.05, 0) over the
  relations it saw only in English (type 1): of the facts it answers in English, the fraction it also answers in X.

Everything is a pure function of per-item correctness, so the tasks (through lm-eval), ``xlfact report`` (from the
logged samples) and the reproduction of the paper's tables from the authors' published generations all run the same
code. Units: accuracy, RA and en-CO are fractions in [0, 1] here; the paper prints accuracy and RA in percent
(``50.36``) and en-CO as a fraction (``.8327``), which is how :mod:`xlfact.tasks.clika.report` prints them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from xlfact.evaluators.consistency import ENGLISH, consistency_from_correct
from xlfact.evaluators.matching import answer_matches, normalize_answer, normalized_match

TASKS = ("xcsqa", "xcopa", "xgeo", "xpeo")
TASK_TITLES = {"xcsqa": "xCSQA", "xcopa": "xCOPA", "xgeo": "xGeo", "xpeo": "xPeo"}
N_OPTIONS = {"xcsqa": 5, "xcopa": 2, "xgeo": 4, "xpeo": 4}
# ChatGPT's English accuracy in percent, rounded as the authors did (their normalize_res.py); RA's denominator.
REFERENCE_ACCURACY = {"xcsqa": 74.6, "xcopa": 96.4, "xpeo": 92.2, "xgeo": 97.0}
BASIC = ("xcsqa", "xcopa")
FACTUAL = ("xgeo", "xpeo")
LANGUAGES = ("en", "de", "fr", "it", "pl", "ru", "ar", "he", "ja", "zh")
DEFAULT_FOCUS = "zh"  # the paper's focus language (its tables: en / zh / the 8 others)
# The authors' task names (their folders and result files) -> ours.
AUTHOR_TASK_NAMES = {"x_csqa": "xcsqa", "x_copa": "xcopa", "x_geo": "xgeo", "x_name": "xpeo"}
OPTION_LETTERS = "ABCDE"
XRR_MARGIN = 0.05
FICTIONAL_TYPE_ENGLISH_ONLY = 1  # type-1 relations were trained in English only; XRR is computed on them
# Languages written without spaces between words: a gold continent is found as a substring of the generation.
UNSPACED_LANGUAGES = frozenset({"zh", "ja"})

CorrectLists = Mapping[str, Mapping[str, Sequence[bool]]]  # task -> lang -> [correct per item], index-parallel
CorrectByItem = Mapping[str, Mapping[str, Mapping[str, bool]]]  # task -> item id -> lang -> correct


# ----------------------------------------------------------------------------------------------- predictions
def first_character(output: str | None) -> str:
    """The authors' prediction from a generated answer: the first character of the stripped output ("" if empty).

    Their ``res_statistic.py`` strips newlines, then whitespace, and takes ``res[0]``; an empty output is wrong.
    """
    text = (output or "").strip("\n").strip()
    return text[0] if text else ""


def letter_correct(output: str | None, gold_letter: str) -> bool:
    """Whether a generated answer's first character is the gold letter (case-sensitive, as the authors compared)."""
    if not gold_letter or len(gold_letter) != 1:
        raise ValueError(f"gold letter must be one character, got {gold_letter!r}")
    return first_character(output) == gold_letter


def argmax_letter(loglikelihoods: Sequence[float]) -> int:
    """The option whose letter is most likely; ties go to the first option (numpy's and lm-eval's rule)."""
    if not loglikelihoods:
        raise ValueError("no option log-likelihoods to choose from")
    return int(np.argmax(np.asarray(loglikelihoods, dtype=float)))


def canonical_task(task: str) -> str:
    """Our task name for ours or the authors' (``x_name`` is xPeo); a clear error for anything else."""
    name = AUTHOR_TASK_NAMES.get(task, task)
    if name not in N_OPTIONS:
        raise KeyError(
            f"unknown CLiKA task {task!r}; expected one of {TASKS} (or the authors' {tuple(AUTHOR_TASK_NAMES)})"
        )
    return name


# ----------------------------------------------------------------------------------------------- performance
def rescaled_accuracy(
    accuracy: float, task: str | None = None, *, n_options: int | None = None, reference: float | None = None
) -> float:
    """RA = max(A - 1/n, 0) / (A_g - 1/n), with A a fraction and A_g in percent (default: the authors' constant).

    Returns a fraction (the paper prints it x100). NaN accuracy gives NaN.
    """
    if task is not None:
        task = canonical_task(task)
        n_options = N_OPTIONS[task] if n_options is None else n_options
        reference = REFERENCE_ACCURACY[task] if reference is None else reference
    if n_options is None or reference is None:
        raise ValueError("rescaled_accuracy needs a task, or both n_options and reference")
    if accuracy is None or math.isnan(accuracy):
        return math.nan
    chance = 1.0 / n_options
    ref = float(reference) / 100.0
    if ref <= chance:
        raise ValueError(f"reference accuracy {reference}% is not above chance ({100 * chance:.1f}%); RA is undefined")
    return max(float(accuracy) - chance, 0.0) / (ref - chance)


def _mean(values: Iterable[float]) -> float:
    """Mean that is NaN when any value is NaN or there are none (a Basic score needs both of its tasks)."""
    vals = list(values)
    if not vals or any(math.isnan(v) for v in vals):
        return math.nan
    return float(sum(vals) / len(vals))


def _macro(values: Mapping[str, float], langs: Sequence[str]) -> float:
    """Mean over ``langs`` that have a (non-NaN) value; NaN when none do."""
    chosen = [values[lang] for lang in langs if lang in values and not math.isnan(values[lang])]
    return float(sum(chosen) / len(chosen)) if chosen else math.nan


def other_languages(langs: Iterable[str], focus: str = DEFAULT_FOCUS) -> list[str]:
    """The languages averaged as "others": all but English and the focus language."""
    return [lang for lang in langs if lang not in (ENGLISH, focus)]


def ordered_languages(langs: Iterable[str]) -> list[str]:
    seen = list(dict.fromkeys(langs))
    known = [lang for lang in LANGUAGES if lang in seen]
    return known + [lang for lang in seen if lang not in LANGUAGES]


def clika_scores_by_item(
    correct: CorrectByItem, focus: str = DEFAULT_FOCUS, *, reference: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """:func:`clika_scores` for correctness keyed by item id (items may lack languages, e.g. from a --limit run).

    Accuracy of a language is over the items it has; en-CO over the items present in it and in English.
    """
    refs = dict(REFERENCE_ACCURACY)
    for task, value in (reference or {}).items():
        refs[canonical_task(task)] = float(value)
    tasks = [canonical_task(t) for t in correct]
    if len(set(tasks)) != len(tasks):
        raise ValueError(f"the same CLiKA task is given twice under different names: {list(correct)}")
    accuracy: dict[str, dict[str, float]] = {}
    ra: dict[str, dict[str, float]] = {}
    en_co: dict[str, dict[str, float]] = {}
    all_langs: list[str] = []
    for name, task in zip(correct, tasks):
        metrics = consistency_from_correct(correct[name])
        langs = ordered_languages(metrics["languages"])
        all_langs += langs
        accuracy[task] = {lang: metrics["accuracy"][lang] for lang in langs}
        ra[task] = {
            lang: rescaled_accuracy(acc, n_options=N_OPTIONS[task], reference=refs[task])
            for lang, acc in accuracy[task].items()
        }
        en_co[task] = {lang: metrics["en_co"][lang] for lang in langs if lang in metrics["en_co"]}
    langs = ordered_languages(all_langs)

    def pooled(per_task: Mapping[str, Mapping[str, float]], members: Sequence[str]) -> dict[str, float]:
        return {lang: _mean(per_task.get(t, {}).get(lang, math.nan) for t in members) for lang in langs}

    basic_ra = pooled(ra, BASIC)
    factual_ra = pooled(ra, FACTUAL)
    factual_en_co = pooled(en_co, FACTUAL)
    others_langs = other_languages(langs, focus)
    others = {
        "accuracy": {task: _macro(values, others_langs) for task, values in accuracy.items()},
        "ra": {task: _macro(values, others_langs) for task, values in ra.items()},
        "basic_ra": _macro(basic_ra, others_langs),
        "factual_ra": _macro(factual_ra, others_langs),
        "en_co": {task: _macro(values, others_langs) for task, values in en_co.items()},
        "factual_en_co": _macro(factual_en_co, others_langs),
    }
    return {
        "accuracy": accuracy,
        "ra": ra,
        "basic_ra": basic_ra,
        "factual_ra": factual_ra,
        "en_co": en_co,
        "factual_en_co": factual_en_co,
        "others": others,
    }


def clika_scores(
    correct: CorrectLists, focus: str = DEFAULT_FOCUS, *, reference: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """All CLiKA Performance and Consistency figures from per-item correctness.

    Args:
        correct: ``{task: {lang: [bool per item]}}`` with task in ``xcsqa, xcopa, xgeo, xpeo`` (the authors' names
            ``x_csqa, x_copa, x_geo, x_name`` are accepted too); within a task the lists are index-parallel across
            languages (item i is the same question in every language).
        focus: the language reported beside English; "others" averages the remaining languages (not en, not focus).
        reference: per-task reference accuracy in percent, overriding the authors' rounded constants
            :data:`REFERENCE_ACCURACY`.

    Returns ``{"accuracy": {task: {lang}}, "ra": {task: {lang}}, "basic_ra": {lang}, "factual_ra": {lang},
    "en_co": {task: {lang}}, "factual_en_co": {lang}, "others": {same keys, averaged over the other languages}}``,
    all fractions in [0, 1]. Basic RA is the mean of xCSQA and xCOPA RA, Factual of xGeo and xPeo; a language
    missing one of the two tasks gets NaN there. en-CO of English is 1 by definition (it is reported, not averaged).
    """
    by_item: dict[str, dict[str, dict[str, bool]]] = {}
    for task, per_lang in correct.items():
        lengths = {lang: len(values) for lang, values in per_lang.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(
                f"CLiKA task {task!r}: languages have different item counts {lengths}; "
                "expected index-parallel lists (item i is the same question in every language)"
            )
        items: dict[str, dict[str, bool]] = {}
        for lang, values in per_lang.items():
            for i, ok in enumerate(values):
                items.setdefault(str(i), {})[lang] = bool(ok)
        by_item[task] = items
    return clika_scores_by_item(by_item, focus, reference=reference)


def correct_from_generations(
    outputs: Mapping[str, Mapping[str, Sequence[str]]], labels: Mapping[str, Mapping[str, Sequence[str]]]
) -> dict[str, dict[str, list[bool]]]:
    """Per-item correctness of generated answers (first character vs gold letter), in :func:`clika_scores`' shape.

    ``outputs`` and ``labels`` have the shape of the authors' result files: ``{task: {lang: [str per item]}}``.
    """
    out: dict[str, dict[str, list[bool]]] = {}
    for task, per_lang in outputs.items():
        if task not in labels:
            raise KeyError(f"task {task!r} has outputs but no labels")
        out[canonical_task(task)] = {}
        for lang, generated in per_lang.items():
            gold = labels[task].get(lang)
            if gold is None:
                raise KeyError(f"task {task!r} language {lang!r} has outputs but no labels")
            if len(gold) != len(generated):
                raise ValueError(
                    f"task {task!r} language {lang!r}: {len(generated)} outputs but {len(gold)} labels"
                )
            out[canonical_task(task)][lang] = [letter_correct(g, y) for g, y in zip(generated, gold)]
    return out


# ----------------------------------------------------------------------------------------------- conductivity
def continent_matches(
    generation: str | None,
    continent: str,
    lang: str,
    *,
    place: str | None = None,
    other_continents: Iterable[str] = (),
) -> bool:
    """Whether a generated answer names the gold (fictional) continent — and no other.

    The authors check the tagged continent against the model's answer sentence ("Vividora Oasis is located in the
    continent of Mythosia."). Both go through the shared matcher's normaliser
    (:func:`xlfact.evaluators.matching.normalize_answer`: NFC, lower-case, punctuation and whitespace runs to one
    space). The question's ``place`` is removed from the generation first: place names can contain a continent's name
    ("Vividora Oasis", "Mythosia Isle"), and echoing the question must not count. The continent is then found by the
    shared lenient rule (:func:`~xlfact.evaluators.matching.normalized_match`: a bare name, a whole token, a prefix)
    or as a whole run of tokens (names can be several words: "Refuge de la Légende"), or as a substring for zh and
    ja, which are written without spaces. An answer that also names one of ``other_continents`` is wrong (a model
    must not score by listing continents).
    """
    pred, target = normalize_answer(generation), normalize_answer(continent)
    if not pred or not target:
        return False
    unspaced = lang in UNSPACED_LANGUAGES

    def without(text: str, name: str) -> str:
        return " ".join(text.replace(name, " ").split()) if name else text

    def names(text: str, name: str) -> bool:
        if not text or not name:
            return False
        if normalized_match(text, name, "lenient"):
            return True
        return name in text if unspaced else f" {name} " in f" {text} "

    pred = without(pred, normalize_answer(place))
    if not names(pred, target):
        return False
    rest = without(pred, target)
    return not any(
        names(rest, other) for other in {normalize_answer(c) for c in other_continents} - {target}
    )


def translation_matches(generation: str | None, answer: str) -> bool:
    """Whether a generated entity-name translation matches the gold name (the shared lenient rule)."""
    return generation is not None and answer_matches(generation, answer, mode="lenient")


def cross_retrieval_ratio(
    correct_en: Mapping[str, bool], correct_x: Mapping[str, bool], *, margin: float = XRR_MARGIN
) -> float:
    """XRR(X) = max(n_enX / n_en - margin, 0) over the given (type-1) items present in both languages.

    n_en counts the items correct in English, n_enX those correct in English and in X. NaN when English gets none.
    """
    both = [item for item in correct_en if item in correct_x]
    n_en = sum(1 for item in both if correct_en[item])
    if n_en == 0:
        return math.nan
    n_en_x = sum(1 for item in both if correct_en[item] and correct_x[item])
    return max(n_en_x / n_en - margin, 0.0)


def fictional_scores(
    correct: Mapping[str, Mapping[str, bool]], types: Mapping[str, int], *, margin: float = XRR_MARGIN
) -> dict[str, Any]:
    """Accuracy by relation type and XRR per language for the fictional-knowledge test.

    Args:
        correct: ``{lang: {item id: correct}}`` (items index-parallel across languages, English included).
        types: ``{item id: 0 | 1}``: 0 = relation also trained in the target language, 1 = trained in English only.

    Returns ``{"accuracy": {lang}, "accuracy_type0": {lang}, "accuracy_type1": {lang}, "xrr": {lang},
    "n_type1_en": int}``; ``xrr`` has no English entry (it is the pivot). The authors count a tuning run as
    complete when English (types 0 and 1), the target language's type 0 and the translations exceed 90%.
    """
    out: dict[str, Any] = {"accuracy": {}, "accuracy_type0": {}, "accuracy_type1": {}, "xrr": {}}
    for lang, per_item in correct.items():
        missing = [item for item in per_item if item not in types]
        if missing:
            raise KeyError(f"fictional items {missing[:5]} of language {lang!r} have no relation type")
        out["accuracy"][lang] = _mean_bool(per_item.values())
        for kind in (0, 1):
            out[f"accuracy_type{kind}"][lang] = _mean_bool(ok for item, ok in per_item.items() if types[item] == kind)
    english = {i: ok for i, ok in correct.get(ENGLISH, {}).items() if types[i] == FICTIONAL_TYPE_ENGLISH_ONLY}
    out["n_type1_en"] = len(english)
    for lang, per_item in correct.items():
        if lang == ENGLISH:
            continue
        type1 = {i: ok for i, ok in per_item.items() if types[i] == FICTIONAL_TYPE_ENGLISH_ONLY}
        out["xrr"][lang] = cross_retrieval_ratio(english, type1, margin=margin) if english else math.nan
    return out


def _mean_bool(values: Iterable[bool]) -> float:
    vals = [bool(v) for v in values]
    return sum(vals) / len(vals) if vals else math.nan


# ----------------------------------------------------------------------------------------------- report
MC_BENCHMARKS = {f"clika_{t}": t for t in TASKS}
GENERATION_SUFFIX = "_gen"
FICTIONAL_BENCHMARK = "clika_fictional"
TRANSLATION_BENCHMARK = "clika_translate"
PROTOCOLS = {"": "option-letter log-likelihood", GENERATION_SUFFIX: "first character of the generation"}


def _by_item(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, bool]]:
    out: dict[str, dict[str, bool]] = {}
    for record in records:
        out.setdefault(str(record["item"]), {})[str(record["lang"])] = bool(record["correct"])
    return out


def _reference_of(records: Iterable[Mapping[str, Any]], benchmark: str) -> float | None:
    """The RA reference accuracy the run used (``ra_reference`` in the records; None when absent)."""
    values = {float(r["ra_reference"]) for r in records if r.get("ra_reference") is not None}
    if len(values) > 1:
        raise ValueError(f"{benchmark}: records disagree on the RA reference accuracy {sorted(values)}")
    return values.pop() if values else None


def report_data(records_by_benchmark: Mapping[str, list[dict[str, Any]]], focus: str = DEFAULT_FOCUS) -> dict:
    """The CLiKA figures of a run, JSON-able, from the logged records grouped by benchmark.

    Records are those every CLiKA task logs (:mod:`xlfact.tasks.crosslingual`): benchmarks ``clika_<task>``
    (letter log-likelihood), ``clika_<task>_gen`` (generated first character), ``clika_fictional`` (with the
    relation ``type``) and ``clika_translate``. Returns ``{"focus", "protocols": {name: clika_scores + languages},
    "fictional": fictional_scores | absent, "translation": {lang: accuracy} | absent}``; NaN where not computable.
    """
    out: dict[str, Any] = {"focus": focus, "protocols": {}}
    for suffix, protocol in PROTOCOLS.items():
        chosen = {
            task: _by_item(records_by_benchmark[name + suffix])
            for name, task in MC_BENCHMARKS.items()
            if records_by_benchmark.get(name + suffix)
        }
        references = {
            task: _reference_of(records_by_benchmark[name + suffix], name + suffix)
            for name, task in MC_BENCHMARKS.items()
            if task in chosen
        }
        if chosen:
            scores = clika_scores_by_item(chosen, focus, reference={t: r for t, r in references.items() if r})
            langs = ordered_languages(lang for per in scores["accuracy"].values() for lang in per)
            scores["languages"] = langs
            scores["n_items"] = {task: len(items) for task, items in chosen.items()}
            out["protocols"][protocol] = scores
    fictional = records_by_benchmark.get(FICTIONAL_BENCHMARK)
    if fictional:
        correct: dict[str, dict[str, bool]] = {}
        types: dict[str, int] = {}
        for record in fictional:
            correct.setdefault(str(record["lang"]), {})[str(record["item"])] = bool(record["correct"])
            types[str(record["item"])] = int(record["type"])
        out["fictional"] = fictional_scores(correct, types)
    translation = records_by_benchmark.get(TRANSLATION_BENCHMARK)
    if translation:
        per_lang: dict[str, list[bool]] = {}
        for record in translation:
            per_lang.setdefault(str(record["lang"]), []).append(bool(record["correct"]))
        out["translation"] = {lang: _mean_bool(v) for lang, v in per_lang.items()}
    return out


def ratio(value: float, english: float) -> float:
    if value is None or english is None or math.isnan(value) or math.isnan(english) or english == 0:
        return math.nan
    return value / english


def ratio_to_english(per_language: Mapping[str, float], lang: str) -> float:
    """A language's figure divided by English's: the "(/en)" columns of the paper's tables (1 for English)."""
    return ratio(per_language.get(lang, math.nan), per_language.get(ENGLISH, math.nan))


CHANGE_FIGURES = ("basic_ra", "factual_ra", "factual_en_co")  # what change_after_tuning subtracts


def change_after_tuning(tuned: Mapping[str, Any], foundation: Mapping[str, Any]) -> dict[str, Any]:
    """Tuned model minus its foundation model, per protocol, figure and language (the paper's Tables 9-12).

    Both arguments are :func:`report_data` outputs; a language or figure missing on either side is NaN."""
    out: dict[str, Any] = {}
    for protocol, scores in tuned.get("protocols", {}).items():
        base = foundation.get("protocols", {}).get(protocol)
        if base is None:
            continue
        langs = ordered_languages([*scores["languages"], *base["languages"]])
        out[protocol] = {key: {lang: scores[key].get(lang, math.nan) - base[key].get(lang, math.nan)
                               for lang in langs} for key in CHANGE_FIGURES}
        out[protocol]["languages"] = langs
    return out
