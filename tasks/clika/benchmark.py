"""CLiKA as the suite sees it: its spec (:mod:`xlfact.tasks.clika.spec`) and the report section (RA and en-CO per
language, CLiKA Tables 2-5) over every ``clika_*`` record benchmark of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlfact.evaluators.clika import report_data
from xlfact.tasks.benchmark import Benchmark
from xlfact.tasks.clika import spec
from xlfact.tasks.clika.report import report_section


def lighteval_tasks() -> list[Any]:
    """CLiKA's LightEval task configs (LightEval is a heavy optional dependency: imported only when asked)."""
    from xlfact.tasks.lighteval_configs import clika_tasks

    return clika_tasks()


BENCHMARK = Benchmark(
    name=spec.BENCHMARK,
    record_prefixes=("clika_",),
    tasks=("clika_",),
    groups=("clika_all", "clika_basic", "clika_factual", "clika_all_gen", "clika_basic_gen", "clika_factual_gen",
            "clika_fictional", "clika_translate"),
    languages=spec.LANGUAGES,
    letters=tuple(spec.OPTION_LETTERS),
    metadata_keys={"clika_dir": f"a clone of the authors' repository (or ${spec.CLIKA_DIR_ENV})"},
    env={"data_dir": spec.CLIKA_DIR_ENV},
    source_url=spec.SOURCE_URL,
    folder=Path(__file__).resolve().parent,
    report_data=report_data,
    report_section=report_section,
    lighteval_tasks=lighteval_tasks,
)
