"""BMLAMA-17 and BMLAMA-53 as the suite sees them: two benchmarks of one folder, their languages, the user's data
path (never vendored), and P@1 / RankC / COverlap per language and pair in the report."""

from __future__ import annotations

from pathlib import Path

from xlfact.evaluators.bmlama import LANGUAGES, report_extras_17, report_extras_53
from xlfact.tasks.benchmark import Benchmark
from xlfact.tasks.bmlama.data import DIR_ENV, SOURCE_URL

_COMMON = {
    "metadata_keys": {"bmlama_dir": f"folder with the reference's <lang>.tsv files (or ${DIR_ENV})"},
    "env": {"data_dir": DIR_ENV},
    "source_url": SOURCE_URL,
    "folder": Path(__file__).resolve().parent,
}

BMLAMA17 = Benchmark(name="bmlama17", tasks=("bmlama17_",), groups=("bmlama17",), languages=LANGUAGES["bmlama17"],
                     report_extras=report_extras_17, **_COMMON)
BMLAMA53 = Benchmark(name="bmlama53", tasks=("bmlama53_",), groups=("bmlama53",), languages=LANGUAGES["bmlama53"],
                     report_extras=report_extras_53, **_COMMON)
