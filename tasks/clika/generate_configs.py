"""Write CLiKA's per-language task YAMLs and its group YAMLs.

Run from anywhere: ``python tasks/clika/generate_configs.py``. ``tests/test_clika_configs.py`` fails when the
committed files differ from what this script writes (or when a generated file is left over).
"""

from __future__ import annotations

import sys
from pathlib import Path

from xlfact.evaluators.clika import BASIC, FACTUAL, LANGUAGES  # the paper's languages (English first) and tasks
from xlfact.tasks.clika.data import TRANSLATION_LANGUAGES
from xlfact.tasks.config_writer import group_yaml, header, write_configs
from xlfact.tasks.config_writer import task_yaml as _task_yaml

BENCH = "clika"
HERE = Path(__file__).resolve().parent
HEADER = header(BENCH)
GROUP_METRICS = ("acc", "ra")
# suffix of the task name -> (template, what it is)
PROTOCOLS = {"": "_clika_template_yaml", "_gen": "_clika_gen_template_yaml"}


def mc_task_name(task: str, lang: str, suffix: str = "") -> str:
    return f"clika_{task}{suffix}_{lang}"


def task_yaml(name: str, template: str, lang: str, task: str | None = None) -> str:
    kwargs = {"xlfact_clika_task": task} if task is not None else {}
    return _task_yaml(BENCH, template, name, {**kwargs, "xlfact_lang": lang})


def expected_files() -> dict[str, str]:
    files: dict[str, str] = {}
    for suffix, template in PROTOCOLS.items():
        for task in (*BASIC, *FACTUAL):
            for lang in LANGUAGES:
                name = mc_task_name(task, lang, suffix)
                files[f"{name}.yaml"] = task_yaml(name, template, lang, task)
        basic = [mc_task_name(t, lang, suffix) for t in BASIC for lang in LANGUAGES]
        factual = [mc_task_name(t, lang, suffix) for t in FACTUAL for lang in LANGUAGES]
        files[f"_clika_basic{suffix}.yaml"] = group_yaml(BENCH, f"clika_basic{suffix}", basic, GROUP_METRICS)
        files[f"_clika_factual{suffix}.yaml"] = group_yaml(BENCH, f"clika_factual{suffix}", factual, GROUP_METRICS)
        files[f"_clika_all{suffix}.yaml"] = group_yaml(BENCH,
            f"clika_all{suffix}", [f"clika_basic{suffix}", f"clika_factual{suffix}"], GROUP_METRICS
        )
    for lang in LANGUAGES:
        files[f"clika_fictional_{lang}.yaml"] = task_yaml(f"clika_fictional_{lang}", "_clika_fictional_template_yaml",
                                                          lang)
    for lang in TRANSLATION_LANGUAGES:
        files[f"clika_translate_{lang}.yaml"] = task_yaml(f"clika_translate_{lang}", "_clika_translate_template_yaml",
                                                          lang)
    files["_clika_fictional.yaml"] = group_yaml(BENCH,
        "clika_fictional", [f"clika_fictional_{lang}" for lang in LANGUAGES], ("acc", "acc_type0", "acc_type1")
    )
    files["_clika_translate.yaml"] = group_yaml(BENCH,
        "clika_translate", [f"clika_translate_{lang}" for lang in TRANSLATION_LANGUAGES], ("acc",)
    )
    return files


def main() -> int:
    return write_configs(HERE, BENCH, expected_files())


if __name__ == "__main__":
    sys.exit(main())
