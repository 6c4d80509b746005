"""``xlfact trace``: factual knowledge and cross-lingual consistency over a model's training checkpoints.

Following Liu et al. (2025), "Tracing Multilingual Factual Knowledge Acquisition in Pretraining", which follows
factual recall and cross-lingual consistency across OLMo's pretraining checkpoints: each checkpoint (a hub revision
such as ``step1000``, or a local checkpoint folder) is evaluated with lm-eval, and the per-item records are turned into
a tidy table (checkpoint, step, task, language, metric, value, 95% CI), plots of per-language accuracy and of
consistency with English over training, and, per fact and language, the checkpoint at which the fact was first
answered correctly and the one from which it stayed correct ("learned at").

Resuming: each checkpoint is evaluated into ``OUT/checkpoints/<label>.partial`` and renamed to
``OUT/checkpoints/<label>`` only when complete, with a ``trace_checkpoint.json`` marker, so an interrupted trace
re-runs only the checkpoints that did not finish.

Fan-out: ``--shard K/N`` evaluates only the checkpoints dealt to shard K (:mod:`xlfact.analysis.tracing.shards`);
shards share one ``--output_path`` (a lock per checkpoint, one for the shared files), the last one to finish writes
the table, and ``xlfact trace summarize OUT`` builds it from every finished checkpoint at any time.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlfact.core.atomic import write_csv_atomic, write_json_atomic
from xlfact.core.figures import pyplot, save_png
from xlfact.core.jsonl import read_json
from xlfact.core.model_args import parse_model_args
from xlfact.core.palette import legend_outside, line_style
from xlfact.core.runs import Run, RunError, load_run
from xlfact.core.values import ArgumentParser, arg_count, arg_positive_number
from xlfact.tasks import registry

MARKER = "trace_checkpoint.json"
TIDY_HEADER = ["checkpoint", "step", "benchmark", "task", "language", "metric", "value", "ci_low", "ci_high", "n"]
FIRST_HEADER = ["benchmark", "fact", "language", "first_correct", "learned_at", "correct_at_end",
                "checkpoints_correct"]


@dataclass(frozen=True)
class Checkpoint:
    label: str  # folder-safe name
    source: str  # the revision or the local path, as given
    model_args: dict[str, Any]
    step: float | None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "checkpoint"


_STEP = re.compile(r"step[_-]?(\d+)", re.IGNORECASE)
_CHECKPOINT = re.compile(r"checkpoint[_-]?(\d+)", re.IGNORECASE)
_RANGE = re.compile(r"^(?P<start>[^:]*):(?P<end>[^:]*)(?::(?P<every>\d+))?$")


def step_of(label: str) -> float | None:
    """The training step in a checkpoint name: ``step(\\d+)`` (OLMo's ``stage1-step1000-tokens4B`` is step 1000, not
    4), else transformers' ``checkpoint-N``, else None (a model name such as ``smollm2-135m`` carries no step; the
    plan then numbers checkpoints in the order given)."""
    for pattern in (_STEP, _CHECKPOINT):
        match = pattern.search(label)
        if match:
            return float(match.group(1))
    return None


_step = step_of


def is_revision_range(spec: str) -> bool:
    return ":" in spec


def resolve_revision_range(spec: str, branches: list[str]) -> list[str]:
    """``stepA:stepB[:N]`` against a repository's branch names: the branches whose step (``step[_-]?(\\d+)``) lies in
    [A, B] and is a multiple of N (MFT's ``get_checkpoint_lists``), sorted by step; one branch per step (the first
    name in sorted order when a repository has several, e.g. two training stages)."""
    match = _RANGE.match(spec)
    if not match:
        raise ValueError(f"--revisions {spec!r}: expected START:END[:EVERY], e.g. step1000:step50000:5000")
    bounds = []
    for part in ("start", "end"):
        text = match.group(part)
        step = step_of(text) if text else None
        if text and step is None:
            raise ValueError(f"--revisions {spec!r}: {part} {text!r} has no step number")
        bounds.append(step)
    start, end = bounds[0] if bounds[0] is not None else 0.0, bounds[1] if bounds[1] is not None else math.inf
    every = int(match.group("every") or 1)
    if every <= 0:
        raise ValueError(f"--revisions {spec!r}: EVERY must be a positive integer")
    chosen: dict[float, str] = {}
    for name in sorted(branches):
        found = _STEP.search(name)
        if not found:
            continue
        step = float(found.group(1))
        if start <= step <= end and int(step) % every == 0:
            chosen.setdefault(step, name)
    if not chosen:
        raise ValueError(f"--revisions {spec!r}: no branch of the repository matches (branches with a step: "
                         f"{sum(1 for b in branches if _STEP.search(b))})")
    return [chosen[step] for step in sorted(chosen)]


def hub_branches(repo_id: str) -> list[str]:
    """The branch names of a hub model repository (``huggingface_hub.list_repo_refs``); needs network."""
    from huggingface_hub import list_repo_refs

    return [ref.name for ref in list_repo_refs(repo_id, repo_type="model").branches]


def expand_revisions(specs: list[str], repo_id: str | None, list_branches=hub_branches) -> list[str]:
    """Revisions as given, with every ``START:END[:EVERY]`` range resolved against the repository's branches."""
    out: list[str] = []
    branches: list[str] | None = None
    for spec in specs:
        if not is_revision_range(spec):
            out.append(spec)
            continue
        if not repo_id:
            raise ValueError("--revisions with a range needs --model_args pretrained=ORG/MODEL")
        if branches is None:
            branches = list_branches(repo_id)
        out += resolve_revision_range(spec, branches)
    return out


