"""Run lm-eval in-process and save its output exactly as ``lm_eval run --output_path --log_samples`` does.

``xlfact trace`` evaluates many checkpoints; starting ``lm_eval`` once per checkpoint would re-index lm-eval's ~7 s of
built-in tasks each time. Here one :class:`~lm_eval.tasks.TaskManager` serves every checkpoint, and the output goes
through lm-eval's own ``EvaluationTracker`` with the same calls as its CLI (``lm_eval/_cli/run.py``), so the folders
are byte-for-byte the shape every other xlfact command reads.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xlfact.tasks import tasks_dir


def needs_builtin_tasks(tasks: Sequence[str], *, include_path: Sequence[str | Path] = ()) -> bool:
    """Whether some requested task is found only among lm-eval's built-ins (indexing those costs ~7 s)."""
    from lm_eval.tasks import TaskManager

    paths = [str(tasks_dir()), *[str(p) for p in include_path]]
    known = set(TaskManager(include_path=paths, include_defaults=False).all_tasks)
    return not all(task in known for task in tasks)


def make_task_manager(
    tasks: Sequence[str],
    *,
    include_path: Sequence[str | Path] = (),
    metadata: dict[str, Any] | None = None,
    include_defaults: bool | None = None,
):
    """A TaskManager over xlfact's tasks (plus ``include_path``), with lm-eval's built-ins when needed."""
    from lm_eval.tasks import TaskManager

    if include_defaults is None:
        include_defaults = needs_builtin_tasks(tasks, include_path=include_path)
    paths = [str(tasks_dir()), *[str(p) for p in include_path]]
    return TaskManager(include_path=paths, include_defaults=include_defaults, metadata=metadata)


def git_commit_hash() -> str | None:
    """lm-eval's ``get_git_commit_hash`` (``git describe --always``, else the ``.git`` folder of the working folder)
    with git's stderr silenced: outside a repository lm-eval's own call prints ``fatal: not a git repository`` on
    the terminal, once per evaluation, so once per checkpoint of a trace."""
    from lm_eval.loggers.utils import get_commit_from_path

    try:
        return subprocess.check_output(["git", "describe", "--always"], stderr=subprocess.DEVNULL).strip().decode()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return get_commit_from_path(os.getcwd())


@contextmanager
def quiet_git() -> Iterator[None]:
    """Within the block, lm-eval's evaluator records the git hash through :func:`git_commit_hash` (same value)."""
    import lm_eval.evaluator as evaluator

    original = evaluator.get_git_commit_hash
    evaluator.get_git_commit_hash = git_commit_hash
    try:
        yield
    finally:
        evaluator.get_git_commit_hash = original


def evaluate_to_folder(
    output_path: str | Path,
    *,
    model: str,
    model_args: str | dict[str, Any],
    tasks: Sequence[str],
    task_manager: Any,
    limit: int | float | None = None,
    batch_size: int | str = 1,
    device: str | None = None,
    num_fewshot: int | None = None,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Evaluate with ``--log_samples`` into ``output_path``; returns the folder holding ``results_<date>.json``."""
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.loggers import EvaluationTracker

    if device is None:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    tracker = EvaluationTracker(output_path=str(output_path))
    with quiet_git():
        results = simple_evaluate(
            model=model, model_args=model_args, tasks=list(tasks), task_manager=task_manager, limit=limit,
            batch_size=batch_size, device=device, num_fewshot=num_fewshot, log_samples=True,
            evaluation_tracker=tracker, metadata=metadata,
        )
    if results is None:  # only non-zero ranks of a distributed run get None
        raise RuntimeError("lm-eval returned no results (a non-zero rank of a distributed run?)")
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for task_name in results["configs"]:
        tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
    folder = Path(output_path) / str(tracker.general_config_tracker.model_name_sanitized)
    if not any(folder.glob("results_*.json")):  # lm-eval logs, rather than raises, a failed save
        raise RuntimeError(f"lm-eval did not write a results file into {folder}; see its log above")
    return folder
