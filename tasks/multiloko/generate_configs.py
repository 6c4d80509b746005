"""Write MultiLoKo's task YAMLs and groups.

Tasks: ``multiloko_<lang>`` (local questions, local language), ``multiloko_<lang>_en_<human|machine>`` (those
questions translated into English), ``multiloko_en_<lang>_<human|machine>`` (the English questions translated into
``<lang>``). Groups: ``multiloko`` (the 31 local subsets: eval.py's headline average and gap),
``multiloko_to_english_human`` and ``multiloko_from_english_human`` (what the mother-tongue and locality effects
compare with). Run ``python tasks/multiloko/generate_configs.py``; ``tests/test_multiloko.py`` fails when stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from xlfact.evaluators.multiloko import ENGLISH, LANGUAGES, METRICS, TRANSLATIONS
from xlfact.tasks.config_writer import group_yaml, task_yaml, write_configs

HERE = Path(__file__).resolve().parent
BENCH = "multiloko"
TEMPLATE = "_multiloko_template_yaml"
SHORT = {"english": "en"}


def task_names() -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for lang in LANGUAGES:
        out[f"multiloko_{lang}"] = {"xlfact_lang": lang, "xlfact_variant": "local", "xlfact_translation": "none"}
        if lang == ENGLISH:
            continue
        for tr in TRANSLATIONS:
            out[f"multiloko_{lang}_en_{tr}"] = {"xlfact_lang": lang, "xlfact_variant": "to_english",
                                                "xlfact_translation": tr}
            out[f"multiloko_en_{lang}_{tr}"] = {"xlfact_lang": lang, "xlfact_variant": "from_english",
                                                "xlfact_translation": tr}
    return out


def expected_files() -> dict[str, str]:
    tasks = task_names()
    files = {f"{name}.yaml": task_yaml(BENCH, TEMPLATE, name, kwargs) for name, kwargs in tasks.items()}
    others = [lang for lang in LANGUAGES if lang != ENGLISH]
    files["_multiloko.yaml"] = group_yaml(BENCH, "multiloko", [f"multiloko_{lang}" for lang in LANGUAGES], METRICS)
    files["_multiloko_to_english_human.yaml"] = group_yaml(
        BENCH, "multiloko_to_english_human", [f"multiloko_{lang}_en_human" for lang in others], METRICS)
    files["_multiloko_from_english_human.yaml"] = group_yaml(
        BENCH, "multiloko_from_english_human", [f"multiloko_en_{lang}_human" for lang in others], METRICS)
    return files


def main() -> int:
    return write_configs(HERE, BENCH, expected_files())


if __name__ == "__main__":
    sys.exit(main())
