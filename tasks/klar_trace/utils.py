"""klar_trace glue for lm-eval: the dataset hook, per-document results and the CLC aggregations.

Keys the dataset hook reads: ``xlfact_lang`` (from the YAML) and ``klar_dir`` (``--metadata``, else
``$XLFACT_KLAR_DIR``, else ``./KLAR-CLC``), as for ``klar_*``. The prediction is the whole generation stripped (no
first-line cut) and is scored by the shared matcher in ``mode="prefix"``; CLC is
:func:`xlfact.evaluators.consistency.clc` over the run's records.
"""

from __future__ import annotations

import math
from typing import Any

import datasets

from xlfact.evaluators.consistency import clc, clc_per_relation
from xlfact.evaluators.matching import answer_matches
from xlfact.tasks.crosslingual import (  # noqa: F401 - referenced from the YAML metric_list
    distributed_world_size,
    en_co,
    file_record,
    make_record,
    register_metric_names,
    store_snapshot,
    total_consistency,
)
from xlfact.tasks.klar.data import resolve_klar_dir
from xlfact.tasks.klar_trace.data import RELATIONS, load_documents

BENCHMARK = "klar_trace"
RELATION_METRICS = tuple(f"clc_{rel}" for rel in RELATIONS)  # this language's CLC within one relation
register_metric_names(("clc", "clc_mean", *RELATION_METRICS))
TASK_METRICS = ("acc", "clc", "clc_mean", *RELATION_METRICS, "total_consistency", "en_co")


def load_klar_trace(**kwargs: Any) -> datasets.DatasetDict:
    """``custom_dataset`` hook of ``klar_trace_<lang>``: the language's 1,197 facts of the 12 relations."""
    root = resolve_klar_dir(kwargs.get("klar_dir"))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(load_documents(root, kwargs["xlfact_lang"]))})


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """MFT's verdict: the whole output stripped, correct iff it and the object are prefixes of each other."""
    output = results[0] if results else ""
    prediction = (output or "").strip()
    correct = answer_matches(prediction, doc["target"], mode="prefix")
    record = make_record(BENCHMARK, doc["id"], doc["lang"], correct, prediction=prediction, output=output,
                         target=doc["target"], relation=doc["relation"])
    values = file_record(record)
    key = f"{BENCHMARK}|{doc['lang']}"
    values.update({"acc": float(correct), "clc": key, "clc_mean": key, **{name: key for name in RELATION_METRICS}})
    return {name: values[name] for name in TASK_METRICS}


def _run_clc(items: list[Any]) -> tuple[str, dict] | None:
    if not items or distributed_world_size() > 1:
        return None
    benchmark, lang = str(items[0]).split("|", 1)
    correct = {run_lang: {item for item, r in records.items() if r["correct"]}
               for run_lang, records in store_snapshot().get(benchmark, {}).items()}
    return lang, clc(correct)


def clc_language(items: list[Any]) -> float:
    """Jaccard of this language's correct facts with English's (0 for an empty union; English: 1.0, or 0)."""
    run = _run_clc(items)
    return math.nan if run is None else float(run[1]["per_language"].get(run[0], math.nan))


def clc_mean(items: list[Any]) -> float:
    """The paper's overall CLC: the mean over all languages of the run, English included."""
    run = _run_clc(items)
    return math.nan if run is None else float(run[1]["overall"])


def _relation_clc(relation: str):
    def aggregate(items: list[Any]) -> float:
        if not items or distributed_world_size() > 1:
            return math.nan
        benchmark, lang = str(items[0]).split("|", 1)
        records = store_snapshot().get(benchmark, {})
        if "en" not in records:
            return math.nan
        correct = {run_lang: {item for item, r in recs.items() if r["correct"]} for run_lang, recs in records.items()}
        relation_of = {item: r["relation"] for recs in records.values() for item, r in recs.items()}
        value = clc_per_relation(correct, relation_of, [lang], asked=records)[lang].get(relation)
        return math.nan if value is None else float(value)  # NaN: the relation was not asked (a --limit run)

    aggregate.__name__ = f"clc_{relation}"
    aggregate.__doc__ = (f"Jaccard with English within relation {relation} (0 for an empty union; English 1.0; NaN "
                         "when no fact of it was asked in the language or in English).")
    return aggregate


# clc_<relation>: one aggregation per relation, referenced by name from the task template
globals().update({f"clc_{rel}": _relation_clc(rel) for rel in RELATIONS})
