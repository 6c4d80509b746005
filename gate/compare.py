"""``xlfact compare``: a significance-tested release gate between a baseline run and a candidate run.

A release should fail only when the candidate is *really* worse, not when it lost three coin flips. So items are
paired by lm-eval's ``doc_hash`` per task (the two runs must have seen the same documents with the same prompts —
otherwise the comparison is refused), and then, per task and language, accuracy is compared with McNemar's exact test
on the flipped items; per benchmark, the cross-lingual consistency metrics are compared with a paired bootstrap that
resamples facts. Holm's correction runs across *all* tests. A regression is a test that is significant after
correction **and** whose drop exceeds the margin (in points, i.e. percent of items): significance alone would fail a
release for a 0.1-point drop measured on a huge set; a margin alone would fail it for noise on a small one.

Exit status: 0 when no regression, 1 on any regression, 2 when the inputs cannot be compared.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xlfact.core import figures
from xlfact.core.atomic import write_json_atomic, write_text_atomic
from xlfact.core.formatting import markdown_table, number
from xlfact.core.runs import Run, RunError, load_run
from xlfact.core.stats import holm, mcnemar_exact, paired_bootstrap, paired_difference_ci
from xlfact.core.values import ArgumentParser
from xlfact.errors import EXIT_BAD_INPUT, EXIT_REGRESSION, UsageError, XlfactError, one_line
from xlfact.evaluators.consistency import ENGLISH, ItemTable, correctness, item_table, metrics_from_table
from xlfact.tasks import registry

CONSISTENCY_METRICS = ("total_consistency", "en_co_mean", "rankc", "rankc_en", "answer_agreement")


@dataclass
class PairedTask:
    """Per-item correctness of both runs on one task, aligned item by item."""

    task: str
    benchmark: str
    lang: str | None
    metric: str
    baseline: np.ndarray
    candidate: np.ndarray


@dataclass
class PairedBenchmark:
    """Item tables of both runs over the same facts and languages (row i is the same fact in both)."""

    benchmark: str
    baseline: ItemTable
    candidate: ItemTable


@dataclass
class Pairing:
    tasks: list[PairedTask] = field(default_factory=list)
    benchmarks: list[PairedBenchmark] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------- pairing
def binary_metric(run: Run, task: str, wanted: str | None) -> str:
    """The per-sample 0/1 metric to test: ``wanted`` (an error when the task does not log it), or by default
    ``acc`` when logged, else the first logged metric that is 0/1."""
    samples = run.samples(task)
    logged = list(samples[0].get("metrics", [])) if samples else []
    if wanted is not None and wanted not in logged:
        raise UsageError(
            f"--metric {wanted}: {run.sample_paths[task]} (task {task!r}) logs no metric {wanted!r}; it logs "
            f"{', '.join(logged) or 'none'}"
        )
    candidates = [wanted] if wanted is not None else ["acc"] + [m for m in logged if m != "acc"]
    for name in candidates:
        values = [s.get(name) for s in samples]
        if values and all(isinstance(v, (bool, int, float)) and float(v) in (0.0, 1.0) for v in values):
            return name
    raise UsageError(
        f"{run.sample_paths[task]}: task {task!r} logs no per-sample 0/1 metric ({', '.join(logged) or 'none'}); "
        "pass --metric NAME"
    )


def _by_doc_hash(samples: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    out: dict[tuple[str, int], dict[str, Any]] = {}
    seen: dict[str, int] = defaultdict(int)
    for sample in samples:
        key = (sample["doc_hash"], seen[sample["doc_hash"]])  # identical documents pair in order
        seen[sample["doc_hash"]] += 1
        out[key] = sample
    return out


def pair_task_samples(baseline: Run, candidate: Run, task: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Samples of ``task`` paired by ``doc_hash``; refuses when documents or prompts disagree."""
    a, b = _by_doc_hash(baseline.samples(task)), _by_doc_hash(candidate.samples(task))
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if only_a or only_b:
        example = a[only_a[0]] if only_a else b[only_b[0]]
        raise RunError(
            f"task {task!r}: doc hashes disagree between {baseline.sample_paths[task]} and "
            f"{candidate.sample_paths[task]}: {len(only_a)} documents only in the baseline, {len(only_b)} only in the "
            f"candidate (e.g. doc_id {example.get('doc_id')}); were they run on different data or --limit?"
        )
    hashes = lambda s: (s["prompt_hash"], s["target_hash"])  # noqa: E731
    differing = [k for k in a if hashes(a[k]) != hashes(b[k])]
    if differing:
        raise RunError(
            f"task {task!r}: prompt hashes disagree for {len(differing)} of {len(a)} documents (e.g. doc_id "
            f"{a[differing[0]].get('doc_id')}) between {baseline.sample_paths[task]} and "
            f"{candidate.sample_paths[task]}; different prompt template, few-shot setting or chat template"
        )
    return [(a[k], b[k]) for k in sorted(a, key=lambda k: (a[k].get("doc_id", 0), k))]


