"""``xlfact report``: per-language and cross-lingual metrics recomputed from lm-eval's ``--log_samples`` files.

Reads runs through the one reader (:mod:`xlfact.core.runs`), scores each benchmark with
:func:`xlfact.tasks.registry.benchmark_report` (pure scoring with each benchmark's spec), prints Markdown tables
and writes JSON. The scoring lives in ``evaluators/``; reading folders, rendering and the command line live here.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xlfact.core.atomic import write_json_atomic
from xlfact.core.formatting import interval, markdown_table, number
from xlfact.core.runs import RunError, load_runs
from xlfact.core.values import ArgumentParser
from xlfact.errors import UsageError
from xlfact.evaluators.clika import change_after_tuning
from xlfact.evaluators.consistency import ENGLISH
from xlfact.leaderboard.report_figures import report_figures
from xlfact.tasks import registry
from xlfact.tasks.clika.report import change_section


def build_report(
    path: str | Path, *, n_resamples: int = 1000, seed: int = 0, focus: str = "zh", run: str | None = None
) -> dict[str, Any]:
    """The report of every output folder under ``path`` (read by :mod:`xlfact.core.runs`, the one reader;
    ``run`` names the run by date id in a folder that holds several)."""
    runs = load_runs([path], run=run, adapters=registry.record_adapters())
    folders = []
    for one in runs:
        records: dict[str, list[dict[str, Any]]] = defaultdict(list)
        metrics: dict[str, list[dict[str, Any]]] = defaultdict(list)
        read_tasks = []
        for task in one.tasks:
            if task not in one.sample_paths:
                one.skipped.append(f"task {task!r}: no samples_{task}_{one.date_id}.jsonl (run with --log_samples)")
                continue
            task_records = one.records(task)
            if not task_records:
                continue
            read_tasks.append(task)
            for record, values in zip(task_records, one.sample_metrics(task)):
                records[record["benchmark"]].append(record)
                metrics[record["benchmark"]].append(
                    {"benchmark": record["benchmark"], "lang": record["lang"], "task": task, **values})
        benchmarks = {
            name: registry.benchmark_report(name, records[name], metrics[name], n_resamples=n_resamples, seed=seed)
            for name in sorted(records)
        }
        sections = registry.sections(records, focus=focus)
        section_data = registry.section_data(records, focus=focus)
        folders.append(
            {
                "folder": str(one.folder),
                "results_file": str(one.results_path),
                "run": one.date_id,
                "tasks": read_tasks,
                "files": [str(one.sample_paths[t]) for t in read_tasks],
                "skipped": list(one.skipped),
                "benchmarks": benchmarks,
                "sections": sections,
                "section_data": section_data,
            }
        )
    if not any(f["benchmarks"] for f in folders):
        skipped = "; ".join(s for f in folders for s in f["skipped"]) or "no samples files"
        raise RunError(f"{path}: no task logged cross-lingual records, nothing to report (skipped: {skipped})")
    return {"source": str(path), "bootstrap_resamples": n_resamples, "confidence_level": 0.95, "runs": folders}


def _fmt(value: Any, digits: int = 4) -> str:
    return number(value, digits, missing="-")


def _ci(ci: Any) -> str:
    return interval(ci)


def format_table(rows: list[list[str]], header: list[str]) -> str:
    """A GitHub-flavoured Markdown table (readable in a terminal too)."""
    return markdown_table(header, rows)


def render_text(report: Mapping[str, Any]) -> str:
    """The report as Markdown tables, one block per output folder and benchmark."""
    out: list[str] = []
    for run in report["runs"]:
        out.append(f"# {run['folder']} (run {run['run']})")
        out += [f"\nskipped: {note}" for note in run.get("skipped", [])]
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


def add_clika_change(report: dict[str, Any], foundation: Mapping[str, Any]) -> None:
    """Add the CLiKA change after instruction tuning (each run minus the foundation run) to ``report``."""
    bases = [run["section_data"]["clika"] for run in foundation["runs"] if "clika" in run["section_data"]]
    if not bases:
        raise UsageError(f"--foundation {foundation['source']}: no CLiKA samples to compare with")
    for run in report["runs"]:
        if "clika" in run["section_data"]:
            change = change_after_tuning(run["section_data"]["clika"], bases[0])
            run["section_data"]["clika_change_after_tuning"] = change
            run["sections"]["clika_change_after_tuning"] = change_section(change)


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(
        prog="xlfact report",
        description="Recompute per-language accuracy and cross-lingual consistency (total consistency, en-CO, RankC, "
        "answer agreement) from lm-eval --log_samples files, with 95%% bootstrap CIs resampled by fact. Reads one run "
        "per model folder (results_<date>.json and exactly its samples_<task>_<date>.jsonl files, checked against "
        "it); prints Markdown tables, lists every file or task it skipped and why, and writes JSON. Bad input: one "
        "line naming file and line, exit status 2.",
    )
    parser.add_argument("run_path", metavar="RUN_PATH",
                        help="an lm-eval --output_path, a model folder in it, or one results_<date>.json")
    parser.add_argument("--run", metavar="DATE_ID", help="the run to read in a folder that holds several "
                        "(the date id of its results_<DATE_ID>.json)")
    parser.add_argument("--output_path", help="where to write the JSON report "
                        "(default: RUN_PATH/xlfact_report.json when RUN_PATH is a folder)")
    parser.add_argument("--json", dest="output_path", help=argparse.SUPPRESS)  # the old spelling
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the CIs (0: none)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--focus", default="zh", help="focus language of the CLiKA table (default zh, as the paper)")
    parser.add_argument("--figures", metavar="DIR", help="where to write the figures as PNG and SVG (default: "
                        "xlfact_figures/ beside the JSON report)")
    parser.add_argument("--no_figures", action="store_true", help="write no figures")
    parser.add_argument("--no-figures", dest="no_figures", action="store_true", help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--foundation", help="CLiKA: output path of the foundation (base) model's run; adds the "
                        "change-after-instruction-tuning table, this run minus that one (CLiKA Tables 9-12)")
    args = parser.parse_args(argv)
    report = build_report(args.run_path, n_resamples=args.bootstrap, seed=args.seed, focus=args.focus, run=args.run)
    if args.foundation:
        add_clika_change(report, build_report(args.foundation, n_resamples=0, focus=args.focus))
    print(render_text(report), end="")
    json_path = args.output_path or (
        Path(args.run_path) / "xlfact_report.json" if Path(args.run_path).is_dir() else None
    )
    if json_path:
        write_json_atomic(json_path, report)
        print(f"\nwrote {json_path}")
    figures_dir = args.figures or (Path(json_path).parent / "xlfact_figures" if json_path else None)
    if figures_dir and not args.no_figures and report["runs"]:
        written = report_figures(report, figures_dir)
        print(f"wrote {len(written)} figure files (PNG and SVG) to {figures_dir}")
    return 0
