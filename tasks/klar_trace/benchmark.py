"""klar_trace (the multilingual fact-tracing recall protocol on KLAR-CLC files) as a :class:`Benchmark`: its CLC
figures and the report section per language and relation."""

from __future__ import annotations

from pathlib import Path

from xlfact.evaluators.klar import TRACE_BENCHMARK, trace_relation_clc, trace_report_data, trace_report_extras
from xlfact.tasks.benchmark import Benchmark
from xlfact.tasks.klar.data import KLAR_DIR_ENV, SOURCE_URL
from xlfact.tasks.klar_trace.data import LANGUAGES
from xlfact.tasks.klar_trace.report import trace_report_section

BENCHMARK = Benchmark(
    name=TRACE_BENCHMARK,
    records=(TRACE_BENCHMARK,),
    tasks=("klar_trace_",),
    groups=("klar_trace_all",),
    languages=LANGUAGES,
    metadata_keys={"klar_dir": f"the KLAR-CLC folder (or ${KLAR_DIR_ENV}; default ./KLAR-CLC)"},
    env={"data_dir": KLAR_DIR_ENV},
    source_url=SOURCE_URL,
    folder=Path(__file__).resolve().parent,
    report_extras=trace_report_extras,
    report_data=trace_report_data,
    report_section=trace_report_section,
    trace_extras=lambda records: {lang: {f"clc/{relation}": value for relation, value in per.items()}
                                  for lang, per in trace_relation_clc(records).items()},
)
