"""Write the klar_trace per-language task YAMLs and the group ``klar_trace_all``.

Run from anywhere: ``python tasks/klar_trace/generate_configs.py``. ``tests/test_klar_trace.py`` fails when the
committed files differ from what this script writes (or when a generated file is left over).
"""

from __future__ import annotations

import sys
from pathlib import Path

from xlfact.tasks.config_writer import group_yaml, task_yaml, write_configs
from xlfact.tasks.klar_trace.data import LANGUAGES

HERE = Path(__file__).resolve().parent
BENCH = "klar_trace"
TEMPLATE = "_klar_trace_template_yaml"
# acc: mean over languages; clc_mean: the run-level figure every subtask reports (so the mean is the figure).
GROUP_METRICS = ("acc", "clc_mean")


def task_name(lang: str) -> str:
    return f"klar_trace_{lang}"


def expected_files() -> dict[str, str]:
    files = {f"{task_name(lang)}.yaml": task_yaml(BENCH, TEMPLATE, task_name(lang), {"xlfact_lang": lang})
             for lang in LANGUAGES}
    files["_klar_trace_all.yaml"] = group_yaml(BENCH, "klar_trace_all", [task_name(lang) for lang in LANGUAGES],
                                               GROUP_METRICS)
    return files


def main() -> int:
    return write_configs(HERE, BENCH, expected_files())


if __name__ == "__main__":
    sys.exit(main())
