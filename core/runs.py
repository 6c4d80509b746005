"""The one reader of lm-eval output folders: the results JSON and the ``--log_samples`` files of one run, checked.

lm-eval 0.4.13's ``EvaluationTracker`` writes, for ``--output_path OUT``, a folder ``OUT/<model_name_sanitized>/``
holding ``results_<date_id>.json`` and, with ``--log_samples``, one ``samples_<task>_<date_id>.jsonl`` per task with
the *same* ``date_id``. The results JSON carries the run's metadata (``config`` with model args, dtype, revision, sha
and ``limit``; ``versions``; ``n-shot``; ``n-samples``; ``lm_eval_version``; ``date``) and ``task_hashes``: for each
task, ``sha256`` of the concatenated ``doc_hash + prompt_hash + target_hash`` of its samples. ``xlfact report``, the
leaderboard, the release gate and the trace all read runs through this module, so they agree on which files count.

The rules, because a figure computed from the wrong files is worse than none:

* one run at a time: a folder holding several results files (lm-eval re-run into the same ``--output_path``) is
  refused unless the user names one (``--run DATE_ID`` or the path of one results file); a run's samples are exactly
  the files with its ``date_id``; every other file is skipped and listed in :attr:`Run.skipped` with the reason;
* every samples file is checked against the results file: row count against ``n-samples`` and lm-eval's task hash;
* a task's samples either all carry the cross-lingual record (:mod:`xlfact.core.records`) or none do; a line
  without it among lines with it (a foreign line) is an error naming the file and line, never a silent stop;
* every failure is a :class:`RunError` (an :class:`xlfact.errors.XlfactError`) naming the file and what was expected.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

from xlfact.core.jsonl import read_json, read_jsonl
from xlfact.core.records import RECORD_KEY, RecordAdapter, record_of
from xlfact.errors import RunError

DATE_ID = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?"
RESULTS_RE = re.compile(rf"^results_(?P<date>{DATE_ID})\.json$")
SAMPLES_RE = re.compile(rf"^samples_(?P<task>.+)_(?P<date>{DATE_ID})\.jsonl$")
REQUIRED_RESULTS_KEYS = ("results", "configs", "versions")
REQUIRED_SAMPLE_KEYS = ("doc_id", "doc_hash", "prompt_hash", "target_hash")

__all__ = ["RECORD_KEY", "Run", "RunError", "TaskSettings", "load_run", "load_runs", "result_folders", "task_hash"]


def task_hash(samples: Iterable[dict[str, Any]]) -> str:
    """lm-eval's per-task hash (``EvaluationTracker.save_results_aggregated``): sha256 over the samples' hashes."""
    joined = "".join(s["doc_hash"] + s["prompt_hash"] + s["target_hash"] for s in samples)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TaskSettings:
    """What must agree between two runs of a task for their figures to be comparable."""

    version: Any
    n_shot: Any
    limit: Any
    n_samples: Any
    task_hash: str | None

    def differences(self, other: TaskSettings) -> list[str]:
        out = []
        for name, label in (("version", "task version"), ("n_shot", "num_fewshot"), ("limit", "--limit"),
                            ("n_samples", "number of samples"), ("task_hash", "prompt/doc hashes")):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                if name == "task_hash":
                    out.append(f"{label} differ ({str(mine)[:10]}… vs {str(theirs)[:10]}…)")
                else:
                    out.append(f"{label} {mine} vs {theirs}")
        return out


@dataclass
class Run:
    """One lm-eval run (one model): its results file, metadata and, when logged, its samples files."""

    folder: Path
    results_path: Path
    date_id: str
    results: dict[str, Any]
    sample_paths: dict[str, Path] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # files (and tasks) not read, each with the reason
    adapters: Sequence[RecordAdapter] = ()  # record adapters for built-in tasks (xlfact.tasks.registry)
    _samples: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict, repr=False)
    _records: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------------------------------------ metadata
    @property
    def config(self) -> dict[str, Any]:
        return self.results.get("config") or {}

    @property
    def model_name(self) -> str:
        return str(self.results.get("model_name") or self.config.get("model_args") or self.folder.name)

    @property
    def model_args(self) -> str:
        args = self.config.get("model_args")
        if isinstance(args, dict):
            return ",".join(f"{k}={v}" for k, v in args.items())
        return str(args or "")

    @property
    def metadata(self) -> dict[str, Any]:
        """The model metadata a leaderboard row shows."""
        date = self.results.get("date")
        when = None
        if isinstance(date, (int, float)):
            when = datetime.fromtimestamp(date, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        dtype = str(self.config.get("model_dtype") or "")
        return {
            "model": self.model_name,
            "model_source": self.results.get("model_source") or self.config.get("model"),
            "model_args": self.model_args,
            "revision": self.config.get("model_revision"),
            "sha": self.config.get("model_sha") or None,
            "dtype": dtype.removeprefix("torch.") or None,
            "parameters": self.config.get("model_num_parameters"),
            "date": when,
            "lm_eval_version": self.results.get("lm_eval_version"),
            "transformers_version": self.results.get("transformers_version"),
            "limit": self.config.get("limit"),
            "results_file": str(self.results_path),
        }

    @property
    def tasks(self) -> list[str]:
        """The leaf tasks evaluated (lm-eval keys ``configs`` by leaf task; groups only appear in ``results``)."""
        return list(self.results["configs"])

    def settings(self, task: str) -> TaskSettings:
        n_samples = (self.results.get("n-samples") or {}).get(task, {})
        return TaskSettings(
            version=(self.results.get("versions") or {}).get(task),
            n_shot=(self.results.get("n-shot") or {}).get(task),
            limit=self.config.get("limit"),
            n_samples=n_samples.get("effective") if isinstance(n_samples, dict) else n_samples,
            task_hash=(self.results.get("task_hashes") or {}).get(task),
        )

    def task_metrics(self, task: str) -> dict[str, Any]:
        """The aggregated ``metric,filter`` values lm-eval wrote for ``task`` (or group)."""
        return dict((self.results.get("results") or {}).get(task, {}))

    def groups(self) -> dict[str, list[str]]:
        """Group -> leaf tasks, flattened through nested groups."""
        raw: dict[str, list[str]] = self.results.get("group_subtasks") or {}

        def leaves(name: str, seen: frozenset[str]) -> list[str]:
            if name in seen:
                return []
            if name not in raw or not raw[name]:
                return [name]
            return [leaf for child in raw[name] for leaf in leaves(child, seen | {name})]

        return {g: [t for t in leaves(g, frozenset()) if t in self.results["configs"]] for g in raw if raw[g]}

    # ------------------------------------------------------------------------------------------------- samples
    @property
    def has_samples(self) -> bool:
        return bool(self.sample_paths)

    def require_samples(self, tasks: Iterable[str] | None = None) -> None:
        """Every task (or those given) must have its samples file; a clear error says which are missing."""
        wanted = list(tasks) if tasks is not None else self.tasks
        missing = [t for t in wanted if t not in self.sample_paths]
        if missing:
            raise RunError(
                f"{self.results_path}: no samples_<task>_{self.date_id}.jsonl for {', '.join(missing)} in "
                f"{self.folder}; re-run lm-eval with --log_samples"
            )

    def numbered_samples(self, task: str) -> list[tuple[int, dict[str, Any]]]:
        """``(line number, sample)`` of ``task``'s samples file, checked against the results file (row count and
        lm-eval's task hash)."""
        if task in self._samples:
            return self._samples[task]
        self.require_samples([task])
        path = self.sample_paths[task]
        rows: list[tuple[int, dict[str, Any]]] = []
        for line_no, sample in read_jsonl(path, error=RunError, unit="line"):
            missing = [k for k in REQUIRED_SAMPLE_KEYS if k not in sample]
            if missing:
                raise RunError(
                    f"{path} line {line_no}: sample lacks {', '.join(missing)}; expected an lm-eval 0.4.13 "
                    "--log_samples row"
                )
            rows.append((line_no, sample))
        settings = self.settings(task)
        if isinstance(settings.n_samples, int) and settings.n_samples != len(rows):
            raise RunError(
                f"{path}: {len(rows)} samples, but {self.results_path.name} says {settings.n_samples} were "
                "evaluated; is the samples file truncated or from another run?"
            )
        if settings.task_hash and task_hash(s for _, s in rows) != settings.task_hash:
            raise RunError(
                f"{path}: the samples' doc/prompt/target hashes do not match task_hashes[{task!r}] in "
                f"{self.results_path.name}; the samples file belongs to another run or was edited"
            )
        self._samples[task] = rows
        return rows

    def samples(self, task: str) -> list[dict[str, Any]]:
        """The logged samples of ``task``, checked (see :meth:`numbered_samples`)."""
        return [sample for _, sample in self.numbered_samples(task)]

    def records(self, task: str) -> list[dict[str, Any]]:
        """The validated cross-lingual records of ``task`` (empty for a task that logs none, e.g. a built-in without
        an adapter; :attr:`skipped` then says so). All lines carry one, of one benchmark and language, or none do."""
        if task in self._records:
            return self._records[task]
        path = self.sample_paths.get(task)
        out: list[dict[str, Any]] = []
        first: tuple[int, dict[str, Any]] | None = None
        without: int | None = None
        seen: dict[str, int] = {}
        for line_no, sample in self.numbered_samples(task):
            record = record_of(task, sample, where=f"{path} line {line_no}", adapters=self.adapters)
            if record is None:
                if first is not None:
                    raise RunError(f"{path} line {line_no}: no cross-lingual record ({RECORD_KEY!r}), but line "
                                   f"{first[0]} has one; a foreign or edited line?")
                without = without or line_no
                continue
            if without is not None:
                raise RunError(f"{path} line {line_no}: has a cross-lingual record ({RECORD_KEY!r}), but line "
                               f"{without} has none; a foreign or edited line?")
            if first is None:
                first = (line_no, record)
            elif (record["benchmark"], record["lang"]) != (first[1]["benchmark"], first[1]["lang"]):
                raise RunError(
                    f"{path} line {line_no}: record is benchmark {record['benchmark']!r} language "
                    f"{record['lang']!r}, but line {first[0]} is {first[1]['benchmark']!r} {first[1]['lang']!r}; "
                    "a foreign line?"
                )
            item = str(record["item"])
            if item in seen:
                raise RunError(f"{path} line {line_no}: item {item!r} repeats line {seen[item]}; expected one record "
                               "per item")
            seen[item] = line_no
            out.append(record)
        if not out and path is not None:
            self.skipped.append(f"{path.name}: task {task!r} logs no cross-lingual record (not an xlfact task); "
                                "only lm-eval's aggregated metric is used")
        self._records[task] = out
        return out

    def sample_metrics(self, task: str) -> list[dict[str, float]]:
        """Per sample, the metric values lm-eval logged that are plain numbers (acc, acc_norm, exact, ...)."""
        out = []
        for sample in self.samples(task):
            values: dict[str, float] = {}
            for name in sample.get("metrics", []):
                value = sample.get(name)
                if isinstance(value, (bool, int, float)):
                    values[name] = float(value)
            out.append(values)
        return out

    @cached_property
    def benchmarks(self) -> dict[str, list[str]]:
        """Benchmark -> tasks. xlfact tasks name their benchmark in their records; any other task is grouped under
        its outermost lm-eval group, or stands alone."""
        out: dict[str, list[str]] = {}
        owner: dict[str, str] = {}
        groups = self.groups()
        for group in sorted(groups, key=lambda g: -len(groups[g])):  # outermost (largest) group wins
            for task in groups[group]:
                owner.setdefault(task, group)
        for task in self.tasks:
            name = None
            if task in self.sample_paths:
                records = self.records(task)
                if records:
                    name = str(records[0]["benchmark"])
            out.setdefault(name or owner.get(task, task), []).append(task)
        return out


