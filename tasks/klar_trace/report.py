"""klar_trace's report section as Markdown: facts asked, accuracy, CLC and CLC within each relation per language,
from the figures of :mod:`xlfact.evaluators.klar` (pure scoring). Rendering sits above scoring."""

from __future__ import annotations

from collections.abc import Mapping

from xlfact.core.formatting import markdown_table, number
from xlfact.evaluators.consistency import clc
from xlfact.evaluators.klar import trace_relation_clc, trace_sets


def trace_report_section(records_by_benchmark: Mapping[str, list[dict]], focus: str = "") -> str:
    """Markdown: one row per language — facts asked, accuracy, CLC, and CLC within each relation."""
    records = [r for recs in records_by_benchmark.values() for r in recs]
    correct, _, asked = trace_sets(records)
    per_relation = trace_relation_clc(records)
    figures = clc(correct)
    relations = sorted({rel for per in per_relation.values() for rel in per})
    header = ["lang", "n", "acc", "CLC", *relations]
    rows = [[lang, asked[lang], number(len(correct[lang]) / asked[lang], 4), number(figures["per_language"][lang], 4),
             *[number(per_relation.get(lang, {}).get(rel), 3) for rel in relations]] for lang in sorted(correct)]
    title = (f"### klar_trace: CLC (Liu et al. 2025; Jaccard with English, English included) — overall "
             f"{number(figures['overall'], 4)}")
    return title + "\n\n" + markdown_table(header, rows)
