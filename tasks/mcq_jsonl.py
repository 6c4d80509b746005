"""Runtime of the task folders ``xlfact make-task`` generates: the dataset hook and the per-token task class.

A generated folder holds one JSONL file per task under ``data/`` with the rows already rendered (``context``,
``choices``, ``gold``, ``fact_id``, ``language``); its ``utils.py`` only points the hook at those files, so the folder
can be moved or copied and still run with ``lm_eval --include_path``. Scoring is :mod:`xlfact.tasks.per_token`; the
cross-lingual aggregations are :mod:`xlfact.tasks.crosslingual`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets

from xlfact.core.jsonl import read_jsonl
from xlfact.tasks.crosslingual import (  # noqa: F401 - referenced from the generated YAML metric_list
    answer_agreement,
    en_co,
    mean_languages_correct,
    rankc,
    rankc_en,
    total_consistency,
)
from xlfact.tasks.per_token import PerTokenMultipleChoiceTask

ROW_KEYS = ("id", "fact_id", "language", "context", "choices", "gold")


class McqTask(PerTokenMultipleChoiceTask):
    """A generated multiple-choice task: ``context`` + each of ``choices``, scored by mean log-prob per option token."""


def load_task_data(path: str | Path) -> datasets.DatasetDict:
    """The rendered rows of one generated task; a damaged file names its row and field."""
    rows = []
    for line, row in read_jsonl(path):
        missing = [k for k in ROW_KEYS if k not in row]
        if missing:
            raise ValueError(f"{path} row {line}: missing field(s) {missing}; re-run xlfact make-task")
        rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no rows")
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


def load_from_folder(folder: Path, **kwargs: Any) -> datasets.DatasetDict:
    return load_task_data(Path(folder) / kwargs["xlfact_data"])
