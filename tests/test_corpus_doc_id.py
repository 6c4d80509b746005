"""One doc_id rule for corpus JSON Lines (core/documents.py), so one file serves AdaXEval and CPT alike: consecutive
rows that share a doc_id are one document; a doc_id that comes back after another document is refused by both."""

from __future__ import annotations

import json

import pytest

from xlfact.builders.adaxeval.corpus import BuildError, read_corpus
from xlfact.training.config import RecipeError
from xlfact.training.corpus import read_source
from xlfact.training.parallel_sources import ted_rows


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_consecutive_rows_are_one_document_in_both_readers(tmp_path):
    corpus = _write(tmp_path / "c.jsonl", [
        {"doc_id": "d1", "lang": "en", "text": "Ada was born in Paris.", "pair_id": "p1"},
        {"doc_id": "d1", "lang": "en", "text": "She lived in Rome.", "pair_id": "p1"},
        {"doc_id": "d2", "lang": "ja", "text": "エイダはパリで生まれた。", "pair_id": "p1"},
    ])
    docs = read_corpus(corpus)
    assert [(d.doc_id, d.text) for d in docs] == [("d1", "Ada was born in Paris.\nShe lived in Rome."),
                                                  ("d2", "エイダはパリで生まれた。")]
    source = read_source({"path": str(corpus)})
    assert [u.doc_id for u in source.units] == ["d1", "d1", "d2"]  # packed together: adjacent, same document


def test_a_doc_id_that_comes_back_is_refused_by_both(tmp_path):
    corpus = _write(tmp_path / "c.jsonl", [
        {"doc_id": "d1", "lang": "en", "text": "one"},
        {"doc_id": "d2", "lang": "en", "text": "two"},
        {"doc_id": "d1", "lang": "en", "text": "three"},
    ])
    for reader, error in ((read_corpus, BuildError), (lambda p: read_source({"path": str(p)}), RecipeError)):
        with pytest.raises(error, match=r"c\.jsonl line 3 \(doc d1\): doc_id comes back after other documents"):
            reader(corpus)


def test_adaxeval_refuses_a_language_change_inside_a_document(tmp_path):
    corpus = _write(tmp_path / "c.jsonl", [{"doc_id": "d1", "lang": "en", "text": "one"},
                                           {"doc_id": "d1", "lang": "ja", "text": "二"}])
    with pytest.raises(BuildError, match=r"line 2 \(doc d1\): lang or pair_id differs"):
        read_corpus(corpus)


def test_build_corpus_names_each_run_of_an_interleaved_talk(tmp_path):
    ted = _write(tmp_path / "ted.jsonl", [
        {"talk_id": "t1", "para_data": {"en": "a", "ja": "あ"}},
        {"talk_id": "t2", "para_data": {"en": "b", "ja": "い"}},
        {"talk_id": "t1", "para_data": {"en": "c", "ja": "う"}},
        {"talk_id": "t1", "para_data": {"en": "d", "ja": "え"}},
    ])
    rows = list(ted_rows(ted))
    assert [r["doc_id"] for r in rows] == ["ted:t1", "ted:t2", "ted:t1#2", "ted:t1#2"]
    out = _write(tmp_path / "parallel.jsonl", rows)
    assert [u.doc_id for u in read_source({"path": str(out)}).units] == ["ted:t1", "ted:t2", "ted:t1#2", "ted:t1#2"]
