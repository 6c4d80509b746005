"""``xlfact report``: per-language and cross-lingual metrics recomputed from lm-eval's ``--log_samples`` files.

The lm-eval results table can only show what each task aggregated in-process; the report recomputes everything
from the logged per-item records, so it is also right for multi-rank runs and for runs merged from several
invocations, and it adds 95% confidence intervals from a bootstrap that resamples *facts* (all languages of a fact
together), not rows.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from xlfact.atomic import write_json_atomic
from xlfact.evaluators.consistency import (
    ENGLISH,
    bootstrap_intervals,
    correctness,
    item_table,
    macro_mean,
    metrics_from_table,
)
from xlfact.evaluators.samples import RunSamples, read_runs

# Language subsets whose macro averages a benchmark reports (the papers' high/low-resource split).
POLYFACT_LOW = ("id", "bn", "sw")
LANGUAGE_GROUPS: dict[str, dict[str, Callable[[str], bool]]] = {
    "polyfact": {"high": lambda lang: lang not in POLYFACT_LOW, "low": lambda lang: lang in POLYFACT_LOW},
    "polyfact_clean": {"high": lambda lang: lang not in POLYFACT_LOW, "low": lambda lang: lang in POLYFACT_LOW},
    "global_mmlu": {"high": lambda lang: lang not in POLYFACT_LOW, "low": lambda lang: lang in POLYFACT_LOW},
    "global_mmlu_lite": {"high": lambda lang: lang not in POLYFACT_LOW, "low": lambda lang: lang in POLYFACT_LOW},
}
# Benchmark-specific figures: benchmark -> "module:function(records) -> {name: value}".
EXTRAS: dict[str, str] = {"klar": "xlfact.evaluators.klar:report_extras",
                          "klar_trace": "xlfact.evaluators.klar:trace_report_extras"}
# Sections that span several benchmarks: benchmark prefix -> "module:function(records_by_benchmark, focus) -> str".
SECTIONS: dict[str, str] = {"clika_": "xlfact.evaluators.clika:report_section"}
# The same sections as JSON-able data for the written report: prefix -> "module:function(records_by_benchmark, focus)".
SECTION_DATA: dict[str, str] = {"clika_": "xlfact.evaluators.clika:report_data"}


def _resolve(spec: str) -> Callable | None:
    module, _, name = spec.partition(":")
    if importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), name)


def benchmark_report(
    benchmark: str, records: list[dict[str, Any]], sample_metrics: list[dict[str, Any]], *, n_resamples: int, seed: int
) -> dict[str, Any]:
    """Everything the report says about one benchmark, as JSON-able data."""
    by_item: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for record in records:
        by_item[str(record["item"])][record["lang"]] = record
    has_scores = all("scores" in r and "gold" in r for r in records)
    if has_scores:
        scores = {i: {lang: r["scores"] for lang, r in per.items()} for i, per in by_item.items()}
        gold = {i: {lang: int(r["gold"]) for lang, r in per.items()} for i, per in by_item.items()}
        table = item_table(correctness(scores, gold), scores)
    else:
        table = item_table({i: {lang: bool(r["correct"]) for lang, r in per.items()} for i, per in by_item.items()})
    metrics = metrics_from_table(table)
    intervals = bootstrap_intervals(table, n_resamples=n_resamples, seed=seed) if n_resamples > 0 else {}

    per_metric: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in sample_metrics:
        for name, value in row.items():
            if name not in {"benchmark", "lang", "task"} and isinstance(value, float):
                per_metric[name][row["lang"]].append(value)
    per_language: dict[str, dict[str, Any]] = {}
    for lang in metrics["languages"]:
        entry: dict[str, Any] = {"n": metrics["n_items"][lang], "accuracy": metrics["accuracy"][lang]}
        entry["accuracy_ci"] = list(intervals.get(f"accuracy/{lang}", (math.nan, math.nan)))
        for name, values in per_metric.items():
            if values.get(lang) and name not in {"acc"}:
                entry[name] = sum(values[lang]) / len(values[lang])
        if lang in metrics["en_co"]:
            entry["en_co"] = metrics["en_co"][lang]
            entry["en_co_ci"] = list(intervals.get(f"en_co/{lang}", (math.nan, math.nan)))
        per_language[lang] = entry

    langs = metrics["languages"]
    macro = {"accuracy": macro_mean(metrics["accuracy"], langs)}
    for group, member in LANGUAGE_GROUPS.get(benchmark, {}).items():
        chosen = [lang for lang in langs if member(lang)]
        if chosen:
            macro[f"accuracy_{group}"] = macro_mean(metrics["accuracy"], chosen)
    cross_keys = ("total_consistency", "mean_languages_correct", "en_co_mean", "rankc", "rankc_en", "answer_agreement")
    cross = {key: metrics[key] for key in cross_keys if key in metrics}
    out: dict[str, Any] = {
        "benchmark": benchmark,
        "languages": langs,
        "n_items": len(table.items),
        "n_items_all_languages": metrics["n_items_all_languages"],
        "per_language": per_language,
        "macro": macro,
        "cross_lingual": cross,
        "cross_lingual_ci": {k: list(intervals[k]) for k in cross if k in intervals},
        "macro_ci": {"accuracy": list(intervals["accuracy_macro"])} if "accuracy_macro" in intervals else {},
        "scored_by": "option scores (per-token mean log-prob for PolyFact)" if has_scores else "correctness only",
    }
    if benchmark in EXTRAS and (fn := _resolve(EXTRAS[benchmark])) is not None:
        out["extras"] = fn(records)
    return out


def build_report(path: str | Path, *, n_resamples: int = 1000, seed: int = 0, focus: str = "zh") -> dict[str, Any]:
    """The report of every output folder under ``path``."""
    runs: list[RunSamples] = read_runs(path)
    folders = []
    for run in runs:
        records: dict[str, list[dict[str, Any]]] = defaultdict(list)
        metrics: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record, row in zip(run.records, run.sample_metrics):
            records[record["benchmark"]].append(record)
            metrics[record["benchmark"]].append(row)
        benchmarks = {
            name: benchmark_report(name, records[name], metrics[name], n_resamples=n_resamples, seed=seed)
            for name in sorted(records)
        }
        sections, section_data = {}, {}
        for prefix, spec in SECTIONS.items():
            chosen = {name: recs for name, recs in records.items() if name.startswith(prefix)}
            if chosen and (fn := _resolve(spec)) is not None:
                sections[prefix.rstrip("_")] = fn(chosen, focus=focus)
            if chosen and prefix in SECTION_DATA and (fn := _resolve(SECTION_DATA[prefix])) is not None:
                section_data[prefix.rstrip("_")] = fn(chosen, focus=focus)
        folders.append(
            {
                "folder": str(run.folder),
                "tasks": [f.task for f in run.files],
                "files": [str(f.path) for f in run.files],
                "benchmarks": benchmarks,
                "sections": sections,
                "section_data": section_data,
            }
        )
    return {"source": str(path), "bootstrap_resamples": n_resamples, "confidence_level": 0.95, "runs": folders}


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ci(ci: Any) -> str:
    if not ci or any(isinstance(x, float) and math.isnan(x) for x in ci):
        return ""
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def format_table(rows: list[list[str]], header: list[str]) -> str:
    """A GitHub-flavoured Markdown table (readable in a terminal too)."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def render_text(report: Mapping[str, Any]) -> str:
    """The report as Markdown tables, one block per output folder and benchmark."""
    out: list[str] = []
    for run in report["runs"]:
        out.append(f"# {run['folder']}")
        for name, bench in run["benchmarks"].items():
            out.append(f"\n## {name} ({bench['n_items']} items; scored by {bench['scored_by']})\n")
            extra_cols = sorted(
                {k for e in bench["per_language"].values() for k in e}
                - {"n", "accuracy", "accuracy_ci", "en_co", "en_co_ci"}
            )
            header = ["lang", "n", "acc", "95% CI", *extra_cols, "en-CO", "en-CO 95% CI"]
            rows = []
            for lang, e in bench["per_language"].items():
                en_co_cells = ["-", ""] if lang == ENGLISH else [_fmt(e.get("en_co")), _ci(e.get("en_co_ci"))]
                rows.append(
                    [lang, str(e["n"]), _fmt(e["accuracy"]), _ci(e.get("accuracy_ci")),
                     *[_fmt(e.get(c)) for c in extra_cols], *en_co_cells]
                )
            out.append(format_table(rows, header))
            summary = [[f"macro {k}", _fmt(v), _ci(bench["macro_ci"].get(k))] for k, v in bench["macro"].items()]
            summary += [[k, _fmt(v), _ci(bench["cross_lingual_ci"].get(k))] for k, v in bench["cross_lingual"].items()]
            summary += [[f"{k}", _fmt(v), ""] for k, v in bench.get("extras", {}).items()]
            out.append("")
            out.append(format_table(summary, ["figure", "value", "95% CI (by fact)"]))
        for name, text in run["sections"].items():
            out.append(f"\n## {name}\n")
            out.append(text)
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="xlfact report",
        description="Recompute per-language accuracy and cross-lingual consistency (total consistency, en-CO, RankC, "
        "answer agreement) from lm-eval --log_samples files, with 95%% bootstrap CIs resampled by fact. "
        "Reads OUTPUT_PATH/**/samples_<task>_<date>.jsonl (newest per task and folder); prints Markdown tables and "
        "writes JSON.",
    )
    parser.add_argument("output_path", help="--output_path of an lm-eval / xlfact eval run (folder or samples file)")
    parser.add_argument("--json", dest="json_path", help="where to write the JSON report "
                        "(default: OUTPUT_PATH/xlfact_report.json when OUTPUT_PATH is a folder)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the CIs (0: none)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--focus", default="zh", help="focus language of the CLiKA table (default zh, as the paper)")
    args = parser.parse_args(argv)
    report = build_report(args.output_path, n_resamples=args.bootstrap, seed=args.seed, focus=args.focus)
    print(render_text(report), end="")
    json_path = args.json_path or (
        Path(args.output_path) / "xlfact_report.json" if Path(args.output_path).is_dir() else None
    )
    if json_path:
        write_json_atomic(json_path, report)
        print(f"\nwrote {json_path}")
    return 0
