"""CLiKA glue for lm-eval: dataset hooks, per-document results and aggregations. Scoring is in
:mod:`xlfact.evaluators.clika`; cross-lingual records go to :mod:`xlfact.tasks.crosslingual`.

Keys the hooks read (task YAML ``dataset_kwargs``, plus the user's ``--metadata`` / ``--model_args``):
``xlfact_clika_task`` / ``xlfact_lang`` (from the YAML), ``clika_dir`` (else ``$XLFACT_CLIKA_DIR``),
``ra_reference_<task>`` (override an RA reference accuracy, in percent) and ``fictional_template``
(``alpaca`` | ``plain``, the prompt format of the fictional tasks).
"""

from __future__ import annotations

import math
from typing import Any

import datasets

import xlfact.models  # noqa: F401 - registers --model xlfact-hf wherever lm-eval loads this folder
from xlfact.core.records import RECORD_KEY
from xlfact.evaluators.clika import (
    FICTIONAL_BENCHMARK,
    FICTIONAL_TYPE_ENGLISH_ONLY,
    GENERATION_SUFFIX,
    OPTION_LETTERS,
    REFERENCE_ACCURACY,
    TRANSLATION_BENCHMARK,
    argmax_letter,
    continent_matches,
    cross_retrieval_ratio,
    first_character,
    letter_correct,
    rescaled_accuracy,
    translation_matches,
)
from xlfact.evaluators.consistency import ENGLISH
from xlfact.tasks.clika.data import (
    ClikaDataError,
    load_fictional,
    load_items,
    load_translations,
    resolve_clika_dir,
)
from xlfact.tasks.clika.prompts import FICTIONAL_TEMPLATES, build_prompt, render_fictional_prompt
from xlfact.tasks.crosslingual import (  # noqa: F401 - en_co etc. are referenced from the YAML metric_list
    answer_agreement,
    distributed_world_size,
    en_co,
    file_record,
    make_record,
    mean_languages_correct,
    rankc,
    rankc_en,
    register_metric_names,
    store_snapshot,
    total_consistency,
)

# Per-document metric names that lm-eval should not look up in the HF ``evaluate`` library.
register_metric_names(("ra", "xrr", "acc_type0", "acc_type1"))

SCORE_METRICS = ("rankc", "rankc_en", "answer_agreement")  # need option scores: not in generation-based tasks


def _reference(kwargs: dict[str, Any], task: str) -> float:
    value = kwargs.get(f"ra_reference_{task}")
    if value in (None, ""):
        return REFERENCE_ACCURACY[task]
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"CLiKA: ra_reference_{task}={value!r} is not a number (percent, e.g. 74.6)") from None


def _dataset(rows: list[dict[str, Any]]) -> datasets.DatasetDict:
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


# ----------------------------------------------------------------------------------------------- dataset hooks
def load_multiple_choice(**kwargs: Any) -> datasets.DatasetDict:
    """``custom_dataset`` hook of ``clika_<task>_<lang>`` and ``clika_<task>_gen_<lang>``: one document per item,
    with the authors' prompt and the option letters."""
    task, lang = kwargs["xlfact_clika_task"], kwargs["xlfact_lang"]
    root = resolve_clika_dir(kwargs.get("clika_dir"))
    reference = _reference(kwargs, task)
    rows = []
    for item in load_items(root, task, lang):
        n = len(item["options"])
        rows.append({
            "id": item["id"],
            "task": task,
            "lang": lang,
            "prompt": build_prompt(task, item["question"], item["options"], item["relation"]),
            "options": item["options"],
            "letters": list(OPTION_LETTERS[:n]),
            "gold": item["gold"],
            "gold_letter": OPTION_LETTERS[item["gold"]],
            "ra_reference": reference,
        })
    return _dataset(rows)


def _prompted_docs(loader: Any, kwargs: dict[str, Any]) -> datasets.DatasetDict:
    """Rows of a fictional-data ``loader(root, lang)`` with the prompt the tuned model was trained on."""
    lang = kwargs["xlfact_lang"]
    template = kwargs.get("fictional_template") or "alpaca"
    if template not in FICTIONAL_TEMPLATES:
        raise ClikaDataError(f"--metadata fictional_template={template!r}: expected one of "
                             f"{', '.join(FICTIONAL_TEMPLATES)}")
    root = resolve_clika_dir(kwargs.get("clika_dir"))
    rows = [
        {**row, "lang": lang, "prompt": render_fictional_prompt(row["question"], row["input"], template)}
        for row in loader(root, lang)
    ]
    return _dataset(rows)


def load_fictional_docs(**kwargs: Any) -> datasets.DatasetDict:
    """``custom_dataset`` hook of ``clika_fictional_<lang>``: the 400 fictional test relations of a language."""
    return _prompted_docs(load_fictional, kwargs)


def load_translation_docs(**kwargs: Any) -> datasets.DatasetDict:
    """``custom_dataset`` hook of ``clika_translate_<lang>``: the 420 English -> language entity-name checks."""
    return _prompted_docs(load_translations, kwargs)


