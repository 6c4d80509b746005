"""Global-MMLU (lm-eval's built-in tasks, grouped over PolyFact's languages) as a :class:`Benchmark`: its built-in
samples become records through :func:`xlfact.tasks.global_mmlu.samples.sample_record`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlfact.tasks.benchmark import Benchmark
from xlfact.tasks.global_mmlu.samples import sample_record
from xlfact.tasks.global_mmlu.spec import DIR_ENVS, DIR_KEYS, VARIANTS
from xlfact.tasks.polyfact import spec as polyfact


def lighteval_tasks() -> list[Any]:
    """Global-MMLU's LightEval task configs (LightEval is a heavy optional dependency: imported only when asked)."""
    from xlfact.tasks.lighteval_configs import global_mmlu_tasks

    return global_mmlu_tasks()


BENCHMARK = Benchmark(
    name="global_mmlu",
    records=("global_mmlu", "global_mmlu_lite"),
    tasks=("global_mmlu_",),
    groups=("xlfact_global_mmlu", "xlfact_global_mmlu_high", "xlfact_global_mmlu_low", "xlfact_global_mmlu_lite",
            "xlfact_global_mmlu_lite_high", "xlfact_global_mmlu_lite_low"),
    languages=polyfact.LANGUAGES,  # grouped over PolyFact's languages (Global-MMLU-Lite has no Russian)
    language_groups=polyfact.LANGUAGE_GROUPS,
    letters=polyfact.OPTION_LETTERS,
    metadata_keys={DIR_KEYS[v]: f"local copy of Global-MMLU {v} in the hub layout DIR/<lang>/<split>*.parquet "
                   f"(or ${DIR_ENVS[v]})" for v in VARIANTS},
    env={f"data_dir_{v}": DIR_ENVS[v] for v in VARIANTS},
    # No hub id here: the data is read from the dataset lm-eval's installed built-in YAML names
    # (:func:`xlfact.tasks.global_mmlu.builtin.builtin_dataset`), which pins no revision.
    folder=Path(__file__).resolve().parent,
    record_adapter=sample_record,
    lighteval_tasks=lighteval_tasks,
)
