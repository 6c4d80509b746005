"""The leaderboard's data: one entry per run (model), per benchmark, built only from lm-eval output folders.

xlfact benchmarks (tasks that log a cross-lingual record) are scored with the report's own code
(:func:`xlfact.tasks.registry.benchmark_report`): per-language accuracy, the macro average, the cross-lingual
consistency metrics, and 95% CIs from a bootstrap that resamples facts. Any other task (an lm-eval built-in) shows
the metric lm-eval aggregated, with lm-eval's standard error turned into a normal-approximation 95% CI.

Runs are only comparable when they ran the same task versions, prompts and documents. For every task the setting
most runs share is the reference; a run that differs (task version, few-shot, ``--limit``, number of samples, lm-eval's
task hash of doc/prompt/target hashes), or lacks some of a benchmark's tasks, has that benchmark *flagged*: the page,
the Markdown and the JSON say why, instead of ranking it silently beside the others.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from xlfact.core.runs import Run, TaskSettings
from xlfact.leaderboard.identity import group_runs, identify
from xlfact.tasks import registry

PRIMARY_METRICS = ("acc", "exact_match", "acc_norm", "f1", "bleu")
CONSISTENCY_LABELS = {
    "total_consistency": "total consistency",
    "mean_languages_correct": "mean languages correct",
    "en_co_mean": "en-CO (mean)",
    "rankc": "RankC",
    "rankc_en": "RankC-en",
    "answer_agreement": "answer agreement",
}


def _primary(metrics: dict[str, Any]) -> tuple[str, float, float | None] | None:
    """(name, value, stderr) of the task's headline metric in the results JSON."""
    numeric = {k: v for k, v in metrics.items() if "," in k and isinstance(v, (int, float)) and not isinstance(v, bool)}
    names = [k.split(",")[0] for k in numeric if "_stderr" not in k]
    for name in [*PRIMARY_METRICS, *names]:
        for key, value in numeric.items():
            metric, _, filt = key.partition(",")
            if metric == name:
                stderr = metrics.get(f"{name}_stderr,{filt}")
                return (name if filt == "none" else key), float(value), (
                    float(stderr) if isinstance(stderr, (int, float)) else None)
    return None


def _ci_normal(value: float, stderr: float | None) -> list[float | None]:
    if stderr is None or math.isnan(stderr):
        return [None, None]
    return [value - 1.96 * stderr, value + 1.96 * stderr]


def benchmark_entry(run: Run, benchmark: str, tasks: list[str], *, n_resamples: int, seed: int) -> dict[str, Any]:
    """What one run scored on one benchmark."""
    records = [r for task in tasks for r in run.records(task)] if run.has_samples else []
    if records:
        task_of = {str(run.records(t)[0]["lang"]): t for t in tasks if run.records(t)}
        rep = registry.benchmark_report(benchmark, records, [], n_resamples=n_resamples, seed=seed)
        columns = {
            lang: {"value": e["accuracy"], "ci": e["accuracy_ci"], "n": e["n"], "task": task_of.get(lang)}
            for lang, e in rep["per_language"].items()
        }
        consistency = {
            name: {"value": value, "ci": rep["cross_lingual_ci"].get(name, [None, None])}
            for name, value in rep["cross_lingual"].items()
        }
        en_co = {lang: e["en_co"] for lang, e in rep["per_language"].items() if "en_co" in e and lang != "en"}
        return {"kind": "cross-lingual", "metric": "accuracy", "scored_by": rep["scored_by"],
                "average": rep["macro"]["accuracy"], "macro": rep["macro"], "columns": columns,
                "pairs": rep.get("pairs", {}), "extras": rep.get("extras", {}), "macro_ci": rep.get("macro_ci", {}),
                "consistency": consistency, "en_co": en_co, "n_items": rep["n_items"], "tasks": tasks}
    columns = {}
    metric_names = set()
    for task in tasks:
        primary = _primary(run.task_metrics(task))
        if primary is None:
            continue
        name, value, stderr = primary
        metric_names.add(name)
        columns[task] = {"value": value, "ci": _ci_normal(value, stderr), "n": run.settings(task).n_samples,
                         "task": task}
    values = [c["value"] for c in columns.values()]
    return {"kind": "per-task", "metric": "/".join(sorted(metric_names)) or "-",
            "scored_by": "lm-eval's aggregated metric; CI = ±1.96 × lm-eval's stderr",
            "average": sum(values) / len(values) if values else math.nan, "macro": {}, "columns": columns,
            "consistency": {}, "en_co": {}, "n_items": None, "tasks": tasks}


def reference_settings(runs: list[Run]) -> dict[str, TaskSettings]:
    """Per task, the settings most runs share (ties: the first run's)."""
    by_task: dict[str, list[TaskSettings]] = {}
    for run in runs:
        for task in run.tasks:
            by_task.setdefault(task, []).append(run.settings(task))
    return {task: Counter(settings).most_common(1)[0][0] for task, settings in by_task.items()}


def comparability_flags(
    run: Run, tasks: list[str], all_tasks: list[str], reference: dict[str, TaskSettings]
) -> list[str]:
    """Why this run's figures on a benchmark are not comparable with the others (empty when they are)."""
    flags = []
    missing = [t for t in all_tasks if t not in tasks]
    if missing:
        flags.append(f"lacks {len(missing)} of {len(all_tasks)} tasks ({', '.join(missing)}); its average is over "
                     "fewer languages/tasks")
    for task in tasks:
        diffs = run.settings(task).differences(reference[task])
        if diffs:
            flags.append(f"{task}: {'; '.join(diffs)} (this run vs most runs)")
    return flags


