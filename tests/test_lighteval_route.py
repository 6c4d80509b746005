"""The LightEval route's defaults, checked without a model: lm-eval's plain prompt (no chat template) unless the
model arguments ask for it, and ``--max-samples N`` = the first N documents in file order (lm-eval's ``--limit N``)."""

from __future__ import annotations

import pytest

pytest.importorskip("lighteval")


@pytest.fixture()
def module(monkeypatch, bundled_polyfact_dir):
    monkeypatch.setenv("XLFACT_DATA_DIR", str(bundled_polyfact_dir))
    import xlfact.tasks.lighteval_tasks as module

    return module


def test_entry_point_turns_the_chat_template_off_unless_asked(module, tmp_path, capsys):
    argv = ["accelerate", "model_name=/m/smol,dtype=float32", "polyfact|0", "--max-samples", "20"]
    assert module.model_args_without_chat_template(argv)[1] == \
        "model_name=/m/smol,dtype=float32,override_chat_template=False"
    asked = ["accelerate", "model_name=/m/smol,override_chat_template=True", "polyfact|0"]
    assert module.model_args_without_chat_template(asked) == asked
    assert module.model_args_without_chat_template(["tasks", "list"]) == ["tasks", "list"]
    config = tmp_path / "model.yaml"
    config.write_text("model_parameters:\n  model_name: /m/smol\n")
    assert module.model_args_without_chat_template(["accelerate", str(config), "polyfact|0"])[1] == str(config)
    assert "override_chat_template" in capsys.readouterr().err
    # the tokenizer for the per-token rule is still read from the amended argument
    assert module.tokenizer_from_model_args(module.model_args_without_chat_template(argv)) == "/m/smol"


def test_max_samples_takes_the_first_documents_in_file_order(module, bundled_polyfact_dir):
    import json

    from lighteval.tasks.lighteval_task import LightevalTask

    config = next(c for c in module.TASKS_TABLE if c.name == "polyfact:fr")  # reading TASKS_TABLE installs the hooks
    rows = [json.loads(line) for line in (bundled_polyfact_dir / "fr" / "test.jsonl").read_text().splitlines()]
    task = LightevalTask(config)
    docs = task.get_docs(7)
    assert [doc.id for doc in docs] == [str(i) for i in range(7)]
    assert [doc.specific["item"] for doc in docs] == [row["fact_id"] for row in rows[:7]]
    assert [doc.id for doc in LightevalTask(config).get_docs(None)] == [str(i) for i in range(len(rows))]


def test_other_tasks_keep_lightevals_own_order(module, bundled_polyfact_dir):
    """The order hook touches only xlfact's tasks: a plain LightEval config still gets LightEval's seeded shuffle."""
    from dataclasses import fields

    from lighteval.tasks.lighteval_task import LightevalTask, LightevalTaskConfig

    config = next(c for c in module.TASKS_TABLE if c.name == "polyfact:fr")
    plain = LightevalTaskConfig(**{f.name: getattr(config, f.name) for f in fields(LightevalTaskConfig) if f.init})
    ids = [doc.id for doc in LightevalTask(plain).get_docs(7)]
    assert len(ids) == 7 and ids != [str(i) for i in range(7)]


def test_lighteval_logging_setup_leaves_xlfacts_warnings_on(module):
    """LightEval's CLI module runs ``dictConfig`` (disable_existing_loggers=True) when imported, which sets
    ``disabled`` on every logger made before it: the entry point turns xlfact's back on, so a loader's warnings still
    reach the user (and later tests' caplog)."""
    import logging

    import lighteval.__main__  # noqa: F401 - the import is what disables loggers (once per process)

    logger = logging.getLogger("xlfact.tasks.polyfact.data")
    other = logging.getLogger("xlfact_unrelated_name")
    logger.disabled = other.disabled = True  # what dictConfig does to existing loggers
    module.enable_xlfact_loggers()
    assert not logger.disabled and other.disabled
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        logger.warning("skipped 1 invalid rows")
    finally:
        logger.removeHandler(handler)
        other.disabled = False
    assert [r.getMessage() for r in records] == ["skipped 1 invalid rows"]