def checkpoint_folders(path: str | Path) -> list[Path]:
    """A checkpoint folder (it has ``config.json``), or a folder of them (``xlfact train`` with
    ``training.save_every``, transformers' ``checkpoint-N``) expanded in step order."""
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: checkpoint folder not found")
    if (folder / "config.json").is_file():
        return [folder]
    children = [p for p in folder.iterdir() if p.is_dir() and (p / "config.json").is_file()]
    if not children:
        raise FileNotFoundError(f"{folder}: neither a checkpoint (no config.json) nor a folder of checkpoints")
    return sorted(children, key=lambda p: (step_of(p.name) is None, step_of(p.name) or 0.0, p.name))


def plan_checkpoints(model_args: str, revisions: list[str], checkpoints: list[str],
                     list_branches=None) -> list[Checkpoint]:
    """One :class:`Checkpoint` per hub revision or local folder, in the order given (training order); revision
    ranges are resolved against the repository's branches and folders of checkpoints expanded in step order."""
    base = parse_model_args(model_args)
    planned: list[Checkpoint] = []
    if revisions and "pretrained" not in base:
        raise ValueError("--revisions needs --model_args pretrained=ORG/MODEL")
    for rev in expand_revisions(revisions, base.get("pretrained"), list_branches or hub_branches):
        planned.append(Checkpoint(_safe(rev), rev, {**base, "revision": rev}, _step(rev)))
    for folder in [f for path in checkpoints for f in checkpoint_folders(path)]:
        planned.append(Checkpoint(_safe(folder.name), str(folder), {**base, "pretrained": str(folder)},
                                  _step(folder.name)))
    labels = [c.label for c in planned]
    if len(set(labels)) != len(labels):  # e.g. run1/checkpoint-10 and run2/checkpoint-10
        planned = [Checkpoint(f"{i:03d}_{c.label}", c.source, c.model_args, c.step) for i, c in enumerate(planned)]
    steps = [c.step for c in planned]
    if None in steps or len(set(steps)) != len(steps):
        planned = [Checkpoint(c.label, c.source, c.model_args, float(i)) for i, c in enumerate(planned)]
    return planned


def check_local_configs(planned: list[Checkpoint]) -> None:
    """Refuse, before anything is evaluated, a local checkpoint whose config contradicts its weights (tied config,
    separately saved head): lm-eval's ``hf`` backend would re-tie it and trace another model than the one saved."""
    from xlfact.models.tied_weights import config_contradiction

    for checkpoint in planned:
        folder = Path(checkpoint.source)
        if (folder / "config.json").is_file():
            problem = config_contradiction(folder)
            if problem:
                raise ValueError(problem)


def _settings(checkpoint: Checkpoint, args: argparse.Namespace) -> dict[str, Any]:
    """What a finished checkpoint folder was traced from: a local checkpoint also by its files' sizes and times
    (:func:`xlfact.core.provenance.stat_identity`), so a folder retrained in place is not taken as traced."""
    from xlfact.core.provenance import stat_identity

    local = Path(checkpoint.source)
    identity = stat_identity(local) if local.is_dir() else checkpoint.source
    return {"source": checkpoint.source, "source_files": identity, "model": args.model,
            "model_args": checkpoint.model_args, "tasks": args.tasks, "limit": args.limit,
            "num_fewshot": args.num_fewshot, "metadata": args.metadata}


