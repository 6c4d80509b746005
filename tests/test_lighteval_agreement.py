"""LightEval and lm-eval agree item by item on PolyFact (per-token rule), offline, on the tiny model.

Both harnesses run the bundled PolyFact sample (12 languages) on the same tiny Llama; xlfact's LightEval module uses the
same prompt, row validation, gold rule and per-token scorer as the lm-eval tasks. Per-language accuracy must agree to
1e-6 and every (fact, language) must get the same verdict; the per-token option scores agree to float32 noise.
"""

from __future__ import annotations

import importlib
import re

import pytest

pytest.importorskip("lighteval")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lighteval_module(bundled_polyfact_dir):
    mp = pytest.MonkeyPatch()
    mp.setenv("XLFACT_DATA_DIR", str(bundled_polyfact_dir))
    import xlfact.tasks.lighteval_tasks as module
    from xlfact.tasks.lighteval_compat import apply

    apply()  # this test starts LightEval itself, as `python -m xlfact.tasks.lighteval_tasks` would

    module = importlib.reload(module)  # TASKS_TABLE reads the data location at import
    yield module
    mp.undo()
    importlib.reload(module)


def run_lighteval(module, model_dir, tasks: str, out_dir, max_samples: int | None = None, **model_kwargs):
    from lighteval.logging.evaluation_tracker import EvaluationTracker
    from lighteval.models.transformers.transformers_model import TransformersModelConfig
    from lighteval.pipeline import ParallelismManager, Pipeline, PipelineParameters

    tracker = EvaluationTracker(output_dir=str(out_dir), save_details=False)
    params = PipelineParameters(launcher_type=ParallelismManager.NONE, custom_tasks_directory=module,
                                max_samples=max_samples)
    config = TransformersModelConfig(model_name=str(model_dir), dtype="float32", batch_size=32, device="cpu",
                                     **model_kwargs)
    pipeline = Pipeline(tasks=tasks, pipeline_parameters=params, evaluation_tracker=tracker, model_config=config)
    pipeline.evaluate()
    return pipeline


def test_lighteval_matches_lm_eval_item_by_item(lighteval_module, tiny_model_dir, bundled_polyfact_dir, tmp_path,
                                                monkeypatch):
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.tasks import TaskManager

    from xlfact.tasks import tasks_dir
    from xlfact.tasks.polyfact.data import LANGUAGES

    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False,
                          metadata={"data_dir": str(bundled_polyfact_dir), "pretrained": str(tiny_model_dir)})
    lm = simple_evaluate(model="hf", model_args=f"pretrained={tiny_model_dir},dtype=float32", tasks=["polyfact_all"],
                         task_manager=manager, log_samples=True, batch_size=32, device="cpu")
    lm_records = {(s["total_consistency"]["item"], s["total_consistency"]["lang"]): s["total_consistency"]
                  for task, samples in lm["samples"].items() for s in samples}

    # what `python -m xlfact.tasks.lighteval_tasks` sets from model_name
    monkeypatch.setenv(lighteval_module.TOKENIZER_ENV, str(tiny_model_dir))
    pipeline = run_lighteval(lighteval_module, tiny_model_dir, "polyfact|0", tmp_path)
    details = pipeline.evaluation_tracker.details_logger.details
    le_records = {(r["item"], r["lang"]): r for r in lighteval_module.records_from_details(details)}
    results = pipeline.get_results()["results"]

    assert set(le_records) == set(lm_records) and len(lm_records) == 12 * 50
    for key, ours in le_records.items():
        theirs = lm_records[key]
        assert ours["correct"] == theirs["correct"], key
        assert ours["token_counts"] == theirs["token_counts"], key
        assert ours["scores"] == pytest.approx(theirs["scores"], abs=1e-4), key
    for lang in LANGUAGES:
        le_acc = results[f"polyfact:{lang}:0"]["acc"]
        lm_acc = lm["results"][f"polyfact_{lang}"]["acc,none"]
        assert abs(le_acc - lm_acc) <= 1e-6, (lang, le_acc, lm_acc)
        for metric in ("acc_sum", "acc_norm", "acc_bytes"):
            assert abs(results[f"polyfact:{lang}:0"][metric] - lm["results"][f"polyfact_{lang}"][f"{metric},none"]) \
                <= 1e-6, (lang, metric)


