"""The wheel carries the tasks (YAML, templates, READMEs, bundled data) and nothing of the repo's scaffolding."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_task_files_and_data(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(REPO), "-w",
         str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    wheel = next(tmp_path.glob("xlfact-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "xlfact/cli/__init__.py",
        "xlfact/tasks/polyfact/_polyfact_template_yaml",
        "xlfact/tasks/polyfact/polyfact_de.yaml",
        "xlfact/tasks/polyfact/_polyfact_all.yaml",
        "xlfact/tasks/polyfact/README.md",
        "xlfact/evaluators/consistency.py",
        "xlfact/models/shared_prefix.py",
    ):
        assert expected in names, expected
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/entry_points.txt")))
    assert "[lm_eval.models]\nxlfact-hf = xlfact.models.shared_prefix:SharedPrefixHFLM" in entry_points.decode()
    assert "[lm_eval.tasks]\nxlfact = xlfact.tasks" in entry_points.decode()
    assert any(n.startswith("xlfact/tasks/polyfact/sample_data/") and n.endswith("test.jsonl") for n in names)
    assert not any(n.startswith(("xlfact/tests/", "xlfact/benchmarks/")) or n == "xlfact/setup.py" for n in names)
