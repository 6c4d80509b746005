"""MultiLoKo glue for lm-eval: the dataset hook and the per-document metrics (eval.py's six); the aggregates of
eval.py (average / min / max / gap) and the mother-tongue / locality effects are in ``xlfact report``
(:func:`xlfact.evaluators.multiloko.report_extras`).

Keys the dataset hook reads: ``xlfact_lang``, ``xlfact_variant`` (local | to_english | from_english),
``xlfact_translation`` (human | machine) from the task YAML; ``multiloko_dir`` (or ``$XLFACT_MULTILOKO_DIR``; else
the gated hub with ``hf_token`` / ``$HF_TOKEN``), ``split`` (default dev) and ``data_revision``.
"""

from __future__ import annotations

from typing import Any

import datasets

import xlfact.models  # noqa: F401 - registers --model xlfact-hf wherever lm-eval loads this folder
from xlfact.evaluators.multiloko import BENCHMARK, METRICS, score_example
from xlfact.tasks.crosslingual import (  # noqa: F401 - referenced from the YAML metric_list
    file_record,
    make_record,
    mean_languages_correct,
    register_metric_names,
    total_consistency,
)
from xlfact.tasks.multiloko.data import load_documents

register_metric_names(("em", "f1", "bleu", "chrf", "edit_distance", "edit_similarity"))
TASK_METRICS = (*METRICS, "total_consistency")


def load_multiloko(**kwargs: Any) -> datasets.DatasetDict:
    translation = kwargs.get("xlfact_translation")
    docs = load_documents(kwargs["xlfact_lang"], kwargs.get("xlfact_variant", "local"),
                          None if translation in (None, "none") else translation, kwargs.get("split", "dev"),
                          kwargs.get("multiloko_dir"), kwargs.get("hf_token"), kwargs.get("data_revision"))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """eval.py's metrics of the first line of the generation; the record is correct when EM is 1."""
    output = results[0] if results else ""
    prediction = (output or "").split("\n", 1)[0].strip()
    metrics = score_example(prediction, doc["targets"])
    record = make_record(BENCHMARK, doc["id"], doc["subset"], metrics["em"] == 1.0, prediction=prediction,
                         output=output, metrics=metrics)
    values = file_record(record)
    values.update(metrics)
    return {name: values[name] for name in TASK_METRICS}