def finished_run(folder: Path, settings: dict[str, Any]) -> Run | None:
    """The run of a finished checkpoint, or None; a finished one traced with other settings is an error."""
    marker = folder / MARKER
    if not marker.is_file():
        return None
    saved = read_json(marker, error=RunError, hint="delete the folder to re-run this checkpoint")
    from xlfact.core.provenance import differences

    recorded = saved.get("settings") if isinstance(saved.get("settings"), dict) else {}
    differ = differences(recorded, settings)
    if differ:
        key = differ[0]
        raise RunError(
            f"{marker}: this checkpoint was traced with other settings: {key} differs (recorded "
            f"{recorded.get(key)!r}, now {json.loads(json.dumps(settings[key]))!r}); use another --output_path or "
            "delete the folder"
        )
    return load_run(folder, adapters=registry.record_adapters())


def evaluate_checkpoints(args: argparse.Namespace, planned: list[Checkpoint],
                         positions: dict[str, int] | None = None) -> list[tuple[Checkpoint, Run]]:
    """Evaluate every checkpoint of ``planned`` not finished yet; returns them with their runs, in order.

    Each checkpoint is evaluated while its lock (:func:`xlfact.analysis.tracing.shards.checkpoint_lock`) is held, so
    processes sharing one ``--output_path`` never evaluate the same checkpoint; one held by another process is left
    to it (and not returned). ``positions`` maps labels to their place in the full plan (recorded in the marker, for
    ``xlfact trace summarize``); by default their place in ``planned``."""
    from functools import cache

    from tqdm.auto import tqdm

    from xlfact.analysis.tracing.shards import checkpoint_lock, try_lock
    from xlfact.tasks.evaluate import needs_builtin_tasks

    root = Path(args.output_path) / "checkpoints"
    positions = positions or {c.label: i for i, c in enumerate(planned)}
    # decided on the first checkpoint evaluated, not before (a fully finished trace never loads lm-eval's tasks)
    needs_defaults = cache(lambda: needs_builtin_tasks(args.tasks, include_path=args.include_path))
    out: list[tuple[Checkpoint, Run]] = []
    for checkpoint in tqdm(planned, desc="xlfact trace", unit="checkpoint", file=sys.stderr):
        folder = root / checkpoint.label
        settings = _settings(checkpoint, args)
        run = finished_run(folder, settings)
        if run is not None:
            tqdm.write(f"{checkpoint.label}: finished earlier, skipped", file=sys.stderr)
            out.append((checkpoint, run))
            continue
        lock = checkpoint_lock(root, checkpoint.label)
        if not try_lock(lock):
            tqdm.write(f"{checkpoint.label}: being evaluated by another process, left to it", file=sys.stderr)
            continue
        try:
            run = finished_run(folder, settings)  # finished by another process since the first look
            if run is None:
                run = _evaluate_one(args, checkpoint, settings, root, positions[checkpoint.label], needs_defaults())
            out.append((checkpoint, run))
        finally:
            lock.release()
    return out


def _evaluate_one(args: argparse.Namespace, checkpoint: Checkpoint, settings: dict[str, Any], root: Path,
                  position: int, include_defaults: bool) -> Run:
    """One checkpoint into ``<label>.partial``, renamed to ``<label>`` when complete (the caller holds its lock)."""
    from tqdm.auto import tqdm

    from xlfact.tasks.evaluate import evaluate_to_folder, make_task_manager

    folder = root / checkpoint.label
    if folder.exists():
        raise RunError(f"{folder}: exists but has no {MARKER}; delete it to re-run this checkpoint")
    partial = root / f"{checkpoint.label}.partial"
    shutil.rmtree(partial, ignore_errors=True)  # an interrupted earlier attempt; the lock says nobody works in it
    # as lm_eval's CLI does, tasks see --model_args merged with --metadata (PolyFact reads its tokenizer there)
    metadata = {**checkpoint.model_args, **(args.metadata or {})}
    manager = make_task_manager(args.tasks, include_path=args.include_path, metadata=metadata,
                                include_defaults=include_defaults)
    tqdm.write(f"{checkpoint.label}: evaluating {checkpoint.source}", file=sys.stderr)
    evaluate_to_folder(
        partial, model=args.model, model_args=checkpoint.model_args, tasks=args.tasks, task_manager=manager,
        limit=args.limit, batch_size=args.batch_size, device=args.device, num_fewshot=args.num_fewshot,
        metadata=metadata,
    )
    write_json_atomic(partial / MARKER, {"label": checkpoint.label, "settings": settings, "step": checkpoint.step,
                                         "position": position})
    partial.rename(folder)  # atomic: a checkpoint folder without ".partial" is complete
    return finished_run(folder, settings)


