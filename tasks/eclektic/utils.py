"""ECLeKTic glue for lm-eval: the dataset hook, per-document verdicts by the suite's matcher, and the run-level overall
success / transfer aggregations. The figures are :mod:`xlfact.evaluators.eclektic`.

Keys the dataset hook reads: ``xlfact_lang`` (the task YAML; ``source`` asks each question in its source language),
``eclektic_file`` (``--metadata eclektic_file=PATH``, else ``$XLFACT_ECLEKTIC_FILE``, else the hub mirror) and
``data_revision``.
"""

from __future__ import annotations

import math
import os
from typing import Any

import datasets

import xlfact.models  # noqa: F401 - registers --model xlfact-hf wherever lm-eval loads this folder
from xlfact.errors import UsageError
from xlfact.evaluators import eclektic
from xlfact.evaluators.matching import answer_matches
from xlfact.tasks.crosslingual import (  # noqa: F401 - referenced from the YAML metric_list
    distributed_world_size,
    en_co,
    file_record,
    make_record,
    mean_languages_correct,
    register_metric_names,
    store_snapshot,
    total_consistency,
)
from xlfact.tasks.eclektic.data import load_documents

register_metric_names(("overall_success", "transfer"))
TASK_METRICS = ("acc", "total_consistency", "mean_languages_correct", "en_co", "overall_success", "transfer")


def judge_settings(kwargs: dict[str, Any]) -> dict[str, str] | None:
    """``judge_base_url`` + ``judge_model`` from ``--metadata`` (both or neither), else None (the matcher decides)."""
    url, model = kwargs.get("judge_base_url"), kwargs.get("judge_model")
    if not url and not model:
        return None
    if not (url and model):
        raise UsageError("ECLeKTic: the LLM judge needs both --metadata judge_base_url=URL and judge_model=NAME")
    return {"judge_base_url": str(url), "judge_model": str(model)}


_JUDGES: dict[tuple[str, str], Any] = {}


def judge_client(base_url: str, model: str) -> Any:
    """One AdaXEval OpenAI-compatible client per (endpoint, model); the key is ``$OPENAI_API_KEY`` when set."""
    if (base_url, model) not in _JUDGES:
        from xlfact.builders.adaxeval.llm import OpenAIClient

        _JUDGES[(base_url, model)] = OpenAIClient(base_url, model, api_key=os.environ.get("OPENAI_API_KEY"))
    return _JUDGES[(base_url, model)]


def judge_request(context: str, question: str, answer: str, language: str) -> Any:
    """The AdaXEval client :class:`~xlfact.builders.adaxeval.llm.Request` of one verdict (greedy, 5 tokens), with
    :data:`xlfact.evaluators.eclektic.JUDGE_PROMPT`. (Here, not in evaluators/: scoring does not call clients.)"""
    from xlfact.builders.adaxeval.llm import Request  # the LLM client stack is loaded only when a judge is asked

    prompt = eclektic.JUDGE_PROMPT.format(language=language, context=context, question=question, answer=answer)
    return Request(step="eclektic_judge", messages=(("user", prompt),), temperature=0.0, max_tokens=5)


def load_eclektic(**kwargs: Any) -> datasets.DatasetDict:
    docs = load_documents(kwargs["xlfact_lang"], kwargs.get("eclektic_file"), kwargs.get("data_revision"),
                          judge_settings(kwargs))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def prediction_of(generation: str | None) -> str:
    """The answer: the generation up to its first newline, stripped."""
    return (generation or "").split("\n", 1)[0].strip()


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """Correct when the shared matcher accepts the answer (lenient), or, with ``--metadata judge_base_url=...
    judge_model=...``, when the LLM judge says the answer is supported by the passage (the record keeps both
    verdicts); the record carries the source language."""
    output = results[0] if results else ""
    prediction = prediction_of(output)
    matched = answer_matches(prediction, doc["target"], mode="lenient")
    extra: dict[str, Any] = {}
    correct = matched
    if doc.get("judge_model"):
        reply = judge_client(doc["judge_base_url"], doc["judge_model"]).complete(
            judge_request(doc["context"], doc["question"], prediction, doc["lang"]))
        correct = eclektic.judge_says_correct(reply)
        extra = {"matcher_correct": matched, "judge_reply": reply}
    record = make_record(eclektic.BENCHMARK, doc["id"], doc["lang"], correct, source_lang=doc["source_lang"],
                         prediction=prediction, output=output, target=doc["target"], **extra)
    values = file_record(record)
    key = f"{eclektic.BENCHMARK}|{doc['lang']}"
    values.update({"acc": float(correct), "overall_success": key, "transfer": key})
    return {name: values[name] for name in TASK_METRICS}


def _run_figure(items: list[Any], name: str) -> float:
    if not items or distributed_world_size() > 1:
        return math.nan
    records = [r for per in store_snapshot().get(eclektic.BENCHMARK, {}).values() for r in per.values()]
    total_consistency([items[0]])  # marks the run as aggregated, like every cross-lingual aggregation
    correct, sources = eclektic.from_records(records)
    return float(eclektic.figures(correct, sources, by_language=False)[name])


def overall_success(items: list[Any]) -> float:
    """The paper's overall success over this run's (question, target ≠ source) pairs."""
    return _run_figure(items, "overall_success")


def transfer(items: list[Any]) -> float:
    """The paper's transfer score over this run's pairs whose source-language answer is correct."""
    return _run_figure(items, "transfer")
