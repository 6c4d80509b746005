"""Cross-lingual metrics inside an lm-eval run: a run-scoped store of per-item records.

lm-eval aggregates each task on its own, and a group's aggregate is only a mean of its subtasks' values, so a metric
that needs *all* languages of a fact (total consistency, RankC, en-CO) cannot be written as an ordinary lm-eval
aggregation. It can be written with a store, because lm-eval (``evaluator.evaluate``) first calls ``process_results``
for every document of every task and only then calls the aggregation functions. So:

* every xlfact task's ``process_results`` returns, under ``total_consistency``, a JSON record of the item
  (benchmark, item id, language, correct, and for multiple choice the option scores and gold slot) and files the same
  record here; lm-eval logs it with ``--log_samples``, which is what ``xlfact report`` reads later;
* the aggregation functions below read the store, so each language's subtask reports the cross-language figure and
  the group mean of identical values is that figure.

A new run is detected by the first ``process_results`` after an aggregation, which clears the store. With several
ranks each process only sees its own documents, so the figures would be wrong: the aggregations then return NaN and
log that ``xlfact report`` computes them from the samples instead.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from typing import Any

from xlfact.core.records import RECORD_KEY, validate_record
from xlfact.evaluators.consistency import consistency_from_correct, cross_lingual_metrics, slot_keys_of

log = logging.getLogger(__name__)

# benchmark -> lang -> item id -> record
_STORE: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
_STATE = {"phase": "collect", "warned": False}
_CACHE: dict[str, dict] = {}

CROSS_METRICS = ("total_consistency", "mean_languages_correct", "en_co", "rankc", "rankc_en", "answer_agreement")


def distributed_world_size() -> int:
    """Number of processes in this evaluation (torch.distributed or accelerate's env), 1 when single-process."""
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return int(dist.get_world_size())
    except Exception:  # noqa: BLE001 - torch missing or not initialised: single process
        pass
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def make_record(
    benchmark: str,
    item: str,
    lang: str,
    correct: bool,
    *,
    scores: Sequence[float] | None = None,
    gold: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A JSON-serialisable record of one (item, language) result, as logged (under
    :data:`xlfact.core.records.RECORD_KEY`) and as stored; checked by the readers' own validator."""
    record: dict[str, Any] = {"benchmark": benchmark, "item": str(item), "lang": lang, "correct": bool(correct)}
    if scores is not None:
        record["scores"] = [float(s) for s in scores]
        record["pred"] = max(range(len(scores)), key=lambda i: (scores[i], -i))
    if gold is not None:
        record["gold"] = int(gold)
    record.update(extra)
    return validate_record(record, f"{benchmark} item {item} language {lang}")


def file_record(record: dict[str, Any]) -> dict[str, Any]:
    """Store a record for this run's cross-lingual aggregation and return the per-sample metric values."""
    if _STATE["phase"] == "aggregated":
        _STORE.clear()
        _CACHE.clear()
        _STATE["phase"] = "collect"
    _STORE.setdefault(record["benchmark"], {}).setdefault(record["lang"], {})[record["item"]] = record
    _CACHE.pop(record["benchmark"], None)
    key = f"{record['benchmark']}|{record['lang']}"
    values: dict[str, Any] = {RECORD_KEY: record}
    values.update({name: key for name in CROSS_METRICS[1:]})
    return values


def store_snapshot() -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
    """A copy of the records of the current run (for tests and in-process callers)."""
    return {b: {lang: dict(items) for lang, items in per.items()} for b, per in _STORE.items()}


def _benchmark_metrics(benchmark: str) -> dict:
    if benchmark not in _CACHE:
        per_lang = _STORE.get(benchmark, {})
        by_item: dict[str, dict[str, dict[str, Any]]] = {}
        for lang, items in per_lang.items():
            for item, record in items.items():
                by_item.setdefault(item, {})[lang] = record
        has_scores = all("scores" in r and "gold" in r for per in by_item.values() for r in per.values())
        if has_scores and by_item:
            scores = {i: {lang: r["scores"] for lang, r in per.items()} for i, per in by_item.items()}
            gold = {i: {lang: r["gold"] for lang, r in per.items()} for i, per in by_item.items()}
            _CACHE[benchmark] = cross_lingual_metrics(scores, gold, slot_keys_of(by_item))
        else:
            correct = {i: {lang: bool(r["correct"]) for lang, r in per.items()} for i, per in by_item.items()}
            _CACHE[benchmark] = consistency_from_correct(correct)
    return _CACHE[benchmark]


def _key_of(items: list[Any]) -> tuple[str, str] | None:
    for value in items:
        if isinstance(value, dict):
            return value["benchmark"], value["lang"]
        if isinstance(value, str) and "|" in value:
            benchmark, lang = value.split("|", 1)
            return benchmark, lang
    return None


def _aggregate(name: str, items: list[Any]) -> float:
    _STATE["phase"] = "aggregated"
    if distributed_world_size() > 1:
        if not _STATE["warned"]:
            log.warning(
                "xlfact: cross-lingual metrics need every language of a fact in one process; with several ranks "
                "they are reported as NaN here. Run `xlfact report <output_path>` on the --log_samples files."
            )
            _STATE["warned"] = True
        return math.nan
    key = _key_of(items)
    if key is None:
        return math.nan
    benchmark, lang = key
    metrics = _benchmark_metrics(benchmark)
    if name == "en_co":
        return float(metrics.get("en_co", {}).get(lang, math.nan))
    return float(metrics.get(name, math.nan))


def total_consistency(items: list[Any]) -> float:
    """Fraction of facts correct in every language evaluated in this run."""
    return _aggregate("total_consistency", items)


def mean_languages_correct(items: list[Any]) -> float:
    """Mean number of languages in which a fact is answered correctly."""
    return _aggregate("mean_languages_correct", items)


def en_co(items: list[Any]) -> float:
    """Of the facts this language gets right, the fraction English also gets right."""
    return _aggregate("en_co", items)


def rankc(items: list[Any]) -> float:
    """RankC over all language pairs of this run."""
    return _aggregate("rankc", items)


def rankc_en(items: list[Any]) -> float:
    """RankC over the language pairs with English."""
    return _aggregate("rankc_en", items)


def answer_agreement(items: list[Any]) -> float:
    """Fraction of facts with the same top-1 option, averaged over language pairs."""
    return _aggregate("answer_agreement", items)


def _passthrough(items: Any) -> Any:
    return items


def register_metric_names(names: Sequence[str]) -> None:
    """Register xlfact's per-item metric names with lm-eval, so its task loader does not go looking for them in the
    HF ``evaluate`` library (a network lookup that fails offline and costs seconds per name per task)."""
    import lm_eval.api.metrics  # noqa: F401 - fills lm-eval's own registry first, so its names keep their functions
    from lm_eval.api import registry

    for name in names:
        if name not in registry.metric_registry:
            registry.metric_registry.register(name)(_passthrough)
            registry.higher_is_better_registry.register(name, target=True)


register_metric_names((*CROSS_METRICS, "acc_sum", "acc_bytes", "exact", "jaccard_en"))
