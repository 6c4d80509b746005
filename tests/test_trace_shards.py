"""``xlfact trace --shard K/N`` and ``xlfact trace summarize``: a trace fanned out over concurrent processes sharing
one ``--output_path`` gives the same table as one unsharded run.

Equality is byte for byte: ``trace.csv`` and ``first_learned.csv`` of the sharded trace (written by the last shard,
and again by ``xlfact trace summarize``) are the unsharded run's files exactly (rows in the same order, the same
bootstrap CIs: each checkpoint's resampling is seeded independently of which process evaluated it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xlfact.analysis.tracing.shards import Shard, checkpoint_lock, parse_shard, try_lock
from xlfact.cli import main as xlfact
from xlfact.errors import UsageError

STEPS = (0, 30, 80, 160)


# ------------------------------------------------------------------------------------------------ fast: the dealing
def test_shards_deal_round_robin_in_plan_order():
    plan = [f"c{i}" for i in range(7)]
    shares = [Shard(k, 3).deal(plan) for k in range(3)]
    assert shares == [["c0", "c3", "c6"], ["c1", "c4"], ["c2", "c5"]]
    assert sorted(sum(shares, [])) == sorted(plan)
    assert Shard(4, 5).deal(["a", "b"]) == []  # more shards than checkpoints: the extra ones have nothing to do


def test_parse_shard_explicit_and_from_slurm():
    assert parse_shard("1/4", {}) == Shard(1, 4)
    assert parse_shard("auto/4", {"SLURM_ARRAY_TASK_ID": "3"}) == Shard(3, 4)
    assert parse_shard("auto/4", {"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1"}) == Shard(3, 4)
    for text, env, message in [("4/4", {}, "0 <= K < 4"), ("1-4", {}, "expected K/N"), ("0/0", {}, "at least 1"),
                               ("auto/2", {}, "SLURM_ARRAY_TASK_ID is None"),
                               ("auto/2", {"SLURM_ARRAY_TASK_ID": "2"}, "0 <= K < 2")]:
        with pytest.raises(UsageError, match=message):
            parse_shard(text, env)


def test_bad_shard_is_one_line_exit_2_before_any_work(tmp_path, capsys):
    argv = ["trace", "--checkpoints", str(tmp_path / "missing"), "--tasks", "polyfact_en", "--output_path",
            str(tmp_path / "out"), "--shard", "2/2"]
    assert xlfact(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--shard '2/2'" in err
    assert not (tmp_path / "out").exists()


def test_checkpoint_lock_excludes_a_second_holder(tmp_path):
    first, second = checkpoint_lock(tmp_path, "step1"), checkpoint_lock(tmp_path, "step1")
    assert try_lock(first)
    try:
        assert not try_lock(second)  # flock: a second open file description is refused, even in one process
    finally:
        first.release()
    assert try_lock(second)
    second.release()


def test_summarize_without_finished_checkpoints_is_exit_2(tmp_path, capsys):
    (tmp_path / "checkpoints" / "step1.partial").mkdir(parents=True)
    assert xlfact(["trace", "summarize", str(tmp_path)]) == 2
    assert "no finished checkpoint yet" in capsys.readouterr().err
    assert xlfact(["trace", "summarize", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err


# --------------------------------------------------------------------------- slow: two concurrent shards vs one run
def four_checkpoints(root: Path, data_dir: Path) -> list[Path]:
    """A tiny Llama trained on the fixture facts ("Question: q\\nAnswer: a"), saved at STEPS."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from xlfact.training.tiny_models import build_tiny_llama

    rows = [json.loads(x) for f in sorted(data_dir.glob("*/test.jsonl")) for x in f.read_text().splitlines()]
    texts = [f"Question: {r['question']}\nAnswer: {r['answer_text']}" for r in rows]
    base = build_tiny_llama(root / "base", texts + [r[f"option_{c}"] for r in rows for c in "abcd"], seed=0)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base)
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    saved = []
    for step in range(STEPS[-1] + 1):
        if step in STEPS:
            folder = root / "run" / f"checkpoint-{step}"
            model.save_pretrained(folder)
            tokenizer.save_pretrained(folder)
            saved.append(folder)
        model(**batch, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return saved


@pytest.mark.slow
def test_two_concurrent_shards_equal_one_unsharded_run(tmp_path, polyfact_fixture_dir):
    checkpoints = four_checkpoints(tmp_path, polyfact_fixture_dir)
    common = ["trace", "--checkpoints", str(tmp_path / "run"), "--model_args", "dtype=float32",
              "--tasks", "polyfact_en,polyfact_de", "--metadata", json.dumps({"data_dir": str(polyfact_fixture_dir)}),
              "--batch_size", "16", "--device", "cpu", "--bootstrap", "50"]
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    assert xlfact([*common, "--output_path", str(whole)]) == 0

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, "-m", "xlfact.cli", *common, "--output_path", str(sharded),
                               "--shard", f"{k}/2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for k in range(2)]
    outputs = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outputs]
    # each shard evaluated exactly its dealt checkpoints (0, 2 and 1, 3), never the other's
    for k, (_, err) in enumerate(outputs):
        evaluated = [line.split(":")[0] for line in err.splitlines() if ": evaluating " in line]
        assert evaluated == [c.name for c in checkpoints[k::2]], err[-2000:]
    assert any("traced 4 checkpoints" in out for out, _ in outputs)  # the last shard wrote the summary
    assert not list((sharded / "checkpoints").glob("*.partial"))

    for name in ("trace.csv", "first_learned.csv"):
        assert (sharded / name).read_bytes() == (whole / name).read_bytes(), name
        (sharded / name).unlink()
    assert xlfact(["trace", "summarize", str(sharded), "--bootstrap", "50"]) == 0
    for name in ("trace.csv", "first_learned.csv"):
        assert (sharded / name).read_bytes() == (whole / name).read_bytes(), name
    assert (sharded / "trace_polyfact.png").read_bytes()[:4] == b"\x89PNG"
    summary = json.loads((sharded / "trace.json").read_text())
    assert [c["label"] for c in summary["checkpoints"]] == [f"checkpoint-{s}" for s in STEPS]
    unsharded = json.loads((whole / "trace.json").read_text())["checkpoints"]
    assert [{k: c[k] for k in ("label", "source", "step")} for c in summary["checkpoints"]] == [
        {k: c[k] for k in ("label", "source", "step")} for c in unsharded]
    assert all(Path(c["results"]).is_file() and Path(c["results"]).is_relative_to(sharded)
               for c in summary["checkpoints"])
