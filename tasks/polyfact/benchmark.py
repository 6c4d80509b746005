"""PolyFact as the suite sees it: its spec (:mod:`xlfact.tasks.polyfact.spec`) as a :class:`Benchmark`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlfact.tasks.benchmark import Benchmark
from xlfact.tasks.polyfact import spec


def lighteval_tasks() -> list[Any]:
    """PolyFact's LightEval task configs (LightEval is a heavy optional dependency: imported only when asked)."""
    from xlfact.tasks.lighteval_configs import polyfact_tasks

    return polyfact_tasks()


BENCHMARK = Benchmark(
    name=spec.BENCHMARK,
    records=("polyfact", "polyfact_clean", "polyfact_gen", "wikifact"),
    tasks=("polyfact_", "polyfact_clean_", "polyfact_gen_", "wikifact_"),
    groups=("polyfact_all", "polyfact_high", "polyfact_low", "polyfact_clean_all", "polyfact_clean_high",
            "polyfact_clean_low", "polyfact_gen_all", "wikifact_all"),
    languages=spec.LANGUAGES,
    language_groups=spec.LANGUAGE_GROUPS,
    letters=spec.OPTION_LETTERS,
    metadata_keys=spec.METADATA_KEYS,
    env={"data_dir": spec.DATA_DIR_ENV, "revision": spec.REVISION_ENV},
    hub=spec.HUB_DATASETS,
    hub_revisions=spec.HUB_REVISIONS,
    folder=Path(__file__).resolve().parent,
    lighteval_tasks=lighteval_tasks,
)
