"""The benchmark registry: every benchmark xlfact knows, one line each, as imported :class:`Benchmark` objects.

The report (``xlfact report``), the leaderboard, the release gate, the checkpoint trace and the LightEval module ask
this module, and nothing else, which benchmarks exist and what to call for them: :func:`find` (the benchmark a
record belongs to), :func:`record_adapters` (the run reader's adapters for tasks that log no record),
:func:`benchmark_report` (the scored report of one record benchmark with its spec's groups and extras),
:func:`section_data` / :func:`sections` (sections that span several record benchmarks).

How to add a benchmark (``CONTRIBUTING.md`` walks through it; ``tests/test_add_benchmark.py`` does it):

1. Make a folder ``tasks/<name>/`` with the lm-eval task YAMLs, a loader (``data.py`` + ``utils.py``, whose
   ``process_results`` returns :func:`xlfact.tasks.crosslingual.make_record` records with ``benchmark=<name>``), a
   ``README.md`` and a ``benchmark.py`` that declares ``BENCHMARK = Benchmark(name="<name>", languages=(...), ...)``
   (:mod:`xlfact.tasks.benchmark` lists every field; only ``name`` is required; hooks are plain functions).
2. Add one line to :data:`BENCHMARKS` below: ``<name>.BENCHMARK,`` with its import at the top of this file.

That is all: ``xlfact eval``, ``xlfact report``, ``xlfact leaderboard build`` and ``xlfact compare`` find it. A task
folder written outside the package (``xlfact make-task``, AdaXEval) writes a ``benchmark.py`` too; records of a
benchmark that is not listed are reported with the defaults (no language groups, no extras, no section).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from xlfact.evaluators.report import benchmark_report as score_benchmark
from xlfact.tasks.benchmark import Benchmark, RecordAdapter, RecordsByBenchmark
from xlfact.tasks.bmlama import benchmark as bmlama
from xlfact.tasks.clika import benchmark as clika
from xlfact.tasks.eclektic import benchmark as eclektic
from xlfact.tasks.global_mmlu import benchmark as global_mmlu
from xlfact.tasks.klar import benchmark as klar
from xlfact.tasks.klar_trace import benchmark as klar_trace
from xlfact.tasks.mkqa import benchmark as mkqa
from xlfact.tasks.multiloko import benchmark as multiloko
from xlfact.tasks.polyfact import benchmark as polyfact

__all__ = ["BENCHMARKS", "Benchmark", "benchmark_report", "find", "record_adapters", "section_data", "sections"]

# Every benchmark, in the order their report sections appear. One line per benchmark.
BENCHMARKS: tuple[Benchmark, ...] = (
    polyfact.BENCHMARK,
    global_mmlu.BENCHMARK,
    klar.BENCHMARK,
    clika.BENCHMARK,
    klar_trace.BENCHMARK,
    mkqa.BENCHMARK,
    eclektic.BENCHMARK,
    multiloko.BENCHMARK,
    bmlama.BMLAMA17,
    bmlama.BMLAMA53,
)


def find(record_benchmark: str) -> Benchmark | None:
    """The benchmark whose records are logged as ``record_benchmark`` (``polyfact_clean`` -> PolyFact), or None."""
    return next((b for b in BENCHMARKS if b.owns(record_benchmark)), None)


def by_name(name: str) -> Benchmark:
    """The benchmark named ``name``; KeyError listing the known names otherwise."""
    for bench in BENCHMARKS:
        if bench.name == name:
            return bench
    raise KeyError(f"no benchmark {name!r}; known: {', '.join(b.name for b in BENCHMARKS)}")


def record_adapters() -> tuple[RecordAdapter, ...]:
    """The per-sample record adapters of the benchmarks whose tasks log no record (lm-eval built-ins); the run
    reader (:func:`xlfact.core.runs.load_runs`) takes them."""
    return tuple(b.record_adapter for b in BENCHMARKS if b.record_adapter is not None)


def benchmark_report(
    benchmark: str, records: list[dict[str, Any]], sample_metrics: list[dict[str, Any]], *, n_resamples: int, seed: int
) -> dict[str, Any]:
    """The report of one record benchmark (:func:`xlfact.evaluators.report.benchmark_report`), macro-averaged over
    its spec's language groups and with its ``report_extras``."""
    spec = find(benchmark)
    return score_benchmark(benchmark, records, sample_metrics, n_resamples=n_resamples, seed=seed,
                           language_groups=spec.language_groups if spec else {},
                           extras=spec.report_extras if spec else None)


def _sections(hook: Callable[[Benchmark], Callable[..., Any] | None], records_by_benchmark: RecordsByBenchmark,
              **kwargs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for bench in BENCHMARKS:
        fn = hook(bench)
        chosen = bench.chosen(records_by_benchmark)
        if fn is not None and chosen:
            out[bench.name] = fn(chosen, **kwargs)
    return out


def section_data(records_by_benchmark: Mapping[str, list[dict[str, Any]]], **kwargs: Any) -> dict[str, Any]:
    """``{benchmark: data}`` of every section that spans several record benchmarks (``focus=`` passes on)."""
    return _sections(lambda b: b.report_data, records_by_benchmark, **kwargs)


def sections(records_by_benchmark: Mapping[str, list[dict[str, Any]]], **kwargs: Any) -> dict[str, str]:
    """``{benchmark: Markdown}`` of the same sections, for the printed report."""
    return _sections(lambda b: b.report_section, records_by_benchmark, **kwargs)
