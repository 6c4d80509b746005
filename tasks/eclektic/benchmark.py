"""ECLeKTic as the suite sees it: 12 languages (and Global ECLeKTic's source languages), the local file or the hub
mirror, and overall success / transfer with intervals clustered by question in the report."""

from __future__ import annotations

from pathlib import Path

from xlfact.evaluators.eclektic import BENCHMARK as NAME
from xlfact.evaluators.eclektic import LANGUAGES, report_extras
from xlfact.tasks.benchmark import Benchmark
from xlfact.tasks.eclektic.data import FILE_ENV, HUB_DATASET, HUB_REVISION, SOURCE_URL

BENCHMARK = Benchmark(
    name=NAME,
    tasks=("eclektic_",),
    groups=("eclektic_all",),
    languages=LANGUAGES,
    metadata_keys={"eclektic_file": f"eclektic_main.jsonl or a Global ECLeKTic CSV (or ${FILE_ENV}); without it "
                   "the hub mirror", "data_revision": f"hub commit of {HUB_DATASET}",
                   "judge_base_url": "OpenAI-compatible endpoint of an optional LLM judge (with judge_model)",
                   "judge_model": "the judge's model name"},
    env={"data_file": FILE_ENV},
    hub={"eclektic": HUB_DATASET},
    hub_revisions={"eclektic": HUB_REVISION},
    source_url=SOURCE_URL,
    folder=Path(__file__).resolve().parent,
    report_extras=report_extras,
)
