"""BMLAMA glue for lm-eval: the dataset hook, the task class (whole-sentence mean log-likelihood per candidate, as the
reference ranks) and the run-level P@1 / RankC / COverlap aggregations. Scoring is :mod:`xlfact.evaluators.bmlama`.

Keys the dataset hook reads: ``xlfact_lang`` and ``xlfact_variant`` (bmlama17 | bmlama53, the task YAML) and
``bmlama_dir`` (``--metadata bmlama_dir=DIR``, else ``$XLFACT_BMLAMA_DIR``).
"""

from __future__ import annotations

import math
from typing import Any

import datasets

import xlfact.models  # noqa: F401 - registers --model xlfact-hf wherever lm-eval loads this folder
from xlfact.evaluators.bmlama import correct_index, pairwise_figures, rank_by_loss
from xlfact.evaluators.multiple_choice import option_scores
from xlfact.tasks.bmlama.data import load_documents
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
from xlfact.tasks.per_token import PerTokenMultipleChoiceTask

register_metric_names(("coverlap", "coverlap_en", "p_at_1"))
TASK_METRICS = ("acc", "p_at_1", "total_consistency", "mean_languages_correct", "en_co", "rankc", "rankc_en",
                "coverlap", "coverlap_en")


def load_bmlama(**kwargs: Any) -> datasets.DatasetDict:
    """``custom_dataset`` hook: every row of ``<bmlama_dir>/<lang>.tsv`` is a test document."""
    docs = load_documents(kwargs["xlfact_variant"], kwargs["xlfact_lang"], kwargs.get("bmlama_dir"))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


class BmlamaTask(PerTokenMultipleChoiceTask):
    """Each candidate's sentence is scored whole (context ``""``) by its mean log-probability per token; candidates
    are ranked by it, and the reference's P@1 / CorrectIndex are computed from the ranking."""

    def item_id(self, doc: dict[str, Any]) -> str:
        return str(doc["id"])

    def language(self, doc: dict[str, Any]) -> str:
        return str(doc["lang"])

    def process_results(self, doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
        loglikelihoods = [float(r[0]) for r in results]
        per_token = option_scores(loglikelihoods, self.token_counts(doc), doc["sentences"])["per_token"]
        losses = [-s for s in per_token]
        ranking = rank_by_loss(losses)
        found = correct_index(ranking, doc["candidates"], doc["golds"])
        extra: dict[str, Any] = {}
        if doc["gold_in_candidates"] and len(doc["golds"]) == 1:
            extra = {"scores": per_token, "gold": int(doc["gold"])}
        record = make_record(self.benchmark, doc["id"], doc["lang"], all(found), losses=losses, ranking=ranking,
                             correct_index=found, golds=list(doc["golds"]), **extra)
        values = file_record(record)
        key = f"{self.benchmark}|{doc['lang']}"
        # acc: 0/1 per fact (all golds found; what `xlfact compare` pairs); p_at_1: the reference's micro precision
        # over gold answers (equal to acc when every fact has one gold, as in the released files).
        values.update({"acc": float(all(found)), "p_at_1": (sum(found), len(found)), "coverlap": key,
                       "coverlap_en": key})
        return {name: values[name] for name in TASK_METRICS}


def precision(items: list[tuple[int, int]]) -> float:
    """The reference's probing accuracy: golds found / golds, over the language's items (micro)."""
    total = sum(n for _, n in items)
    return sum(k for k, _ in items) / total if total else math.nan


def _pairwise(items: list[Any], name: str) -> float:
    if not items or distributed_world_size() > 1:
        return math.nan
    benchmark = str(items[0]).split("|", 1)[0]
    per_lang = store_snapshot().get(benchmark, {})
    total_consistency([items[0]])  # marks the run as aggregated, like every cross-lingual aggregation
    return float(pairwise_figures(per_lang)[name])


def rankc(items: list[Any]) -> float:
    """RankC over all language pairs of this run, each pair as ``RankC.py`` computes it."""
    return _pairwise(items, "rankc")


def rankc_en(items: list[Any]) -> float:
    """RankC over the pairs with English."""
    return _pairwise(items, "rankc_en")


def coverlap(items: list[Any]) -> float:
    """COverlap over all language pairs of this run, each pair as ``COverlap.py`` computes it."""
    return _pairwise(items, "coverlap")


def coverlap_en(items: list[Any]) -> float:
    """COverlap over the pairs with English."""
    return _pairwise(items, "coverlap_en")
