"""KLAR-CLC as the suite sees it: languages and seen/held-out split (the paper's, :mod:`xlfact.evaluators.klar`),
data route (:mod:`xlfact.tasks.klar.data`) and the report's seen/held-out figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlfact.evaluators.klar import BENCHMARK as NAME
from xlfact.evaluators.klar import LANGUAGES, OOD_LANGUAGES, SEEN_LANGUAGES, report_extras
from xlfact.tasks.benchmark import Benchmark
from xlfact.tasks.klar.data import KLAR_DIR_ENV, SOURCE_URL


def lighteval_tasks() -> list[Any]:
    """KLAR-CLC's LightEval task configs (LightEval is a heavy optional dependency: imported only when asked)."""
    from xlfact.tasks.lighteval_configs import klar_tasks

    return klar_tasks()


BENCHMARK = Benchmark(
    name=NAME,
    records=(NAME,),
    tasks=tuple(f"klar_{lang}" for lang in LANGUAGES),
    groups=("klar_all", "klar_seen", "klar_ood"),
    languages=LANGUAGES,
    seen_heldout=(SEEN_LANGUAGES, OOD_LANGUAGES),
    metadata_keys={"klar_dir": f"the KLAR-CLC folder <dir>/<lang>/<relation>.json (or ${KLAR_DIR_ENV}; "
                   "default ./KLAR-CLC)"},
    env={"data_dir": KLAR_DIR_ENV},
    source_url=SOURCE_URL,  # no hub copy: a folder of the authors' JSON files
    folder=Path(__file__).resolve().parent,
    report_extras=report_extras,
    lighteval_tasks=lighteval_tasks,
)
