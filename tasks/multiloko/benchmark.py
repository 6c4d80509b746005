"""MultiLoKo as the suite sees it: 31 languages and their translated subsets, the user's decrypted folder or the
gated hub (never mirrored), and eval.py's aggregates with the mother-tongue / locality effects in the report."""

from __future__ import annotations

from pathlib import Path

from xlfact.evaluators.multiloko import BENCHMARK as NAME
from xlfact.evaluators.multiloko import LANGUAGES, report_extras
from xlfact.tasks.benchmark import Benchmark
from xlfact.tasks.multiloko.data import DIR_ENV, HUB_DATASET, HUB_REVISION, SOURCE_URL

BENCHMARK = Benchmark(
    name=NAME,
    tasks=("multiloko_",),
    groups=("multiloko", "multiloko_to_english_human", "multiloko_from_english_human"),
    languages=LANGUAGES,
    metadata_keys={"multiloko_dir": f"the decrypted benchmark_data folder (or ${DIR_ENV}); without it the gated hub",
                   "hf_token": "token for the gated hub dataset (or $HF_TOKEN)", "split": "dev (default) or test",
                   "data_revision": f"hub commit of {HUB_DATASET}"},
    env={"data_dir": DIR_ENV},
    hub={"multiloko": HUB_DATASET},
    hub_revisions={"multiloko": HUB_REVISION},
    source_url=SOURCE_URL,
    folder=Path(__file__).resolve().parent,
    report_extras=report_extras,
)
