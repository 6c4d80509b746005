"""PolyFact's generated task YAMLs are current, and they, the loader and the LightEval module follow the one spec."""

from __future__ import annotations

import re

import yaml

from xlfact.tasks.config_writer import stale_files
from xlfact.tasks.polyfact import generate_configs, spec


def test_generated_files_are_current():
    for name, text in generate_configs.expected_files().items():
        assert (generate_configs.HERE / name).read_text(encoding="utf-8") == text, name
    assert stale_files(generate_configs.HERE, generate_configs.BENCH, generate_configs.expected_files()) == []


def test_groups_follow_the_spec():
    def tasks_of(group: str) -> list[str]:
        data = yaml.safe_load((generate_configs.HERE / f"_{group}.yaml").read_text(encoding="utf-8"))
        return data["task"]

    assert tasks_of("polyfact_all") == [f"polyfact_{lang}" for lang in spec.LANGUAGES]
    assert tasks_of("polyfact_low") == [f"polyfact_{lang}" for lang in spec.LOW_RESOURCE]
    assert tasks_of("polyfact_high") == [f"polyfact_{lang}" for lang in spec.HIGH_RESOURCE]
    assert set(spec.HIGH_RESOURCE) | set(spec.LOW_RESOURCE) == set(spec.LANGUAGES)


def test_template_prompt_is_the_spec_prompt():
    template = (generate_configs.HERE / "_polyfact_template_yaml").read_text(encoding="utf-8")
    doc_to_text = re.search(r'^doc_to_text: "(.*)"$', template, re.M)[1].replace("\\n", "\n")
    assert doc_to_text.replace("{{question}}", "{question}") == spec.PROMPT
    assert re.search(r'^target_delimiter: "(.*)"$', template, re.M)[1] == spec.TARGET_DELIMITER
