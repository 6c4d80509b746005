"""CPU training fixes glibc's mmap threshold (training/host_memory.py) unless the user tuned malloc themselves."""

from __future__ import annotations

import subprocess
import sys

import pytest

from xlfact.training import host_memory


@pytest.mark.parametrize(("env", "expected"), [
    ({}, False),
    ({"MALLOC_MMAP_THRESHOLD_": "65536"}, True),
    ({"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"}, True),
    ({"GLIBC_TUNABLES": "glibc.pthread.rseq=0"}, False),
])
def test_user_malloc_settings_are_recognised(env, expected):
    assert host_memory.user_has_malloc_setting(env) is expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_freed_large_blocks_go_back_to_the_system():
    """In a fresh process: three freed 20 MB blocks stay resident under glibc's dynamic threshold once a first free
    raised it (and the heap's trim threshold with it), and leave with the fixed one."""
    probe = """
import ctypes, sys
from xlfact.training import host_memory
if sys.argv[1] == "fixed":
    assert host_memory.return_freed_blocks()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def rss():
    return int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmRSS"))) / 1024
libc.free(libc.malloc(31 * 1024 * 1024))  # a freed mmapped block raises the dynamic threshold to its size
size = 20 * 1024 * 1024
blocks = []
pins = []
for _ in range(3):  # three 20 MB blocks, touched (resident), each followed by a small live block, then freed
    p = libc.malloc(size); ctypes.memset(p, 1, size); blocks.append(p)
    pins.append(libc.malloc(1024))
before = rss()
for p in blocks:
    libc.free(p)
print(before - rss())
"""
    freed = {mode: float(subprocess.run([sys.executable, "-c", probe, mode], capture_output=True, text=True,
                                        check=True).stdout) for mode in ("dynamic", "fixed")}
    assert freed["fixed"] > 50, freed  # MB given back
    assert freed["dynamic"] < 10, freed
