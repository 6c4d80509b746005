"""JSON Lines files users hand in are read by the one reader (:func:`xlfact.core.jsonl.read_jsonl`): blank lines
skipped, a truncated line one error naming the file and line."""

from __future__ import annotations

import json

import pytest

from xlfact.errors import DataError
from xlfact.training.synthetic import tokenizer_texts


def _row(q: str) -> str:
    return json.dumps({"question": q, "answer_text": "a", "option_a": "a", "option_b": "b", "option_c": "c",
                       "option_d": "d"})


def test_tokenizer_texts_skip_blank_lines_and_name_a_truncated_line(tmp_path):
    (tmp_path / "en").mkdir()
    data = tmp_path / "en" / "test.jsonl"
    data.write_text(_row("Q1?") + "\n\n" + _row("Q2?") + "\n", encoding="utf-8")
    texts = tokenizer_texts(tmp_path)
    assert texts[0] == "Question: Q1?\nAnswer: a" and texts[5] == "Question: Q2?\nAnswer: a" and len(texts) == 10
    data.write_text(_row("Q1?") + "\n" + _row("Q2?")[:20] + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"en/test\.jsonl row 2: not valid JSON"):
        tokenizer_texts(tmp_path)


def test_a_truncated_logit_lens_cache_is_one_error_naming_its_line(tmp_path, monkeypatch):
    from argparse import Namespace

    from xlfact.analysis.mechanistic import cli, common, sources
    from xlfact.analysis.mechanistic.common import AnalysisInputError

    items = [{"id": "x1"}, {"id": "x2"}]
    monkeypatch.setattr(sources, "read_lens_jsonl", lambda path: items)
    monkeypatch.setattr(common, "load_model", lambda *a: (None, None))
    args = Namespace(items="items.jsonl", limit=None, out=str(tmp_path), model="m", device="cpu", dtype="float32",
                     final_norm=True, batch_size=1, no_progress=True, plot_items=0)
    cache = tmp_path / "cache" / f"lens-{cli._fingerprint('m', 'float32', True, items)}.jsonl"
    cache.parent.mkdir()
    cache.write_text(json.dumps({"position": 0, "result": {}}) + "\n" + '{"position": 1, "res' + "\n")
    with pytest.raises(AnalysisInputError, match=r"lens-.*\.jsonl line 2: not valid JSON"):
        cli.cmd_lens(args)