def _records_table(records: dict[str, dict[str, dict[str, Any]]], items: list[str], langs: list[str]) -> ItemTable:
    """The evaluators' ItemTable of one run's records, items and languages in the given order."""
    has_scores = all("scores" in r and "gold" in r for per in records.values() for r in per.values())
    ordered = {i: {lang: records[i][lang] for lang in langs if lang in records[i]} for i in items}
    if has_scores:
        scores = {i: {lang: r["scores"] for lang, r in per.items()} for i, per in ordered.items()}
        gold = {i: {lang: int(r["gold"]) for lang, r in per.items()} for i, per in ordered.items()}
        return item_table(correctness(scores, gold), scores)
    return item_table({i: {lang: bool(r["correct"]) for lang, r in per.items()} for i, per in ordered.items()})


def pair_runs(baseline: Run, candidate: Run, *, metric: str | None = None) -> Pairing:
    """Pair two runs task by task (and, for xlfact tasks, fact by fact)."""
    pairing = Pairing()
    missing = [t for t in baseline.tasks if t not in candidate.tasks]
    if missing:
        raise RunError(
            f"{candidate.results_path}: the candidate run lacks {len(missing)} task(s) the baseline has: "
            f"{', '.join(missing)}"
        )
    extra = [t for t in candidate.tasks if t not in baseline.tasks]
    if extra:
        pairing.notes.append(f"not compared (only in the candidate): {', '.join(extra)}")
    baseline.require_samples()
    candidate.require_samples(baseline.tasks)
    records: dict[str, list[dict[str, dict[str, dict[str, Any]]]]] = {}
    for task in baseline.tasks:
        if (d := baseline.settings(task).differences(candidate.settings(task))) and any("version" in x for x in d):
            pairing.notes.append(f"{task}: {'; '.join(x for x in d if 'version' in x)}")
        pairs = pair_task_samples(baseline, candidate, task)
        name = binary_metric(baseline, task, metric)
        a = np.array([float(x[name]) for x, _ in pairs])
        b = np.array([float(y.get(name, math.nan)) for _, y in pairs])
        if np.isnan(b).any():
            raise RunError(f"{candidate.sample_paths[task]}: metric {name!r} missing for some samples")
        benchmark, lang = task, None
        if rec_a := baseline.records(task):
            benchmark, lang = str(rec_a[0]["benchmark"]), str(rec_a[0]["lang"])
            rec_b = candidate.records(task)
            if not rec_b:
                raise RunError(f"{candidate.sample_paths[task]}: logs no cross-lingual record, but the baseline's "
                               f"{baseline.sample_paths[task].name} does")
            per_run = records.setdefault(benchmark, [{}, {}])
            for side, recs in enumerate((rec_a, rec_b)):
                for rec in recs:
                    per_run[side].setdefault(str(rec["item"]), {})[str(rec["lang"])] = rec
        pairing.tasks.append(PairedTask(task, benchmark, lang, name, a, b))
    for benchmark, (rec_a, rec_b) in records.items():
        items = sorted(set(rec_a) & set(rec_b))
        langs = sorted({lang for per in rec_a.values() for lang in per}, key=lambda x: (x != ENGLISH, x))
        if len(langs) < 2 or len(items) < 2:
            continue
        table_a, table_b = _records_table(rec_a, items, langs), _records_table(rec_b, items, langs)
        if table_a.langs != table_b.langs:
            raise RunError(f"{benchmark}: languages differ between the runs ({table_a.langs} vs {table_b.langs})")
        pairing.benchmarks.append(PairedBenchmark(benchmark, table_a, table_b))
    return pairing


# ----------------------------------------------------------------------------------------------------- the gate
def _subset(table: ItemTable, idx: np.ndarray) -> ItemTable:
    return ItemTable(
        table.items, table.langs, table.pairs, table.correct[idx],
        None if table.rankc is None else table.rankc[idx], None if table.agree is None else table.agree[idx],
    )