def _load_results(path: Path) -> dict[str, Any]:
    try:
        data = read_json(path, error=RunError, expect_object=False)
    except OSError as err:
        raise RunError(f"{path}: cannot read ({err.strerror})") from None
    if not isinstance(data, dict):
        raise RunError(f"{path}: expected a JSON object (an lm-eval results file)")
    for key in REQUIRED_RESULTS_KEYS:
        if not isinstance(data.get(key), dict):
            raise RunError(f"{path}: field {key!r} missing or not an object; expected lm-eval's results_<date>.json")
    return data


def result_folders(path: str | Path) -> list[Path]:
    """Folders under ``path`` (or ``path`` itself) that hold an lm-eval ``results_<date>.json``."""
    root = Path(path)
    if not root.exists():
        raise RunError(f"{root}: no such file or folder (expected an lm-eval --output_path)")
    if root.is_file():
        return [root.parent]
    folders = sorted({p.parent for p in root.rglob("results_*.json") if RESULTS_RE.match(p.name)})
    if not folders:
        hint = " (only samples files: lm-eval writes results_<date>.json beside them)" if any(
            root.rglob("samples_*.jsonl")) else ""
        raise RunError(f"{root}: no lm-eval results file (results_<date>.json) in it or below it{hint}")
    return folders


