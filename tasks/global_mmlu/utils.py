"""Global-MMLU glue for lm-eval: the ``custom_dataset`` hook xlfact's groups set on lm-eval's built-in tasks.

Prompts, targets, subject filters and ``acc`` stay lm-eval's own; only the data load goes through xlfact
(:mod:`xlfact.tasks.global_mmlu.data`), for local copies, validation and one load per language.
"""

from __future__ import annotations

from typing import Any

import datasets

import xlfact.models  # noqa: F401 - registers --model xlfact-hf wherever lm-eval loads this folder
from xlfact.tasks.global_mmlu.builtin import builtin_dataset, require_builtin
from xlfact.tasks.global_mmlu.data import DIR_KEYS, load_global_mmlu


def load_dataset(**kwargs: Any) -> datasets.DatasetDict:
    """lm-eval ``custom_dataset`` hook: task metadata merged with ``--model_args``/``--metadata`` arrives here.

    Keys read: ``xlfact_variant`` (full | lite) and ``xlfact_lang`` (from the group YAML's ``dataset_kwargs``), and the
    user's ``global_mmlu_dir`` / ``global_mmlu_lite_dir`` (a local copy in the hub layout).
    """
    variant, lang = kwargs["xlfact_variant"], kwargs["xlfact_lang"]
    require_builtin(variant, [lang])
    local = kwargs.get(DIR_KEYS[variant])
    return load_global_mmlu(variant, lang, local, None if local else builtin_dataset(variant, lang))
