"""What a benchmark tells the rest of xlfact about itself: the :class:`Benchmark` object each ``tasks/<name>/``
folder declares in its ``benchmark.py`` and :mod:`xlfact.tasks.registry` lists.

The report, the leaderboard, the release gate, the trace and the LightEval module find a benchmark's languages,
groups and hooks here, by reference (imported callables), never by a ``"module:function"`` string or a name prefix
written somewhere else. Everything but ``name`` has a default, so a benchmark that needs no special figures declares
only what it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Record = dict[str, Any]
RecordAdapter = Callable[[str, dict[str, Any]], "Record | None"]
RecordsByBenchmark = Mapping[str, list[Record]]


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: its spec (what it is) and its hooks (what the suite calls for it).

    Spec
        ``name`` is the benchmark's id and the name of the report section its ``section`` hooks fill.
        ``records`` are the ``benchmark`` values its per-sample records carry (a folder may log several, e.g.
        ``polyfact`` and ``polyfact_clean``), ``record_prefixes`` the prefixes that also belong to it (CLiKA's
        ``clika_xcsqa``, ``clika_xgeo_gen``, ...). ``tasks`` / ``groups`` are its lm-eval task and group names (or
        prefixes ending in ``_``). ``languages`` in the paper's order; ``language_groups`` the subsets the report
        macro-averages (``{"high": ..., "low": ...}``); ``seen_heldout`` the (seen, held-out) languages the figures
        compare, when the benchmark has such a split. ``letters`` the option letters of letter-choice prompts.
        ``metadata_keys`` what ``--metadata key=value`` accepts (key -> help), ``env`` the environment variables
        it reads (role -> name, e.g. ``{"data_dir": "XLFACT_KLAR_DIR"}``), ``hub`` the hub datasets (source ->
        id) and ``hub_revisions`` their pinned revisions (``None`` where none is pinned), ``source_url`` where the
        data comes from when it is not on the hub, ``folder`` the task folder ``lm_eval --include_path`` reads.

    Hooks (plain callables; ``None`` when the benchmark has nothing special)
        ``record_adapter(task, sample) -> record | None``: the per-sample record of a task that logs none itself
        (lm-eval's built-in Global-MMLU tasks). ``report_extras(records) -> {figure: value}``: figures the report
        adds for one of its record benchmarks. ``report_data(records_by_benchmark, focus) -> dict`` and
        ``report_section(records_by_benchmark, focus) -> str``: a section spanning its record benchmarks, as data
        (written report, leaderboard) and as Markdown (printed report). ``lighteval_tasks() -> list``: its LightEval
        task configs (imports LightEval, so it is called only by the LightEval module).
        ``trace_extras(records) -> {lang: {metric: value}}``: per-language figures ``xlfact trace`` adds to
        trace.csv for each checkpoint beyond the report's (klar_trace: the CLC within each relation).
    """

    name: str
    records: tuple[str, ...] = ()
    record_prefixes: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    language_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    seen_heldout: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    letters: tuple[str, ...] = ()
    metadata_keys: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    hub: Mapping[str, str] = field(default_factory=dict)
    hub_revisions: Mapping[str, str | None] = field(default_factory=dict)
    source_url: str | None = None
    folder: Path | None = None
    record_adapter: RecordAdapter | None = None
    report_extras: Callable[[list[Record]], dict[str, float]] | None = None
    report_data: Callable[..., dict[str, Any]] | None = None
    report_section: Callable[..., str] | None = None
    lighteval_tasks: Callable[[], list[Any]] | None = None
    trace_extras: Callable[[list[Record]], dict[str, dict[str, float]]] | None = None

    def owns(self, record_benchmark: str) -> bool:
        """Whether records logged as ``record_benchmark`` belong to this benchmark."""
        if record_benchmark in (self.records or (self.name,)):
            return True
        return bool(self.record_prefixes) and record_benchmark.startswith(self.record_prefixes)

    def chosen(self, records_by_benchmark: RecordsByBenchmark) -> dict[str, list[Record]]:
        """The part of ``records_by_benchmark`` that belongs to this benchmark (its sections read that)."""
        return {name: recs for name, recs in records_by_benchmark.items() if self.owns(name)}