def _pick_results(folder: Path, run: str | None) -> Path:
    """The results file of the one run in ``folder``, or of the run named ``run`` (its date id)."""
    candidates = sorted(p for p in folder.iterdir() if RESULTS_RE.match(p.name))
    if not candidates:
        raise RunError(f"{folder}: no lm-eval results file (results_<date>.json)")
    dates = [RESULTS_RE.match(p.name)["date"] for p in candidates]
    if run is not None:
        chosen = [p for p, d in zip(candidates, dates) if d == run or p.name == run]
        if not chosen:
            raise RunError(f"{folder}: no run {run!r}; its runs are {', '.join(dates)}")
        return chosen[0]
    if len(candidates) > 1:
        raise RunError(
            f"{folder}: holds {len(candidates)} runs ({', '.join(dates)}); name one with --run DATE_ID "
            "(or pass its results file) so that runs are never mixed"
        )
    return candidates[0]


def load_run(path: str | Path, *, run: str | None = None, adapters: Sequence[RecordAdapter] = ()) -> Run:
    """The run in ``path``: a results file, the folder holding it, or an ``--output_path`` with one model folder.
    ``adapters`` turn samples of tasks that log no record into records (:func:`xlfact.tasks.registry.record_adapters`).

    A folder with several results files is refused unless ``run`` names one by its date id. The run's samples are
    exactly the files with its date id; every other samples file is listed in :attr:`Run.skipped` with the reason.
    """
    path = Path(path)
    if path.is_file():
        if not RESULTS_RE.match(path.name):
            raise RunError(f"{path}: not an lm-eval results file (expected results_<date>.json, or its folder)")
        results_path = path
    else:
        folders = result_folders(path)
        if len(folders) > 1:
            listing = ", ".join(str(f) for f in folders[:5])
            raise RunError(f"{path}: holds {len(folders)} model folders ({listing}); pass one of them")
        results_path = _pick_results(folders[0], run)
    date_id = RESULTS_RE.match(results_path.name)["date"]
    results = _load_results(results_path)
    sample_paths: dict[str, Path] = {}
    skipped: list[str] = []
    other_runs = {RESULTS_RE.match(p.name)["date"] for p in results_path.parent.iterdir() if RESULTS_RE.match(p.name)}
    for file in sorted(results_path.parent.iterdir()):
        if RESULTS_RE.match(file.name) and file != results_path:
            skipped.append(f"{file.name}: another run in the same folder (reading run {date_id})")
            continue
        if not file.name.startswith("samples_") or not file.name.endswith(".jsonl"):
            continue
        match = SAMPLES_RE.match(file.name)
        if not match:
            skipped.append(f"{file.name}: not named samples_<task>_<date_id>.jsonl")
        elif match["date"] != date_id:
            whose = "another run" if match["date"] in other_runs else "a run with no results file"
            skipped.append(f"{file.name}: from {whose} ({match['date']}), not run {date_id}")
        elif match["task"] not in results["configs"]:
            skipped.append(f"{file.name}: task {match['task']!r} is not in {results_path.name}")
        else:
            sample_paths[match["task"]] = file
    return Run(folder=results_path.parent, results_path=results_path, date_id=date_id, results=results,
               sample_paths=sample_paths, skipped=skipped, adapters=tuple(adapters))


def load_runs(paths: Iterable[str | Path], *, run: str | None = None,
              adapters: Sequence[RecordAdapter] = ()) -> list[Run]:
    """Every run under the given paths (each path may hold several model folders); ``run`` names the run by date id
    in folders that hold several."""
    runs = []
    for path in paths:
        if Path(path).is_file():
            runs.append(load_run(path, adapters=adapters))
        else:
            runs.extend(load_run(folder, run=run, adapters=adapters) for folder in result_folders(path))
    return runs
