"""MKQA as the suite sees it: 26 languages, the official file or the hub copy, and the official answerable /
unanswerable figures in the report."""

from __future__ import annotations

from pathlib import Path

from xlfact.evaluators.mkqa import BENCHMARK as NAME
from xlfact.evaluators.mkqa import LANGUAGES, report_extras
from xlfact.tasks.benchmark import Benchmark
from xlfact.tasks.mkqa.data import HUB_DATASET, HUB_REVISION, MKQA_FILE_ENV, SOURCE_URL

BENCHMARK = Benchmark(
    name=NAME,
    tasks=tuple(f"mkqa_{lang}" for lang in LANGUAGES),
    groups=("mkqa_all",),
    languages=LANGUAGES,
    metadata_keys={"mkqa_file": f"the official mkqa.jsonl.gz (or ${MKQA_FILE_ENV}); without it the hub copy",
                   "data_revision": "hub commit of apple/mkqa"},
    env={"data_file": MKQA_FILE_ENV},
    hub={"mkqa": HUB_DATASET},
    hub_revisions={"mkqa": HUB_REVISION},
    source_url=SOURCE_URL,
    folder=Path(__file__).resolve().parent,
    report_extras=report_extras,
)
