"""The proof that a benchmark is one folder: CONTRIBUTING.md's walkthrough, done by a test.

In a temporary copy of the package, it adds ``tasks/toyfact/`` (task YAMLs, a loader, a spec with hooks in
``benchmark.py``) and one registry entry, and runs the toy benchmark through ``xlfact eval`` on a tiny model, then
``xlfact report``, ``xlfact leaderboard build`` and ``xlfact compare``; every other file of the copy is unchanged
(checked by hash). The files written here are the ones CONTRIBUTING.md shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent  # the repository root is the package xlfact
NAME = "toyfact"
LANGS = ("en", "de")
FACTS = [  # (fact id, {lang: (context, [options])}), the gold option first
    ("france", {"en": ("The capital of France is", [" Paris", " Berlin", " Madrid"]),
                "de": ("Die Hauptstadt von Frankreich ist", [" Paris", " Berlin", " Madrid"])}),
    ("germany", {"en": ("The capital of Germany is", [" Berlin", " Rome", " Paris"]),
                 "de": ("Die Hauptstadt von Deutschland ist", [" Berlin", " Rom", " Paris"])}),
    ("spain", {"en": ("The capital of Spain is", [" Madrid", " Paris", " Rome"]),
               "de": ("Die Hauptstadt von Spanien ist", [" Madrid", " Paris", " Rom"])}),
    ("italy", {"en": ("The capital of Italy is", [" Rome", " Madrid", " Berlin"]),
               "de": ("Die Hauptstadt von Italien ist", [" Rom", " Madrid", " Berlin"])}),
    ("japan", {"en": ("The capital of Japan is", [" Tokyo", " Seoul", " Beijing"]),
               "de": ("Die Hauptstadt von Japan ist", [" Tokio", " Seoul", " Peking"])}),
    ("egypt", {"en": ("The capital of Egypt is", [" Cairo", " Tunis", " Rabat"]),
               "de": ("Die Hauptstadt von Ägypten ist", [" Kairo", " Tunis", " Rabat"])}),
]

# ---- the files of tasks/toyfact/ (CONTRIBUTING.md "Add a benchmark in one folder" shows the same) ----
PER_ITEM = ("acc", "acc_sum", "acc_norm", "acc_bytes")  # what xlfact's multiple-choice task returns per item
CROSS = ("total_consistency", "mean_languages_correct", "en_co", "rankc", "rankc_en", "answer_agreement")
TEMPLATE = """\
class: !function utils.McqTask
custom_dataset: !function utils.load_dataset
output_type: multiple_choice
test_split: test
doc_to_text: context
doc_to_choice: choices
doc_to_target: gold
target_delimiter: ""
metric_list:
""" + "".join(f"  - metric: {m}\n    aggregation: mean\n    higher_is_better: true\n" for m in PER_ITEM) + "".join(
    f"  - metric: {m}\n    aggregation: !function utils.{m}\n    higher_is_better: true\n" for m in CROSS)
TASK = """\
include: _toyfact_template_yaml
task: toyfact_{lang}
dataset_kwargs:
  xlfact_data: data/{lang}.jsonl
metadata:
  version: 1.0
  xlfact_benchmark: toyfact
  xlfact_item_key: fact_id
  xlfact_lang: {lang}
"""
GROUP = """\
group: toyfact
task:
  - toyfact_en
  - toyfact_de
aggregate_metric_list:
  - metric: acc
    aggregation: mean
    weight_by_size: false
metadata:
  version: 1.0
"""
UTILS = '''"""toyfact's lm-eval hooks: the loader and the task class (xlfact's multiple-choice runtime)."""

from pathlib import Path

from xlfact.tasks.mcq_jsonl import (  # noqa: F401 - used by the YAML
    McqTask,
    answer_agreement,
    en_co,
    load_from_folder,
    mean_languages_correct,
    rankc,
    rankc_en,
    total_consistency,
)


def load_dataset(**kwargs):
    return load_from_folder(Path(__file__).resolve().parent, **kwargs)
'''
HOOKS = '''"""toyfact's report hooks: one extra figure and a section spanning its record benchmarks."""


def report_extras(records):
    """Figures the report adds to the benchmark's table."""
    return {"toy_records": float(len(records))}


def report_data(records_by_benchmark, focus=""):
    """The toyfact section as data (the written report, the leaderboard)."""
    return {"languages": sorted({r["lang"] for recs in records_by_benchmark.values() for r in recs})}


def report_section(records_by_benchmark, focus=""):
    """The same section as Markdown (the printed report)."""
    return "toyfact languages: " + ", ".join(report_data(records_by_benchmark)["languages"]) + "\\n"
'''
BENCHMARK = '''"""toyfact as the suite sees it: its spec and its hooks."""

from pathlib import Path

from xlfact.tasks.benchmark import Benchmark
from xlfact.tasks.toyfact.hooks import report_data, report_extras, report_section