def finished_checkpoints(out_dir: Path) -> list[tuple[Checkpoint, Run]]:
    """Every finished checkpoint under ``OUT/checkpoints`` (the ones with a marker), in plan order: what
    ``xlfact trace summarize`` builds the table from, whichever shards or runs wrote them. Checkpoints traced with
    other tasks, limit, few-shot, metadata or model arguments (beyond the checkpoint itself) than the first one are
    an error: one table mixes nothing."""
    root = out_dir / "checkpoints"
    if not root.is_dir():
        raise RunError(f"{out_dir}: no checkpoints/ folder; expected an `xlfact trace` --output_path")
    found: list[tuple[tuple, Checkpoint, Path]] = []
    first: tuple[Path, dict] | None = None
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / MARKER).is_file()):
        marker = read_json(folder / MARKER, error=RunError, hint="delete the folder to re-run it")
        settings = marker.get("settings") or {}
        shared = {k: v for k, v in settings.items() if k not in ("source", "source_files", "model_args")}
        shared["model_args"] = {k: v for k, v in (settings.get("model_args") or {}).items()
                                if k not in ("pretrained", "revision")}
        if first is None:
            first = (folder, shared)
        elif shared != first[1]:
            raise RunError(f"{folder / MARKER}: traced with other settings ({shared}) than {first[0].name} "
                           f"({first[1]}); summarize one trace per --output_path")
        step = marker.get("step", step_of(folder.name))
        position = marker.get("position")
        key = (position is None, position or 0, step is None, step or 0.0, folder.name)
        found.append((key, Checkpoint(folder.name, str(settings.get("source", folder.name)),
                                      settings.get("model_args") or {}, step), folder))
    if not found:
        raise RunError(f"{root}: no finished checkpoint yet (none has {MARKER})")
    found.sort(key=lambda x: x[0])
    planned = [c for _, c, _ in found]
    steps = [c.step for c in planned]
    if None in steps or len(set(steps)) != len(steps):  # numbered in order, as plan_checkpoints does
        planned = [Checkpoint(c.label, c.source, c.model_args, float(i)) for i, c in enumerate(planned)]
    return [(c, load_run(folder, adapters=registry.record_adapters())) for c, (_, _, folder) in zip(planned, found)]