def consistency_tests(bench: PairedBenchmark, *, n_resamples: int, seed: int) -> list[dict[str, Any]]:
    """Paired bootstrap (by fact) of each consistency metric of one benchmark."""
    full_a, full_b = metrics_from_table(bench.baseline), metrics_from_table(bench.candidate)
    names = [m for m in CONSISTENCY_METRICS if m in full_a and m in full_b and not math.isnan(full_a[m])]

    def statistic(idx: np.ndarray) -> dict[str, float]:
        ma = metrics_from_table(_subset(bench.baseline, idx))
        mb = metrics_from_table(_subset(bench.candidate, idx))
        return {m: mb[m] - ma[m] for m in names}

    boot = paired_bootstrap(statistic, len(bench.baseline.items), n_resamples=n_resamples, seed=seed)
    out = []
    for m in names:
        result = boot[m]
        out.append({
            "kind": "consistency", "test": "paired bootstrap by fact", "benchmark": bench.benchmark, "task": None,
            "lang": None, "metric": m, "n": len(bench.baseline.items),
            "baseline": full_a[m], "candidate": full_b[m], "diff_points": 100.0 * result["diff"],
            "ci_points": [100.0 * result["ci_low"], 100.0 * result["ci_high"]], "p": result["p"],
        })
    return out


def accuracy_test(pair: PairedTask) -> dict[str, Any]:
    right_to_wrong = int(np.sum((pair.baseline == 1.0) & (pair.candidate == 0.0)))
    wrong_to_right = int(np.sum((pair.baseline == 0.0) & (pair.candidate == 1.0)))
    acc_a, acc_b = float(pair.baseline.mean()), float(pair.candidate.mean())
    return {
        "kind": "accuracy", "test": "exact McNemar", "benchmark": pair.benchmark, "task": pair.task,
        "lang": pair.lang, "metric": pair.metric, "n": int(len(pair.baseline)), "baseline": acc_a,
        "candidate": acc_b, "diff_points": 100.0 * (acc_b - acc_a), "right_to_wrong": right_to_wrong,
        "wrong_to_right": wrong_to_right, "p": mcnemar_exact(right_to_wrong, wrong_to_right),
        "ci_points": [100.0 * x for x in paired_difference_ci(right_to_wrong, wrong_to_right, len(pair.baseline))],
    }