def command_line(run: Run, backend: str) -> str:
    """The lm-eval command that reproduces ``run``, rebuilt from its results file (lm-eval does not store argv)."""
    import shlex

    config = run.config
    args = config.get("model_args")
    model_args = ",".join(f"{k}={v}" for k, v in args.items()) if isinstance(args, dict) else str(args or "")
    parts = ["xlfact", "eval", "--model", str(config.get("model") or backend), "--model_args", model_args,
             "--tasks", ",".join(run.tasks)]
    shots = {v for v in (run.results.get("n-shot") or {}).values() if v}
    if len(shots) == 1:
        parts += ["--num_fewshot", str(shots.pop())]
    if config.get("limit") is not None:
        limit = config["limit"]
        parts += ["--limit", str(int(limit)) if isinstance(limit, float) and limit.is_integer() else str(limit)]
    for key in ("batch_size", "device"):
        if config.get(key) not in (None, ""):
            parts += [f"--{key}", str(config[key])]
    if run.results.get("chat_template"):
        parts.append("--apply_chat_template")
    if run.results.get("system_instruction"):
        parts += ["--system_instruction", str(run.results["system_instruction"])]
    parts += ["--output_path", str(run.folder.parent), "--log_samples"]
    return shlex.join(parts)


def versions(run: Run) -> dict[str, Any]:
    """Software versions and commits the results file records."""
    keys = ("lm_eval_version", "transformers_version", "git_hash", "upper_git_hash")
    return {k: run.results.get(k) for k in keys if run.results.get(k)}


def identity_meta(run: Run, ident: Any) -> dict[str, Any]:
    """A row's metadata: the results file's, with the identity's label, backend and the fields it fills in."""
    meta = dict(run.metadata)
    meta.update(label=ident.label, backend=ident.backend, backend_settings=ident.settings_text,
                source=ident.source, revision=ident.revision, dtype=ident.dtype, parameters=ident.parameters,
                sha=ident.sha, command=command_line(run, ident.backend), versions=versions(run),
                environment=run.results.get("pretty_env_info"))
    return meta


def section_data(run: Run) -> dict[str, Any]:
    """Figures that span several benchmarks of a run, from the report's own code (today: CLiKA's RA and en-CO)."""
    if not run.has_samples:
        return {}
    records = {bench: [r for t in tasks if t in run.sample_paths for r in run.records(t)]
               for bench, tasks in run.benchmarks.items()}
    return registry.section_data({bench: recs for bench, recs in records.items() if recs})


def build_table(runs: list[Run], *, n_resamples: int = 1000, seed: int = 0, progress: bool = True,
                labels: dict[str, str] | None = None) -> dict[str, Any]:
    """The leaderboard as JSON-able data (what leaderboard.json holds and the templates render)."""
    from tqdm.auto import tqdm

    if not runs:
        raise ValueError("no runs given")
    identities = [identify(run, labels or {}) for run in runs]
    grouping = group_runs(runs, identities)
    reference = reference_settings(runs)
    bench_tasks: dict[str, list[str]] = {}
    for run in runs:
        for bench, tasks in run.benchmarks.items():
            known = bench_tasks.setdefault(bench, [])
            known.extend(t for t in tasks if t not in known)
    models = []
    for index, run in enumerate(tqdm(runs, desc="leaderboard", unit="run", disable=not progress)):
        entry = {"id": index, "meta": identity_meta(run, identities[index]), "benchmarks": {}, "flags": [],
                 "sections": section_data(run)}
        for bench, tasks in run.benchmarks.items():
            result = benchmark_entry(run, bench, tasks, n_resamples=n_resamples, seed=seed)
            result["flags"] = comparability_flags(run, tasks, bench_tasks[bench], reference)
            entry["benchmarks"][bench] = result
            entry["flags"] += [f"{bench}: {f}" for f in result["flags"]]
        for bench in bench_tasks:
            if bench not in entry["benchmarks"]:
                entry["flags"].append(f"{bench}: not evaluated")
        models.append(entry)
    for ids in grouping["duplicates"]:
        for i in ids:
            others = ", ".join(runs[j].results_path.name for j in ids if j != i)
            models[i]["flags"].append(f"duplicate run: same model, backend, settings and tasks as {others}; "
                                      "keep one of them")
    benchmarks = []
    for bench, tasks in bench_tasks.items():
        entries = [m["benchmarks"][bench] for m in models if bench in m["benchmarks"]]
        columns: list[str] = []
        consistency: list[str] = []
        for e in entries:
            columns += [c for c in e["columns"] if c not in columns]
            consistency += [c for c in e["consistency"] if c not in consistency]
        benchmarks.append({
            "name": bench, "kind": entries[0]["kind"], "metric": entries[0]["metric"],
            "scored_by": entries[0]["scored_by"], "columns": columns, "consistency": consistency,
            "tasks": [{"task": t, "version": reference[t].version, "n_shot": reference[t].n_shot,
                       "limit": reference[t].limit, "n_samples": reference[t].n_samples,
                       "task_hash": reference[t].task_hash} for t in tasks],
        })
    benchmarks.sort(key=lambda b: (b["kind"] != "cross-lingual", b["name"]))  # xlfact benchmarks first
    first = benchmarks[0]["name"]  # the default ranking; the page sorts by any column
    models.sort(key=lambda m: -_sort_value(m["benchmarks"].get(first, {}).get("average")))
    for rank, m in enumerate(models, start=1):
        m["rank"] = rank
    return {
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "bootstrap_resamples": n_resamples, "confidence_level": 0.95, "benchmarks": benchmarks, "models": models,
        "flags": [{"model": m["meta"]["model"], "label": m["meta"]["label"], "message": f} for m in models
                  for f in m["flags"]],
        "backend_comparisons": grouping["backend_comparisons"],
    }


def _sort_value(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not math.isnan(value) else -math.inf