# -------------------------------------------------------------------------------------------------- the table
def run_rows(checkpoint: Checkpoint, run: Run, *, n_resamples: int, seed: int) -> tuple[list[list[Any]], dict]:
    """Tidy rows of one checkpoint, and its per-(benchmark, fact, language) correctness for "first learned"."""
    rows: list[list[Any]] = []
    correct: dict[tuple[str, str, str], bool] = {}
    head = [checkpoint.label, checkpoint.step]
    for benchmark, tasks in run.benchmarks.items():
        records = [r for task in tasks for r in run.records(task)]
        if not records:
            for task in tasks:
                for key, value in run.task_metrics(task).items():
                    name, _, filt = key.partition(",")
                    if "_stderr" in name or not isinstance(value, (int, float)) or isinstance(value, bool):
                        continue
                    stderr = run.task_metrics(task).get(f"{name}_stderr,{filt}")
                    ci = (value - 1.96 * stderr, value + 1.96 * stderr) if isinstance(stderr, float) else (None, None)
                    n = run.settings(task).n_samples
                    rows.append([*head, benchmark, task, "-", name if filt == "none" else key, value, *ci, n])
            continue
        task_of = {str(r["lang"]): task for task in tasks for r in run.records(task)[:1]}
        rep = registry.benchmark_report(benchmark, records, [], n_resamples=n_resamples, seed=seed)
        for lang, entry in rep["per_language"].items():
            for metric in ("accuracy", "en_co"):
                if metric in entry and not (metric == "en_co" and lang == "en"):
                    rows.append([*head, benchmark, task_of.get(lang, benchmark), lang, metric, entry[metric],
                                 *entry.get(f"{metric}_ci", (None, None)), entry["n"]])
        for metric, value in {**rep["macro"], **rep["cross_lingual"]}.items():
            ci = rep["cross_lingual_ci"].get(metric, (None, None))
            rows.append([*head, benchmark, benchmark, "all", metric, value, *ci, rep["n_items"]])
        for key, value in rep.get("extras", {}).items():  # e.g. clc/<lang>, clc/<lang>/<relation>, jaccard_en/<lang>
            name, _, rest = key.partition("/")
            lang, _, relation = rest.partition("/")
            metric = f"{name}/{relation}" if relation else name
            rows.append([*head, benchmark, task_of.get(lang, benchmark) if lang else benchmark, lang or "all", metric,
                         value, None, None, rep["n_items"]])
        spec = registry.find(benchmark)
        if spec is not None and spec.trace_extras is not None:  # e.g. klar_trace's CLC within each relation
            for lang, per in spec.trace_extras(records).items():
                for metric, value in per.items():
                    rows.append([*head, benchmark, task_of.get(lang, benchmark), lang, metric, value,
                                 None, None, rep["n_items"]])
        by_item: dict[str, dict[str, bool]] = defaultdict(dict)
        for r in records:
            correct[(benchmark, str(r["item"]), str(r["lang"]))] = bool(r["correct"])
            by_item[str(r["item"])][str(r["lang"])] = bool(r["correct"])
        for item, per in by_item.items():
            correct[(benchmark, item, "all")] = all(per.values())
    return rows, correct


def first_learned(labels: list[str], correct_by_checkpoint: list[dict]) -> list[list[Any]]:
    """Per (benchmark, fact, language): first checkpoint correct, and the checkpoint from which it stays correct."""
    keys = sorted({k for per in correct_by_checkpoint for k in per})
    rows = []
    for key in keys:
        series = [per.get(key) for per in correct_by_checkpoint]
        first = next((labels[i] for i, ok in enumerate(series) if ok), None)
        learned = None
        for i in range(len(series) - 1, -1, -1):
            if not series[i]:
                break
            learned = labels[i]
        rows.append([*key, first, learned, bool(series[-1]), sum(bool(x) for x in series)])
    return rows


def plot(rows: list[list[Any]], out_dir: Path) -> list[Path]:
    """Per benchmark: per-language accuracy, and en-CO per language with total consistency, over training."""
    plt = pyplot()
    written = []
    col = {name: i for i, name in enumerate(TIDY_HEADER)}
    for benchmark in sorted({r[col["benchmark"]] for r in rows}):
        mine = [r for r in rows if r[col["benchmark"]] == benchmark and isinstance(r[col["value"]], (int, float))]
        fig, axes = plt.subplots(1, 2, figsize=(13, 4), layout="constrained")
        has_clc = any(r[col["metric"]] == "clc" for r in mine)
        second = (("clc", "clc_overall"), "CLC (Jaccard with English)") if has_clc else (
            ("en_co", "total_consistency"), "consistency with English")
        panels = ((axes[0], ("accuracy", "acc"), "accuracy"), (axes[1], *second))
        for ax, metrics, title in panels:
            series: dict[str, list[tuple[float, float]]] = defaultdict(list)
            for r in mine:
                if r[col["metric"]] in metrics:
                    name = r[col["language"]] if r[col["language"]] not in ("-", "all") else r[col["task"]]
                    if r[col["metric"]] == "total_consistency":
                        name = "total consistency"
                    elif r[col["metric"]] == "clc_overall":
                        name = "overall CLC (en included)"
                    elif r[col["language"]] == "all":
                        name = "macro average"
                    value = r[col["value"]]
                    if not math.isnan(value):
                        series[name].append((r[col["step"]], value))
            for name, points in sorted(series.items()):
                xs, ys = zip(*sorted(points))
                ax.plot(xs, ys, label=name, **{"marker": "o", **line_style(name)})  # one colour per language
            ax.set_title(f"{benchmark}: {title}")
            ax.set_xlabel("checkpoint (step)")
            ax.set_ylim(-0.02, 1.02)
            legend_outside(ax, fontsize=7)
        path = out_dir / f"trace_{re.sub(r'[^A-Za-z0-9_-]+', '_', benchmark)}.png"
        written.append(save_png(fig, path, dpi=100))
    return written


