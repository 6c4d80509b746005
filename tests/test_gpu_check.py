"""``benchmarks/gpu_check.sh`` on CPU with the tiny config: the one-shot GPU check's code runs end to end in CI (every
step timed, the table printed, the JSON written), so the first GPU machine runs a script that is known to work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_runs_on_cpu_with_the_tiny_config(tmp_path):
    out = tmp_path / "gpu_check.json"
    env = {**os.environ, "PYTHON": sys.executable, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1",
           "GPU_CHECK_TIMEOUT": "600"}
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--config", "tiny", "--device", "cpu",
                           "--langs", "en,de", "--limit", "5", "--lape_tokens", "1024", "--lape_seq_len", "256",
                           "--lahis_texts", "1", "--out", str(out)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=700)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "xlfact GPU check: tiny Llama" in done.stdout
    figures = json.loads(out.read_text())
    steps = {s["step"]: s for s in figures["steps"]}
    assert list(steps) == ["build (random init)", "warm-up forward", "PolyFact, lm-eval hf", "PolyFact, xlfact-hf",
                           "PolyFact, vLLM", "LAPE counts + selection", "LAHIS pass"]
    for name in ("PolyFact, lm-eval hf", "PolyFact, xlfact-hf", "LAPE counts + selection", "LAHIS pass"):
        assert steps[name]["seconds"] > 0 and name in done.stdout
    assert steps["PolyFact, vLLM"]["seconds"] is None  # on CPU the vLLM column says why it is skipped
    assert steps["PolyFact, vLLM"]["note"].startswith("skipped: needs a CUDA device")
    assert "2048 tokens (2 languages x 1024)" in steps["LAPE counts + selection"]["note"]
    assert figures["facts"] == 10 and figures["verdicts_differing_xlfact_hf_vs_hf"]["option"] == 0
    assert figures["config"] == "tiny" and figures["dtype"] == "float32" and figures["parameters"] > 0
