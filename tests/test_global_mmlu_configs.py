"""Global-MMLU groups: generated files, the built-in tasks they name, data validation, the samples adapter."""

from __future__ import annotations

import json
import re

import pytest

from xlfact.core.records import record_of
from xlfact.tasks.global_mmlu import generate_configs
from xlfact.tasks.global_mmlu.builtin import (
    BuiltinTaskMissing,
    builtin_dataset,
    builtin_folder,
    lm_eval_version,
    require_builtin,
)
from xlfact.tasks.global_mmlu.data import (
    LANGUAGES,
    LITE_LANGUAGES,
    GlobalMMLUDataError,
    load_global_mmlu,
)
from xlfact.tasks.global_mmlu.samples import GlobalMMLUSampleError, parse_task, sample_record
from xlfact.tasks.registry import record_adapters


def test_generated_files_are_current():
    for name, text in generate_configs.expected_files().items():
        path = generate_configs.HERE / name
        assert path.exists(), f"{name} missing: run python tasks/global_mmlu/generate_configs.py"
        assert path.read_text(encoding="utf-8") == text, f"{name} is stale: run tasks/global_mmlu/generate_configs.py"
    on_disk = {p.name for p in generate_configs.HERE.glob("*xlfact_global_mmlu*.yaml")}
    assert on_disk == set(generate_configs.expected_files()), "stray group YAMLs"


def test_installed_lm_eval_ships_every_builtin_group_we_name():
    require_builtin("full", LANGUAGES)
    require_builtin("lite", LITE_LANGUAGES)
    with pytest.raises(BuiltinTaskMissing):
        require_builtin("lite", ["ru"])  # Global-MMLU-Lite has no Russian, so neither do we


def test_hub_dataset_is_the_one_the_builtin_template_names():
    """The data hook reads the very dataset the built-in YAML names (which differs between Lite languages)."""
    for variant, folder in (("full", "full"), ("lite", "default")):
        for lang in LANGUAGES if variant == "full" else LITE_LANGUAGES:
            template = (builtin_folder() / folder / lang / f"_{lang}_template_yaml").read_text(encoding="utf-8")
            expected = (re.search(r"^dataset_path:\s*(\S+)", template, re.M)[1],
                        re.search(r"^dataset_name:\s*(\S+)", template, re.M)[1])
            assert builtin_dataset(variant, lang) == expected, (variant, lang)
    assert builtin_dataset("full", "sw") == ("CohereForAI/Global-MMLU", "sw")


def test_missing_builtin_task_fails_naming_lm_eval_version(tmp_path):
    """A group over a built-in name the installed lm-eval lacks fails in the data hook with the version."""
    from pathlib import Path

    import lm_eval
    from lm_eval.tasks import TaskManager

    (tmp_path / "utils.py").write_text("from xlfact.tasks.global_mmlu.utils import load_dataset  # noqa: F401\n")
    (tmp_path / "g.yaml").write_text(generate_configs.language_yaml("full", "xx").replace(
        "xlfact_global_mmlu_xx", "probe_global_mmlu_xx"))
    manager = TaskManager(include_path=[str(tmp_path), str(Path(lm_eval.__file__).parent / "tasks" / "global_mmlu")],
                          include_defaults=False)
    with pytest.raises(BuiltinTaskMissing, match=rf"lm-eval {re.escape(lm_eval_version())} .*global_mmlu_full_xx"):
        manager.load(["probe_global_mmlu_xx"])


def _row(**overrides):
    row = {"sample_id": "anatomy/test/0", "subject": "anatomy", "subject_category": "Medical", "question": "Q?",
           "option_a": "a", "option_b": "b", "option_c": "c", "option_d": "d", "answer": "B"}
    row.update(overrides)
    return row


def test_local_copy_is_validated_with_file_row_and_field(tmp_path):
    (tmp_path / "de").mkdir()
    rows = [_row(), _row(sample_id="anatomy/test/1", answer="E")]
    (tmp_path / "de" / "test.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(GlobalMMLUDataError, match=r"de/test\.jsonl row 2 \(item anatomy/test/1\): answer is 'E'"):
        load_global_mmlu("full", "de", tmp_path)
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "test.jsonl").write_text(json.dumps(_row(option_c="")) + "\n")
    with pytest.raises(GlobalMMLUDataError, match=r"fr/test\.jsonl row 1 .*'option_c' is missing or empty"):
        load_global_mmlu("full", "fr", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"hub layout DIR/<lang>/test"):
        load_global_mmlu("full", "ja", tmp_path)


def test_offline_hub_load_says_how_to_use_a_local_copy(monkeypatch):
    monkeypatch.delenv("XLFACT_GLOBAL_MMLU_LITE_DIR", raising=False)
    with pytest.raises(RuntimeError, match=r"Global-MMLU-Lite \(config 'sw'\).*global_mmlu_lite_dir=DIR"):
        load_global_mmlu("lite", "sw", hub=builtin_dataset("lite", "sw"))


def _logged(task="global_mmlu_full_de_anatomy", target="C", scores=("-3.0", "-2.5", "-1.0", "-4.0"), acc=1.0):
    return {
        "doc_id": 3, "doc": {"sample_id": "anatomy/test/7"}, "target": target,
        "arguments": {f"gen_args_{i}": {"arg_0": "Q?\nAnswer:", "arg_1": f" {x}"} for i, x in enumerate("ABCD")},
        "filtered_resps": [[s, "False"] for s in scores], "acc": acc,
    }


def test_adapter_builds_records_from_builtin_samples():
    assert sample_record in record_adapters()  # the benchmark registry hands the run reader this adapter
    assert parse_task("global_mmlu_full_pt_high_school_government_and_politics") == ("global_mmlu", "pt")
    assert parse_task("global_mmlu_sw_social_sciences") == ("global_mmlu_lite", "sw")
    assert parse_task("polyfact_de") is None and parse_task("mmlu_anatomy") is None
    record = record_of("global_mmlu_full_de_anatomy", _logged(), adapters=record_adapters())
    assert record == {"benchmark": "global_mmlu", "item": "anatomy/test/7", "lang": "de", "correct": True,
                      "scores": [-3.0, -2.5, -1.0, -4.0], "pred": 2, "gold": 2}
    in_memory = _logged(task="global_mmlu_ja_stem", target="A", acc=0.0)
    in_memory["arguments"] = [["Q?\nAnswer:", f" {x}"] for x in "ABCD"]
    assert sample_record("global_mmlu_ja_stem", in_memory)["gold"] == 0
    assert sample_record("hellaswag", _logged()) is None


def test_adapter_rejects_inconsistent_samples():
    with pytest.raises(GlobalMMLUSampleError, match=r"global_mmlu_full_de_anatomy doc_id 3: logged acc 0.0 disagrees"):
        sample_record("global_mmlu_full_de_anatomy", _logged(acc=0.0))
    broken = _logged()
    del broken["doc"]["sample_id"]
    with pytest.raises(GlobalMMLUSampleError, match=r"doc\.sample_id is missing"):
        sample_record("global_mmlu_full_de_anatomy", broken)
    with pytest.raises(GlobalMMLUSampleError, match=r"target 'E' is not one of the options"):
        sample_record("global_mmlu_full_de_anatomy", _logged(target="E"))
