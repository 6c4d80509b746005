"""Write the per-language task YAMLs of BMLAMA-17 and BMLAMA-53 and their groups ``bmlama17`` / ``bmlama53``.

Run from anywhere: ``python tasks/bmlama/generate_configs.py``. ``tests/test_bmlama_task.py`` fails when the committed
files differ from what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from xlfact.evaluators.bmlama import LANGUAGES
from xlfact.tasks.config_writer import group_yaml, task_yaml, write_configs

HERE = Path(__file__).resolve().parent
BENCH = "bmlama"
GROUP_METRICS = ("acc", "p_at_1", "total_consistency", "mean_languages_correct", "rankc", "rankc_en", "coverlap",
                 "coverlap_en")


def expected_files() -> dict[str, str]:
    files: dict[str, str] = {}
    for variant, langs in LANGUAGES.items():
        for lang in langs:
            files[f"{variant}_{lang}.yaml"] = task_yaml(BENCH, f"_{variant}_template_yaml", f"{variant}_{lang}",
                                                        {"xlfact_lang": lang, "xlfact_variant": variant})
        files[f"_{variant}.yaml"] = group_yaml(BENCH, variant, [f"{variant}_{lang}" for lang in langs], GROUP_METRICS)
    return files


def main() -> int:
    return write_configs(HERE, BENCH, expected_files())


if __name__ == "__main__":
    sys.exit(main())
