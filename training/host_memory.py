"""Give freed activation blocks back to the operating system during CPU training (glibc's malloc).

Why: glibc serves a freed block of up to 32 MiB from its heap afterwards ("dynamic mmap threshold"), and a training
step frees and allocates thousands of 10-60 MB activation blocks (recomputed layers, their gradients). The heap then
fragments and the process's resident memory grows far past what is alive: the shipped ``sft_smollm2_cpu`` recipe
(batch 10, 120 sequences x 86 tokens) held 6.2-6.3 GB resident for ~2.2 GB of live tensors, and crossed its 6 GB
guard at random. A fixed threshold maps every block above it on its own and unmaps it when freed: peak 2.2 GB, at the
price of the fresh pages' zeroing (a 2-step run took 100 s instead of 70 s on 2 cores; measured 2026-12-05, torch
2.13, transformers 5.25; ``benchmarks/README.md``).

A user's own ``MALLOC_MMAP_THRESHOLD_`` or ``GLIBC_TUNABLES`` malloc setting wins; other C libraries are left alone.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number (malloc.h)
THRESHOLD_BYTES = 4 * 1024 * 1024  # above the small tensors' churn, below every activation block of a real model

log = logging.getLogger(__name__)


def user_has_malloc_setting(environ: dict[str, str] | None = None) -> bool:
    """Whether the user tuned glibc's malloc through the environment (then nothing is changed)."""
    env = os.environ if environ is None else environ
    return bool(env.get("MALLOC_MMAP_THRESHOLD_")) or "glibc.malloc." in env.get("GLIBC_TUNABLES", "")


def return_freed_blocks(threshold: int = THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes for the rest of the process; True when it was set."""
    if not sys.platform.startswith("linux") or user_has_malloc_setting():
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False
    done = bool(mallopt(M_MMAP_THRESHOLD, threshold))
    if done:
        log.info("CPU training: blocks above %d MiB are returned to the system when freed (training/host_memory.py)",
                 threshold // (1024 * 1024))
    return done


def return_freed_blocks_on_cpu(trainer_args) -> bool:
    """:func:`return_freed_blocks` when the trainer will train on the CPU (``use_cpu``, or no GPU here), decided
    without setting the trainer's device up (``TrainingArguments.device`` would start the distributed state early)."""
    import torch  # loaded already: the trainer arguments were built

    if getattr(trainer_args, "use_cpu", False) or not torch.cuda.is_available():
        return return_freed_blocks()
    return False
