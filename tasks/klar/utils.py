"""KLAR-CLC glue for lm-eval: the dataset hook, per-document results and the run-level aggregations.

Keys the dataset hook reads (the task YAML's ``dataset_kwargs`` plus the user's ``--metadata`` / ``--model_args``):
``xlfact_lang`` (from the YAML) and ``klar_dir`` (else ``$XLFACT_KLAR_DIR``, else ``./KLAR-CLC``).
Matching is :mod:`xlfact.evaluators.matching`; the KLAR figures are :mod:`xlfact.evaluators.klar`; the
cross-lingual records go to :mod:`xlfact.tasks.crosslingual`.
"""

from __future__ import annotations

import math
from typing import Any

import datasets

import xlfact.models  # noqa: F401 - registers --model xlfact-hf wherever lm-eval loads this folder
from xlfact.evaluators.consistency import consistency_from_correct, jaccard_with_english
from xlfact.evaluators.klar import BENCHMARK, mean_without_english
from xlfact.evaluators.matching import answer_matches
from xlfact.tasks.crosslingual import (  # noqa: F401 - en_co etc. are referenced from the YAML metric_list
    distributed_world_size,
    en_co,
    file_record,
    make_record,
    mean_languages_correct,
    register_metric_names,
    store_snapshot,
    total_consistency,
)
from xlfact.tasks.klar.data import load_documents, resolve_klar_dir

register_metric_names(("exact", "jaccard_en", "jaccard_en_mean", "en_co_mean"))

# Metrics of the task YAML; file_record also returns the option-score metrics, which free-form answers do not have.
TASK_METRICS = ("acc", "exact", "total_consistency", "mean_languages_correct", "en_co", "en_co_mean", "jaccard_en",
                "jaccard_en_mean")


# ----------------------------------------------------------------------------------------------- dataset hook
def load_klar(**kwargs: Any) -> datasets.DatasetDict:
    """``custom_dataset`` hook of ``klar_<lang>``: every sample of the language is a test document."""
    lang = kwargs["xlfact_lang"]
    root = resolve_klar_dir(kwargs.get("klar_dir"))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(load_documents(root, lang))})


# ----------------------------------------------------------------------------------------------- per document
def first_line(generation: str | None) -> str:
    """The prediction: the generation up to its first newline (a leading newline gives an empty prediction)."""
    return (generation or "").split("\n", 1)[0]


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """Score one generation with the shared matcher (lenient ``acc`` and ``exact``) and file its record."""
    output = results[0] if results else ""
    prediction = first_line(output)
    correct = answer_matches(prediction, doc["target"], mode="lenient")
    exact = answer_matches(prediction, doc["target"], mode="exact")
    record = make_record(BENCHMARK, doc["id"], doc["lang"], correct, exact=exact, prediction=prediction,
                         output=output, target=doc["target"], relation=doc["relation"])
    values = file_record(record)
    key = f"{BENCHMARK}|{doc['lang']}"
    values.update({"en_co_mean": key, "jaccard_en": key, "jaccard_en_mean": key})
    values.update({"acc": float(correct), "exact": float(exact)})
    return {name: values[name] for name in TASK_METRICS}


# ----------------------------------------------------------------------------------------------- aggregations
def _correct_of_run(items: list[Any]) -> tuple[str, dict[str, dict[str, bool]]] | None:
    """(language of this task, {item: {lang: correct}} of every KLAR language in this run), or None when the figure
    cannot be computed in this process (several ranks: ``xlfact report`` computes it from the samples)."""
    if not items or distributed_world_size() > 1:
        return None
    benchmark, lang = str(items[0]).split("|", 1)
    correct: dict[str, dict[str, bool]] = {}
    for run_lang, records in store_snapshot().get(benchmark, {}).items():
        for item, record in records.items():
            correct.setdefault(item, {})[run_lang] = bool(record["correct"])
    return lang, correct


def jaccard_en(items: list[Any]) -> float:
    """|C_x ∩ C_en| / |C_x ∪ C_en| over fact ids, this language against English in the same run (NaN without
    English)."""
    run = _correct_of_run(items)
    if run is None:
        return math.nan
    lang, correct = run
    return float(jaccard_with_english(correct).get(lang, math.nan))


def jaccard_en_mean(items: list[Any]) -> float:
    """The Jaccard overlap with English averaged over the run's languages other than English (every language's
    subtask reports this same run-level value, so a group's mean of it is the figure itself)."""
    run = _correct_of_run(items)
    if run is None:
        return math.nan
    return mean_without_english(jaccard_with_english(run[1]))


def en_co_mean(items: list[Any]) -> float:
    """en-CO averaged over the run's languages other than English (run-level, like :func:`jaccard_en_mean`)."""
    run = _correct_of_run(items)
    if run is None:
        return math.nan
    return float(consistency_from_correct(run[1])["en_co_mean"])