# ----------------------------------------------------------------------------------------------- per document
def _ra_value(doc: dict[str, Any], correct: bool) -> dict[str, Any]:
    return {"task": doc["task"], "correct": bool(correct), "n_options": len(doc["letters"]),
            "reference": float(doc["ra_reference"])}


def process_multiple_choice(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """The most likely option letter wins (ties: first). Files the letter log-likelihoods for the cross-lingual
    metrics under benchmark ``clika_<task>`` (items are parallel only within a task)."""
    loglikelihoods = [float(r[0]) for r in results]
    pred = argmax_letter(loglikelihoods)
    gold = int(doc["gold"])
    correct = pred == gold
    record = make_record(f"clika_{doc['task']}", doc["id"], doc["lang"], correct, scores=loglikelihoods, gold=gold,
                         protocol="loglikelihood", prediction=doc["letters"][pred], ra_reference=doc["ra_reference"])
    return {"acc": float(correct), "ra": _ra_value(doc, correct), **file_record(record)}


def process_generation(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """The authors' rule: the first character of the stripped generation must be the gold letter."""
    output = results[0] if results else ""
    correct = letter_correct(output, doc["gold_letter"])
    record = make_record(f"clika_{doc['task']}{GENERATION_SUFFIX}", doc["id"], doc["lang"], correct,
                         protocol="generation", prediction=first_character(output), output=output,
                         ra_reference=doc["ra_reference"])
    values = file_record(record)
    return {"acc": float(correct), "ra": _ra_value(doc, correct),
            **{k: v for k, v in values.items() if k not in SCORE_METRICS}}


def process_fictional(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """Correct when the generation names the gold continent and no other, the question's place name set aside
    (shared normaliser; see ``continent_matches``)."""
    output = results[0] if results else ""
    correct = continent_matches(output, doc["continent"], doc["lang"], place=doc["city"],
                                other_continents=doc["continents"])
    kind = int(doc["type"])
    record = make_record(FICTIONAL_BENCHMARK, doc["id"], doc["lang"], correct, type=kind, output=output,
                         continent=doc["continent"])
    values = file_record(record)
    typed = {"type": kind, "correct": bool(correct)}
    return {
        "acc": float(correct),
        "acc_type0": typed,
        "acc_type1": typed,
        "xrr": f"{FICTIONAL_BENCHMARK}|{doc['lang']}",
        **{k: v for k, v in values.items() if k not in SCORE_METRICS},
    }


def process_translation(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """Correct when the generated name matches the gold translation (the shared lenient matcher)."""
    output = results[0] if results else ""
    correct = translation_matches(output, doc["answer"])
    record = make_record(TRANSLATION_BENCHMARK, doc["id"], doc["lang"], correct, output=output)
    values = file_record(record)  # logged under RECORD_KEY, where ``xlfact report`` reads it
    return {"acc": float(correct), RECORD_KEY: values[RECORD_KEY]}


# ----------------------------------------------------------------------------------------------- aggregations
def rescaled_accuracy_of(items: list[dict[str, Any]]) -> float:
    """RA of one task-language from its documents' correctness (the task's options and reference constant)."""
    if not items:
        return math.nan
    first = items[0]
    accuracy = sum(1 for it in items if it["correct"]) / len(items)
    return rescaled_accuracy(accuracy, n_options=int(first["n_options"]), reference=float(first["reference"]))


def _typed_accuracy(items: list[dict[str, Any]], kind: int) -> float:
    chosen = [it["correct"] for it in items if int(it["type"]) == kind]
    return sum(chosen) / len(chosen) if chosen else math.nan


def accuracy_type0(items: list[dict[str, Any]]) -> float:
    """Accuracy on type-0 relations (trained in this language too)."""
    return _typed_accuracy(items, 0)


def accuracy_type1(items: list[dict[str, Any]]) -> float:
    """Accuracy on type-1 relations (trained in English only)."""
    return _typed_accuracy(items, 1)


def cross_retrieval(items: list[str]) -> float:
    """XRR of this task's language against ``clika_fictional_en`` of the same run (NaN for English, NaN when the
    run has no English fictional task or runs on several ranks — ``xlfact report`` computes it from the samples)."""
    if not items or distributed_world_size() > 1:
        return math.nan
    benchmark, lang = items[0].split("|", 1)
    if lang == ENGLISH:
        return math.nan
    per_lang = store_snapshot().get(benchmark, {})
    english, target = per_lang.get(ENGLISH), per_lang.get(lang)
    if not english or not target:
        return math.nan
    en = {i: r["correct"] for i, r in english.items() if int(r["type"]) == FICTIONAL_TYPE_ENGLISH_ONLY}
    x = {i: r["correct"] for i, r in target.items() if int(r["type"]) == FICTIONAL_TYPE_ENGLISH_ONLY}
    return cross_retrieval_ratio(en, x)
