"""Write MKQA's 26 per-language task YAMLs and its group ``mkqa_all``.

Run from anywhere: ``python tasks/mkqa/generate_configs.py``. ``tests/test_mkqa_task.py`` fails when the committed
files differ from what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from xlfact.evaluators.mkqa import LANGUAGES
from xlfact.tasks.config_writer import group_yaml, task_yaml, write_configs

HERE = Path(__file__).resolve().parent
BENCH = "mkqa"
TEMPLATE = "_mkqa_template_yaml"
GROUP_METRICS = ("exact_match", "f1", "total_consistency", "mean_languages_correct")


def task_name(lang: str) -> str:
    return f"mkqa_{lang}"


def expected_files() -> dict[str, str]:
    files = {f"{task_name(lang)}.yaml": task_yaml(BENCH, TEMPLATE, task_name(lang), {"xlfact_lang": lang})
             for lang in LANGUAGES}
    files["_mkqa_all.yaml"] = group_yaml(BENCH, "mkqa_all", [task_name(lang) for lang in LANGUAGES], GROUP_METRICS)
    return files


def main() -> int:
    return write_configs(HERE, BENCH, expected_files())


if __name__ == "__main__":
    sys.exit(main())
