"""Fanning one ``xlfact trace`` out over a scheduler's jobs: ``--shard K/N`` and the locks that let shards share one
``--output_path``.

A tracing study evaluates tens to hundreds of checkpoints; a cluster user splits it over a Slurm job array (or plain
background processes). Every shard plans the same full list of checkpoints (same arguments, same order) and keeps
the ones dealt to it: checkpoint ``i`` of the plan goes to shard ``i % N`` (round robin, so early and late
checkpoints, which differ in nothing but weights, spread evenly). ``K`` may be ``auto``: then it is
``$SLURM_ARRAY_TASK_ID - $SLURM_ARRAY_TASK_MIN`` (so ``--array=0-3`` and ``--array=1-4`` both give shards 0..3).

Shards never write the same file: a checkpoint is evaluated into ``checkpoints/<label>.partial`` and renamed to
``checkpoints/<label>`` when complete, while its own lock file (``checkpoints/<label>.lock``) is held, so even two
processes given the same shard (a requeued job next to the original) cannot evaluate one checkpoint twice. The
shared files (``trace.csv``, ``first_learned.csv``, plots, ``trace.json``) are written under one folder lock
(``.trace.lock``) by whichever run finds every planned checkpoint finished (the last shard), or by
``xlfact trace summarize``. The locks are ``filelock`` file locks (``flock`` on POSIX: released by the kernel when a
job is killed, so a stale lock never blocks a re-run).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout

from xlfact.errors import UsageError

T = TypeVar("T")
SUMMARY_LOCK = ".trace.lock"
_SHARD = re.compile(r"^(?P<k>\d+|auto)/(?P<n>\d+)$")


@dataclass(frozen=True)
class Shard:
    index: int  # K, from 0
    count: int  # N

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def deal(self, planned: list[T]) -> list[T]:
        """This shard's share of the full plan: items ``index, index + count, ...`` in plan order."""
        return planned[self.index::self.count]


def parse_shard(text: str, environ: dict[str, str] | None = None) -> Shard:
    """``K/N`` (0 <= K < N) or ``auto/N`` (K from ``SLURM_ARRAY_TASK_ID`` less ``SLURM_ARRAY_TASK_MIN``)."""
    env = os.environ if environ is None else environ
    match = _SHARD.match(text.strip())
    if not match:
        raise UsageError(f"--shard {text!r}: expected K/N (e.g. 0/4) or auto/N (K from SLURM_ARRAY_TASK_ID)")
    count = int(match.group("n"))
    if count < 1:
        raise UsageError(f"--shard {text!r}: N must be at least 1")
    if match.group("k") == "auto":
        task = env.get("SLURM_ARRAY_TASK_ID")
        if task is None or not task.strip().isdigit():
            raise UsageError(f"--shard {text!r}: SLURM_ARRAY_TASK_ID is {task!r}; run inside a Slurm job array "
                             "(sbatch --array=0-N-1) or give K explicitly")
        low = env.get("SLURM_ARRAY_TASK_MIN", "0").strip()
        index = int(task) - (int(low) if low.isdigit() else 0)
    else:
        index = int(match.group("k"))
    if not 0 <= index < count:
        raise UsageError(f"--shard {text!r}: K is {index}; expected 0 <= K < {count} (shards are numbered from 0)")
    return Shard(index, count)


def checkpoint_lock(root: Path, label: str) -> FileLock:
    """The lock held while one checkpoint is evaluated and renamed into place."""
    root.mkdir(parents=True, exist_ok=True)
    return FileLock(root / f"{label}.lock")


def try_lock(lock: FileLock) -> bool:
    """Take ``lock`` now if free; False when another process holds it."""
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return False
    return True


def summary_lock(out_dir: Path) -> FileLock:
    """The lock under which the shared files of a trace folder are written (waits for another writer)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(out_dir / SUMMARY_LOCK)
