"""Write ECLeKTic's per-language task YAMLs, ``eclektic_source`` and the group ``eclektic_all``.

Run from anywhere: ``python tasks/eclektic/generate_configs.py``. ``tests/test_eclektic.py`` fails when the committed
files differ from what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from xlfact.evaluators.eclektic import LANGUAGES
from xlfact.tasks.config_writer import group_yaml, task_yaml, write_configs
from xlfact.tasks.eclektic.data import SOURCE_TASK

HERE = Path(__file__).resolve().parent
BENCH = "eclektic"
TEMPLATE = "_eclektic_template_yaml"
GROUP_METRICS = ("acc", "overall_success", "transfer", "total_consistency", "mean_languages_correct")


def expected_files() -> dict[str, str]:
    files = {f"eclektic_{lang}.yaml": task_yaml(BENCH, TEMPLATE, f"eclektic_{lang}", {"xlfact_lang": lang})
             for lang in (*LANGUAGES, SOURCE_TASK)}
    files["_eclektic_all.yaml"] = group_yaml(BENCH, "eclektic_all", [f"eclektic_{lang}" for lang in LANGUAGES],
                                             GROUP_METRICS)
    return files


def main() -> int:
    return write_configs(HERE, BENCH, expected_files())


if __name__ == "__main__":
    sys.exit(main())