def test_task_table_and_prompts(lighteval_module):
    from xlfact.tasks.polyfact import generate_configs

    names = {config.name for config in lighteval_module.TASKS_TABLE}
    assert {"polyfact:en", "polyfact_clean:bn", "xlfact_global_mmlu:ru", "xlfact_global_mmlu_lite:sw"} <= names
    assert "xlfact_global_mmlu_lite:ru" not in names
    template = (generate_configs.HERE / "_polyfact_template_yaml").read_text(encoding="utf-8")
    doc_to_text = re.search(r'^doc_to_text: "(.*)"$', template, re.M)[1].replace("\\n", "\n")
    assert lighteval_module.POLYFACT_PROMPT == doc_to_text.replace("{{question}}", "{question}")


def test_scored_token_counts_ignore_padding():
    import torch

    from xlfact.tasks.lighteval_tasks import scored_token_counts

    padded = torch.tensor([[5, 6, -1], [7, -1, -1], [8, 9, 10]])
    assert scored_token_counts(padded, 3) == [2, 1, 3]
    with pytest.raises(ValueError, match="output_tokens"):
        scored_token_counts(None, 4)


def test_smollm2_agrees_with_lm_eval(lighteval_module, bundled_polyfact_dir, tmp_path, monkeypatch):
    """The README's command on the embedded model. Before: "got 3 rows for 4 options" (LightEval's gather path drops
    continuation rows when every option of a document is shorter than 4 tokens, which SmolLM2's tokenizer makes
    common); the tiny test tokenizer hid it by making every option long. lm-eval scores the 50 English facts, LightEval
    the 8 its --max_samples draws; those 8 must agree item by item."""
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.tasks import TaskManager

    from xlfact.cli.demo import ensure_default_model
    from xlfact.tasks import tasks_dir

    model_dir = ensure_default_model()
    n = 8
    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False,
                          metadata={"data_dir": str(bundled_polyfact_dir), "pretrained": str(model_dir)})
    lm = simple_evaluate(model="hf", model_args=f"pretrained={model_dir},dtype=float32", tasks=["polyfact_en"],
                         task_manager=manager, log_samples=True, batch_size=8, device="cpu")
    lm_records = {s["total_consistency"]["item"]: s["total_consistency"] for s in lm["samples"]["polyfact_en"]}
    monkeypatch.setenv(lighteval_module.TOKENIZER_ENV, str(model_dir))
    pipeline = run_lighteval(lighteval_module, model_dir, "polyfact:en|0", tmp_path, max_samples=n,
                             override_chat_template=False)
    details = pipeline.evaluation_tracker.details_logger.details
    le_records = {r["item"]: r for r in lighteval_module.records_from_details(details)}
    assert set(le_records) <= set(lm_records) and len(le_records) == n
    assert any(max(r["token_counts"]) < 4 for r in le_records.values())  # the case that failed before
    for item, ours in le_records.items():
        theirs = lm_records[item]
        assert ours["token_counts"] == theirs["token_counts"], item
        assert ours["correct"] == theirs["correct"], item
        assert ours["scores"] == pytest.approx(theirs["scores"], abs=1e-3), item


def test_importing_the_module_patches_nothing():
    """LightEval's fixes are applied by the entry point that starts LightEval, not by importing xlfact modules."""
    import subprocess
    import sys

    code = ("import xlfact.tasks.lighteval_tasks, sys, lighteval.logging.info_loggers as il; "
            "from xlfact.tasks import lighteval_compat as c; "
            "assert not c._APPLIED and type(il.xxhash).__name__ == 'module', il.xxhash; "
            "assert 'lighteval.tasks.tasks.tiny_benchmarks' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)


def test_entry_point_names_the_tokenizer_from_the_model_arguments(lighteval_module):
    assert lighteval_module.tokenizer_from_model_args(["accelerate", "model_name=/m/smol,dtype=float32", "x|0"]) \
        == "/m/smol"
    assert lighteval_module.tokenizer_from_model_args(["accelerate", "model_name=a,tokenizer=/t"]) == "/t"
    assert lighteval_module.tokenizer_from_model_args(["accelerate", "config.yaml"]) is None
