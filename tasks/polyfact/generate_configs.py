"""Write the per-language task YAMLs and the group YAMLs of PolyFact and PolyFact-Clean.

Run from anywhere: ``python tasks/polyfact/generate_configs.py``. ``tests/test_polyfact_configs.py`` fails when the
committed files differ from what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from xlfact.tasks.config_writer import group_yaml, task_yaml, write_configs
from xlfact.tasks.polyfact.spec import LANGUAGES, LOW_RESOURCE

BENCH = "polyfact"
HERE = Path(__file__).resolve().parent
VARIANTS = {
    # prefix: (base template, source, PolyFact-Clean filter)
    "polyfact": ("_polyfact_template_yaml", "polyfact", False),
    "polyfact_clean": ("_polyfact_clean_template_yaml", "clean", True),
}
GROUP_METRICS = ("acc", "acc_sum", "acc_norm", "acc_bytes")
CROSS_METRICS = ("total_consistency", "mean_languages_correct", "rankc", "rankc_en", "answer_agreement")
# Variants with one group over all languages: prefix -> (template, source, filter, group metrics).
ALL_ONLY = {
    "polyfact_gen": ("_polyfact_gen_template_yaml", "polyfact", False,
                     ("acc", "resolved", "total_consistency", "mean_languages_correct")),
    "wikifact": ("_wikifact_template_yaml", "wikifact", False, GROUP_METRICS + CROSS_METRICS),
}


def expected_files() -> dict[str, str]:
    files: dict[str, str] = {}
    for prefix in VARIANTS:
        high = [lang for lang in LANGUAGES if lang not in LOW_RESOURCE]
        template, source, clean = VARIANTS[prefix]
        for lang in LANGUAGES:
            kwargs = {"xlfact_lang": lang, "xlfact_source": source, "xlfact_clean": clean}
            files[f"{prefix}_{lang}.yaml"] = task_yaml(BENCH, template, f"{prefix}_{lang}", kwargs)
        files[f"_{prefix}_all.yaml"] = group_yaml(
            BENCH, f"{prefix}_all", [f"{prefix}_{lang}" for lang in LANGUAGES], GROUP_METRICS + CROSS_METRICS
        )
        # Sub-averages: the cross-lingual figures of a group run over the languages that group ran.
        files[f"_{prefix}_high.yaml"] = group_yaml(BENCH, f"{prefix}_high", [f"{prefix}_{lang}" for lang in high],
                                                   GROUP_METRICS)
        files[f"_{prefix}_low.yaml"] = group_yaml(BENCH, f"{prefix}_low", [f"{prefix}_{lang}" for lang in LOW_RESOURCE],
                                                  GROUP_METRICS)
    for prefix, (template, source, clean, metrics) in ALL_ONLY.items():
        for lang in LANGUAGES:
            kwargs = {"xlfact_lang": lang, "xlfact_source": source, "xlfact_clean": clean}
            files[f"{prefix}_{lang}.yaml"] = task_yaml(BENCH, template, f"{prefix}_{lang}", kwargs)
        files[f"_{prefix}_all.yaml"] = group_yaml(BENCH, f"{prefix}_all", [f"{prefix}_{lang}" for lang in LANGUAGES],
                                                  metrics)
    return files


def main() -> int:
    return write_configs(HERE, BENCH, expected_files())


if __name__ == "__main__":
    sys.exit(main())
