"""MKQA glue for lm-eval: the dataset hook and the per-document scores. Scoring is :mod:`xlfact.evaluators.mkqa`.

Keys the dataset hook reads: ``xlfact_lang`` (the task YAML), ``mkqa_file`` (``--metadata mkqa_file=PATH``: the
official ``mkqa.jsonl.gz``; else ``$XLFACT_MKQA_FILE``; else the hub ``apple/mkqa``) and ``data_revision``.
"""

from __future__ import annotations

from typing import Any

import datasets

import xlfact.models  # noqa: F401 - registers --model xlfact-hf wherever lm-eval loads this folder
from xlfact.evaluators.mkqa import BENCHMARK, score_example
from xlfact.tasks.crosslingual import (  # noqa: F401 - referenced from the YAML metric_list
    en_co,
    file_record,
    make_record,
    mean_languages_correct,
    register_metric_names,
    total_consistency,
)
from xlfact.tasks.mkqa.data import load_documents

register_metric_names(("exact_match", "f1"))
TASK_METRICS = ("exact_match", "f1", "total_consistency", "mean_languages_correct", "en_co")


def load_mkqa(**kwargs: Any) -> datasets.DatasetDict:
    """``custom_dataset`` hook of ``mkqa_<lang>``: every MKQA example is a test document."""
    docs = load_documents(kwargs["xlfact_lang"], kwargs.get("mkqa_file"), kwargs.get("data_revision"))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def prediction_of(generation: str | None) -> str:
    """The predicted answer: the generation up to its first newline, stripped (empty = No Answer)."""
    return (generation or "").split("\n", 1)[0].strip()


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """Official EM and F1 (best over the gold strings), and the cross-lingual record (correct = EM)."""
    output = results[0] if results else ""
    prediction = prediction_of(output)
    em, f1 = score_example(prediction, doc["golds"], doc["lang"])
    record = make_record(BENCHMARK, doc["id"], doc["lang"], em == 1.0, prediction=prediction, output=output,
                         f1=f1, answerable=bool(doc["answerable"]), answer_types=list(doc["answer_types"]))
    values = file_record(record)
    values.update({"exact_match": em, "f1": f1})
    return {name: values[name] for name in TASK_METRICS}
