"""PolyFact glue for lm-eval: the dataset hook and the task class. Scoring lives in ``xlfact.evaluators``."""

from __future__ import annotations

from typing import Any

import datasets

import xlfact.models  # noqa: F401 - registers --model xlfact-hf wherever lm-eval loads this folder
from xlfact.tasks.crosslingual import (  # noqa: F401 - referenced from the YAML metric_list
    answer_agreement,
    en_co,
    mean_languages_correct,
    rankc,
    rankc_en,
    total_consistency,
)
from xlfact.tasks.per_token import PerTokenMultipleChoiceTask
from xlfact.tasks.polyfact.data import load_polyfact


class PolyFactTask(PerTokenMultipleChoiceTask):
    """PolyFact: ``Question: {question}\\nAnswer:`` + ``" " + option``, scored by mean log-prob per option token."""


def load_dataset(**kwargs: Any) -> datasets.DatasetDict:
    """lm-eval ``custom_dataset`` hook: task metadata merged with ``--model_args``/``--metadata`` arrives here.

    Keys read: ``xlfact_lang`` and ``xlfact_source`` / ``xlfact_clean`` (from the task YAML), and the user's
    ``data_dir`` (local copy in the hub layout), ``source`` (override: polyfact | clean | wikifact), ``split``
    (default test), ``on_invalid`` (error | skip) and ``data_revision`` (hub commit); see
    :data:`xlfact.tasks.polyfact.spec.METADATA_KEYS`.
    """
    lang = kwargs["xlfact_lang"]
    source = kwargs.get("source") or kwargs.get("xlfact_source", "polyfact")
    clean = str(kwargs.get("xlfact_clean", False)).lower() in {"1", "true", "yes"}
    rows = load_polyfact(
        lang,
        source=source,
        data_dir=kwargs.get("data_dir"),
        split=kwargs.get("split", "test"),
        clean_filter=clean,
        on_invalid=kwargs.get("on_invalid", "error"),
        revision=kwargs.get("data_revision"),
    )
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})