def summarize(results: list[tuple[Checkpoint, Run]], out_dir: Path, *, n_resamples: int, seed: int) -> dict:
    rows, correct_series = [], []
    for checkpoint, run in results:
        r, c = run_rows(checkpoint, run, n_resamples=n_resamples, seed=seed)
        rows += r
        correct_series.append(c)
    labels = [c.label for c, _ in results]
    learned = first_learned(labels, correct_series)
    write_csv_atomic(out_dir / "trace.csv", TIDY_HEADER, rows)
    write_csv_atomic(out_dir / "first_learned.csv", FIRST_HEADER, learned)
    plots = plot(rows, out_dir)
    summary = {
        "checkpoints": [{"label": c.label, "source": c.source, "step": c.step, "results": str(run.results_path)}
                        for c, run in results],
        "table": str(out_dir / "trace.csv"), "first_learned": str(out_dir / "first_learned.csv"),
        "plots": [str(p) for p in plots], "bootstrap_resamples": n_resamples,
    }
    write_json_atomic(out_dir / "trace.json", summary)
    return summary


SUBCOMMAND_HELP = {
    "summarize": "the table, first-learned facts and plots of every finished checkpoint (after --shard runs)",
    "frequency": "recall vs fact frequency, threshold classifier, cross-lingual transfer",
    "similarity": "representation similarity with English per layer",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = ArgumentParser(
        prog="xlfact trace",
        description="Evaluate a series of checkpoints (hub revisions or local folders) with lm-eval and trace "
        "per-language accuracy and cross-lingual consistency over training. Writes, under --output_path: "
        "checkpoints/<label>/ (lm-eval results and samples per checkpoint; finished ones are skipped on re-run), "
        "trace.csv (checkpoint, step, benchmark, task, language, metric, value, 95%% CI, n), first_learned.csv "
        "(per fact and language: first checkpoint correct, checkpoint from which it stays correct), "
        "trace_<benchmark>.png and trace.json. Analyses of a finished trace: 'xlfact trace frequency --help' "
        "(recall vs fact frequency, threshold classifier, cross-lingual transfer) and 'xlfact trace similarity "
        "--help' (representation similarity with English per layer). Fan-out over a scheduler: --shard K/N on each "
        "job (same arguments, same --output_path), then 'xlfact trace summarize OUTPUT' (or the last shard).",
    )
    parser.add_argument("--model", default="hf", help="lm-eval model type (default hf)")
    parser.add_argument("--model_args", default="", help="lm-eval model args, e.g. pretrained=allenai/OLMo-2-0425-1B")
    parser.add_argument("--revisions", default="",
                        help="comma-separated hub revisions, in training order; START:END[:EVERY] (e.g. "
                        "step1000:step50000:5000) selects the repository's branches by step(N), via the hub")
    parser.add_argument("--checkpoints", nargs="*", default=[],
                        help="local checkpoint folders, in training order; a folder of checkpoints "
                        "(xlfact train with training.save_every) is read in step order")
    parser.add_argument("--tasks", required=True, help="comma-separated lm-eval tasks or groups")
    parser.add_argument("--output_path", required=True, help="folder for everything the trace writes")
    parser.add_argument("--limit", type=arg_positive_number, default=None, help="lm-eval --limit")
    parser.add_argument("--num_fewshot", type=arg_count, default=None)
    parser.add_argument("--batch_size", default="1")
    parser.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    parser.add_argument("--include_path", nargs="*", default=[], help="extra lm-eval task folders")
    parser.add_argument("--metadata", default=None, help="task metadata as in lm-eval: key=value,key=value or a JSON "
                        "object, e.g. data_dir=/data/polyfact")
    parser.add_argument("--bootstrap", type=arg_count, default=1000, help="bootstrap resamples for the CIs (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true",
                        help="write into --output_path even when it is a non-empty folder xlfact did not make")
    parser.add_argument("--shard", default=None,
                        help="K/N: evaluate only checkpoints K, K+N, K+2N, ... of the plan (K from 0); auto/N takes K "
                        "from SLURM_ARRAY_TASK_ID (less SLURM_ARRAY_TASK_MIN). Shards share one --output_path; the "
                        "one that finds every checkpoint finished writes trace.csv and the rest")
    # The subcommands, listed by --help; each parses its own flags (routed by analysis/tracing/command.py).
    commands = parser.add_subparsers(dest="command", title="subcommands (xlfact trace NAME --help)",
                                     metavar="{summarize,frequency,similarity}")
    for name, help_ in SUBCOMMAND_HELP.items():
        commands.add_parser(name, help=help_, add_help=False)
    args = parser.parse_args(argv)
    args.tasks = [t for t in args.tasks.split(",") if t]
    if args.limit is not None and args.limit.is_integer():
        args.limit = int(args.limit)
    if args.batch_size.isdigit():
        args.batch_size = int(args.batch_size)
    from xlfact.core.metadata import parse_metadata

    args.metadata = parse_metadata(args.metadata) or None
    revisions = [r for r in args.revisions.split(",") if r]
    if not revisions and not args.checkpoints:
        parser.error("give --revisions or --checkpoints")
    try:
        from xlfact.analysis.tracing.shards import parse_shard, summary_lock
        from xlfact.core.output_dir import prepare_output_dir

        shard = parse_shard(args.shard) if args.shard else None
        prepare_output_dir(args.output_path, command="trace", inputs=[*args.checkpoints, *args.include_path],
                           overwrite=args.overwrite)
        planned = plan_checkpoints(args.model_args, revisions, args.checkpoints)
        check_local_configs(planned)
        mine = shard.deal(planned) if shard else planned
        evaluate_checkpoints(args, mine, {c.label: i for i, c in enumerate(planned)})
        out = Path(args.output_path)
        with summary_lock(out):  # the last shard to finish sees every checkpoint finished and writes the summary
            runs = [(c, finished_run(out / "checkpoints" / c.label, _settings(c, args))) for c in planned]
            results = [(c, run) for c, run in runs if run is not None]
            if len(results) < len(planned):
                print(f"{f'shard {shard}: ' if shard else ''}evaluated {len(mine)} checkpoints; {len(results)} of "
                      f"{len(planned)} finished in {out}; the run that finishes the last one writes trace.csv (or "
                      f"run: xlfact trace summarize {out})")
                return 0
            summary = summarize(results, out, n_resamples=args.bootstrap, seed=args.seed)
    except (RunError, FileNotFoundError, ValueError) as err:
        print(f"xlfact trace: {err}", file=sys.stderr)
        return 2
    print(f"traced {len(results)} checkpoints; wrote {summary['table']}, {summary['first_learned']}, "
          f"{', '.join(summary['plots'])}")
    return 0


def summarize_main(argv: list[str]) -> int:
    """``xlfact trace summarize OUTPUT``: the table, first-learned facts, plots and trace.json of every finished
    checkpoint in a trace folder (e.g. after a Slurm job array of ``--shard auto/N`` runs)."""
    parser = ArgumentParser(
        prog="xlfact trace summarize",
        description="Build trace.csv, first_learned.csv, trace_<benchmark>.png and trace.json (the --records input "
        "of 'xlfact trace frequency'; its checkpoints' sources are the --checkpoints of 'xlfact trace similarity') "
        "from every finished checkpoint under OUTPUT/checkpoints, in plan order, whichever shards wrote them. "
        "Checkpoints still running or never started are left out (the summary says how many are in).",
    )
    parser.add_argument("output_path", help="the --output_path the trace (or its shards) wrote to")
    parser.add_argument("--bootstrap", type=arg_count, default=1000, help="bootstrap resamples for the CIs (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from xlfact.analysis.tracing.shards import summary_lock

    out = Path(args.output_path)
    try:
        if not out.is_dir():
            raise RunError(f"{out}: no such folder; expected an `xlfact trace` --output_path")
        with summary_lock(out):
            results = finished_checkpoints(out)
            summary = summarize(results, out, n_resamples=args.bootstrap, seed=args.seed)
    except (RunError, FileNotFoundError, ValueError) as err:
        print(f"xlfact trace summarize: {err}", file=sys.stderr)
        return 2
    running = sorted(p.name for p in (out / "checkpoints").glob("*.partial"))
    print(f"summarized {len(results)} finished checkpoints"
          + (f" ({len(running)} unfinished: {', '.join(running)})" if running else "")
          + f"; wrote {summary['table']}, {summary['first_learned']}, {', '.join(summary['plots'])}")
    return 0