def gate(
    pairing: Pairing, *, margin: float = 1.0, alpha: float = 0.05, n_resamples: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Run every test, Holm-correct across all of them, and decide."""
    tests = [accuracy_test(p) for p in pairing.tasks]
    for k, bench in enumerate(pairing.benchmarks):
        tests += consistency_tests(bench, n_resamples=n_resamples, seed=seed + k)
    for test, adjusted in zip(tests, holm([t["p"] for t in tests])):
        test["p_holm"] = adjusted
        significant = not math.isnan(adjusted) and adjusted < alpha
        test["significant"] = significant
        test["regression"] = significant and -test["diff_points"] > margin
        test["improvement"] = significant and test["diff_points"] > margin
    regressions = [t for t in tests if t["regression"]]
    return {
        "margin_points": margin, "alpha": alpha, "bootstrap_resamples": n_resamples, "seed": seed,
        "n_tests": len(tests), "tests": tests, "notes": list(pairing.notes),
        "regressions": len(regressions), "improvements": sum(t["improvement"] for t in tests),
        "verdict": "FAIL" if regressions else "PASS",
    }


# ---------------------------------------------------------------------------------------------------- output
def _f(value: Any, fmt: str = ".4f") -> str:
    return number(value, missing="-", spec=fmt)


def render_markdown(result: dict[str, Any], *, baseline: str = "", candidate: str = "") -> str:
    header = ["test", "benchmark", "task", "lang", "metric", "n", "baseline", "candidate", "Δ points",
              "R→W", "W→R", "p", "p (Holm)", "verdict"]
    rows = []
    for t in result["tests"]:
        verdict = "REGRESSION" if t["regression"] else "improved" if t["improvement"] else (
            "sig., within margin" if t["significant"] else "no significant change")
        rows.append([t["test"], t["benchmark"], t["task"] or "-", t["lang"] or "-", t["metric"], str(t["n"]),
                     _f(t["baseline"]), _f(t["candidate"]), _f(t["diff_points"], "+.2f"),
                     str(t.get("right_to_wrong", "-")), str(t.get("wrong_to_right", "-")), _f(t["p"], ".3g"),
                     _f(t["p_holm"], ".3g"), verdict])
    out = [f"# xlfact compare: {result['verdict']}", ""]
    if baseline or candidate:
        out += [f"- baseline: `{baseline}`", f"- candidate: `{candidate}`"]
    out += [
        f"- {result['n_tests']} tests; regression = Holm-adjusted p < {result['alpha']} and a drop of more than "
        f"{result['margin_points']} points; {result['regressions']} regression(s), {result['improvements']} "
        "improvement(s)",
        "- accuracy: exact McNemar test on flipped items (R→W right to wrong, W→R wrong to right); consistency: paired "
        f"bootstrap resampling facts ({result['bootstrap_resamples']} resamples)",
    ]
    out += [f"- note: {n}" for n in result["notes"]]
    out += ["", markdown_table(header, rows)]
    return "\n".join(out) + "\n"


def compare_runs(baseline: str | Path, candidate: str | Path, **kwargs: Any) -> dict[str, Any]:
    metric = kwargs.pop("metric", None)
    run_a = load_run(baseline, run=kwargs.pop("baseline_run", None), adapters=registry.record_adapters())
    run_b = load_run(candidate, run=kwargs.pop("candidate_run", None), adapters=registry.record_adapters())
    pairing = pair_runs(run_a, run_b, metric=metric)
    pairing.notes += [f"baseline skipped {note}" for note in run_a.skipped]
    pairing.notes += [f"candidate skipped {note}" for note in run_b.skipped]
    result = gate(pairing, **kwargs)
    result["baseline"] = {"path": str(run_a.results_path), **run_a.metadata}
    result["candidate"] = {"path": str(run_b.results_path), **run_b.metadata}
    return result


def write_figure(result: dict[str, Any], out: Path) -> list[Path]:
    """``compare_deltas.png/.svg``: each test's difference in points with its 95% interval, regressions in red."""
    fig = figures.deltas(result["tests"], title=f"xlfact compare: {result['verdict']}",
                         margin=result.get("margin_points"))
    return figures.save(fig, out / "compare_deltas")


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(
        prog="xlfact compare",
        description="Release gate. Reads two lm-eval output folders (results_<date>.json plus --log_samples files) "
        "of the same tasks, pairs documents by doc_hash, tests every task/language (exact McNemar) and every "
        "cross-lingual consistency metric (paired bootstrap by fact), Holm-corrects across all tests and prints a "
        "table; with --output_path it also writes compare.json and compare.md there. Exit 1 when any test is a "
        "significant drop larger than --margin points, 0 otherwise, 2 when the runs cannot be compared (one line "
        "naming the file).",
    )
    parser.add_argument("--baseline", required=True, help="lm-eval output folder (or results file) of the baseline")
    parser.add_argument("--candidate", required=True, help="lm-eval output folder (or results file) of the candidate")
    parser.add_argument("--baseline_run", metavar="DATE_ID", help="the baseline's run, when its folder holds several")
    parser.add_argument("--candidate_run", metavar="DATE_ID", help="the candidate's run, when its folder holds "
                        "several")
    parser.add_argument("--margin", type=float, default=1.0, help="tolerated drop in points (default 1.0)")
    parser.add_argument("--alpha", type=float, default=0.05, help="family-wise significance level (default 0.05)")
    parser.add_argument("--metric", default=None, help="per-sample 0/1 metric to test per task; every task must log "
                        "it (default: acc, else the task's first 0/1 metric)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--output_path", help="folder for compare.json and compare.md (default: write nothing)")
    parser.add_argument("--out", dest="output_path", help=argparse.SUPPRESS)  # the old spelling
    args = parser.parse_args(argv)
    try:
        result = compare_runs(args.baseline, args.candidate, margin=args.margin, alpha=args.alpha,
                              n_resamples=args.bootstrap, seed=args.seed, metric=args.metric,
                              baseline_run=args.baseline_run, candidate_run=args.candidate_run)
    except XlfactError as err:  # also when called without the xlfact entry point
        print(f"xlfact compare: {one_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    text = render_markdown(result, baseline=args.baseline, candidate=args.candidate)
    print(text, end="")
    if args.output_path:
        out = Path(args.output_path)
        write_json_atomic(out / "compare.json", result)
        write_text_atomic(out / "compare.md", text)
        figure = write_figure(result, out)
        print(f"\nwrote {out / 'compare.json'}, {out / 'compare.md'} and {', '.join(str(p) for p in figure)}")
    return EXIT_REGRESSION if result["regressions"] else 0