BENCHMARK = Benchmark(
    name="toyfact",
    records=("toyfact",),
    tasks=("toyfact_en", "toyfact_de"),
    groups=("toyfact",),
    languages=("en", "de"),
    language_groups={"high": ("en",), "low": ("de",)},
    folder=Path(__file__).resolve().parent,
    report_extras=report_extras,
    report_data=report_data,
    report_section=report_section,
)
'''
REGISTRY_IMPORT = "from xlfact.tasks.toyfact import benchmark as toyfact\n"
REGISTRY_ENTRY = "    toyfact.BENCHMARK,\n"


def add_toy_benchmark(package: Path) -> None:
    """The walkthrough: one folder, one registry entry (its import and its line in BENCHMARKS)."""
    folder = package / "tasks" / NAME
    (folder / "data").mkdir(parents=True)
    (folder / "__init__.py").write_text('"""toyfact: a two-language toy benchmark."""\n', encoding="utf-8")
    (folder / "README.md").write_text("# toyfact\n\nA toy benchmark: six capitals in English and German.\n")
    (folder / "_toyfact_template_yaml").write_text(TEMPLATE, encoding="utf-8")
    (folder / "_toyfact.yaml").write_text(GROUP, encoding="utf-8")
    for lang in LANGS:
        (folder / f"toyfact_{lang}.yaml").write_text(TASK.format(lang=lang), encoding="utf-8")
        rows = [{"id": f"{fact}-{lang}", "fact_id": fact, "language": lang, "context": per[lang][0],
                 "choices": per[lang][1], "gold": 0} for fact, per in FACTS]
        (folder / "data" / f"{lang}.jsonl").write_text(
            "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    (folder / "utils.py").write_text(UTILS, encoding="utf-8")
    (folder / "hooks.py").write_text(HOOKS, encoding="utf-8")
    (folder / "benchmark.py").write_text(BENCHMARK, encoding="utf-8")
    registry = package / "tasks" / "registry.py"
    text = registry.read_text(encoding="utf-8")
    anchor = "from xlfact.tasks.polyfact import benchmark as polyfact\n"
    assert anchor in text and "BENCHMARKS: tuple[Benchmark, ...] = (\n" in text
    text = text.replace(anchor, anchor + REGISTRY_IMPORT)
    start = text.index("BENCHMARKS: tuple[Benchmark, ...] = (\n")
    end = text.index(")\n", start)
    registry.write_text(text[:end] + REGISTRY_ENTRY + text[end:], encoding="utf-8")


def _hashes(package: Path) -> dict[str, str]:
    return {str(p.relative_to(package)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(package.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def test_toy_benchmark_files_declare_a_benchmark(tmp_path):
    """Fast half of the proof: the toy folder's spec and hooks load through the copied registry."""
    package = tmp_path / "xlfact"
    shutil.copytree(ROOT / "tasks", package / "tasks", ignore=shutil.ignore_patterns("__pycache__"))
    add_toy_benchmark(package)
    text = (package / "tasks" / "registry.py").read_text(encoding="utf-8")
    assert text.count("toyfact") == 3  # the import line (twice on it) and the BENCHMARKS entry


@pytest.mark.slow
def test_a_benchmark_added_in_one_folder_runs_through_eval_report_leaderboard_and_compare(tmp_path, tiny_model_dir):
    package = tmp_path / "copy" / "xlfact"
    shutil.copytree(ROOT, package, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "__pycache__", "tests", "benchmarks", "site", "runs", "build", "*.egg-info", "docs"))
    before = _hashes(package)
    add_toy_benchmark(package)
    after = _hashes(package)
    changed = {path for path in after if before.get(path) != after[path]}
    assert {p for p in changed if not p.startswith("tasks/toyfact/")} == {"tasks/registry.py"}

    env = {**os.environ, "PYTHONPATH": str(package.parent), "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}

    def xlfact(*args: str) -> subprocess.CompletedProcess:
        out = subprocess.run([sys.executable, "-m", "xlfact.cli", *args], capture_output=True, text=True, env=env,
                             cwd=tmp_path, timeout=900)
        assert out.returncode == 0, (args[0], out.stderr[-3000:])
        return out

    found = subprocess.run([sys.executable, "-c", "import xlfact; print(xlfact.__file__)"], capture_output=True,
                           text=True, env=env, cwd=tmp_path)
    assert Path(found.stdout.strip()).parent == package  # the commands run the copy, not the installed package

    runs = {}
    for name in ("base", "candidate"):
        runs[name] = tmp_path / "runs" / name
        out = xlfact("eval", "--model", "hf", "--model_args", f"pretrained={tiny_model_dir},dtype=float32",
                     "--tasks", NAME, "--device", "cpu", "--batch_size", "8", "--output_path", str(runs[name]),
                     "--log_samples")
        assert "toyfact_de" in out.stdout and "total_consistency" in out.stdout
        assert list(runs[name].rglob("samples_toyfact_de_*.jsonl"))

    out = xlfact("report", str(runs["base"]), "--bootstrap", "20", "--no_figures")
    assert "## toyfact" in out.stdout and "toy_records" in out.stdout and "toyfact languages: de, en" in out.stdout
    report = json.loads((runs["base"] / "xlfact_report.json").read_text(encoding="utf-8"))
    bench = report["runs"][0]["benchmarks"][NAME]
    assert bench["languages"] == ["de", "en"] or set(bench["languages"]) == set(LANGS)
    assert bench["extras"] == {"toy_records": 12.0} and {"accuracy_high", "accuracy_low"} <= set(bench["macro"])
    assert report["runs"][0]["section_data"][NAME] == {"languages": ["de", "en"]}

    site = tmp_path / "site"
    xlfact("leaderboard", "build", str(runs["base"]), str(runs["candidate"]), "--output_path", str(site),
           "--bootstrap", "20")
    table = json.loads((site / "leaderboard.json").read_text(encoding="utf-8"))
    assert NAME in [b["name"] for b in table["benchmarks"]]
    assert all(m["sections"][NAME] == {"languages": ["de", "en"]} for m in table["models"])

    out = xlfact("compare", "--baseline", str(runs["base"]), "--candidate", str(runs["candidate"]),
                 "--bootstrap", "20", "--output_path", str(tmp_path / "gate"))
    assert NAME in out.stdout
