"""CPT corpora without training: the paper's packing rule on a hand-made talk, the language-balanced validation split,
source formats (plain text, monolingual/bilingual JSON lines, parallel rows), weights of a data mix, and errors."""

from __future__ import annotations

import json

import pytest

from xlfact.training.config import RecipeError
from xlfact.training.corpus import (
    apply_weight,
    balanced_validation_split,
    build_mix,
    pack_source,
    read_source,
)


class CharTokenizer:
    """One token per character (id = code point), EOS = 0: token counts a reader can check by hand."""

    eos_token_id = 0

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict:
        return {"input_ids": [ord(c) for c in text]}


def decode(ids: list[int]) -> str:
    return "".join("|" if i == 0 else chr(i) for i in ids)


def write_jsonl(path, rows) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def talk_rows():
    rows = [{"doc_id": "talk1", "texts": {"en": f"sentence {i} of talk one", "de": f"Satz {i} von Vortrag eins",
                                          "ru": f"фраза {i}"}} for i in range(6)]
    rows.insert(2, {"doc_id": "talk1", "texts": {"en": "only english here"}})  # one language: dropped (paper)
    rows.insert(4, {"doc_id": "talk1", "texts": {"en": "long " * 40, "de": "lang " * 40}})  # >= target alone
    rows += [{"doc_id": "talk2", "texts": {"en": f"second talk {i}", "ja": f"二番目の講演 {i}"}} for i in range(3)]
    return rows


def test_packing_keeps_rows_whole_within_a_talk(tmp_path):
    source = read_source({"path": write_jsonl(tmp_path / "ted.jsonl", talk_rows())})
    assert source.dropped_rows == 1 and len(source.units) == 10
    target, max_tokens = 120, 300
    chunks = pack_source(source, CharTokenizer(), target, max_tokens, seed=0)
    texts = [decode(c["input_ids"]) for c in chunks]
    segments = [seg for text in texts for seg in text.split("|") if seg]
    # every kept row is one segment (all its languages, each once) and appears whole in exactly one chunk, in order
    assert len(segments) == 10
    for seg, unit in zip(segments, source.units):
        assert sorted(line.split(": ")[0] for line in seg.split("\n")) == sorted(unit.texts)
        if "long" not in seg:
            assert sum(seg in text for text in texts) == 1
    assert all(text.endswith("|") for text in texts if "long" not in text)  # chunks end on a row boundary (EOS)
    long_chunks = [c for c in chunks if "long" in decode(c["input_ids"])]
    assert len(long_chunks) == 1 and len(long_chunks[0]["input_ids"]) == max_tokens  # alone, truncated at max
    assert "Satz" not in decode(long_chunks[0]["input_ids"])
    for a, b in zip(chunks, chunks[1:]):
        assert len(a["input_ids"]) <= max_tokens
        if a["doc_id"] == b["doc_id"] and a is not long_chunks[0] and b is not long_chunks[0]:
            first_of_b = decode(b["input_ids"]).split("|")[0] + "|"
            assert len(a["input_ids"]) + len(first_of_b) > target  # greedy: the next row did not fit
    assert [c["doc_id"] for c in chunks] == sorted(c["doc_id"] for c in chunks)  # talks never mixed, in order
    assert {tuple(c["langs"]) for c in chunks if c["doc_id"] == "talk2"} == {("en", "ja")}
    assert chunks == pack_source(source, CharTokenizer(), target, max_tokens, seed=0)  # seeded language order


def test_monolingual_documents_are_cut_not_truncated(tmp_path):
    path = tmp_path / "ja.txt"
    path.write_text("第一の文書。" * 30 + "\n\n短い文書。\n\n\n最後の文書。\n", encoding="utf-8")
    source = read_source({"path": str(path), "lang": "ja"})
    assert [len(u.texts["ja"]) for u in source.units] == [180, 5, 6]
    chunks = pack_source(source, CharTokenizer(), 64, 128, seed=0)
    assert [len(c["input_ids"]) for c in chunks] == [64, 64, 53, 6, 7]  # 181 tokens cut into 64 + 64 + 53
    assert all(c["langs"] == ["ja"] for c in chunks)


def test_language_balanced_validation_split():
    chunks = [{"id": i, "langs": ["en", lang]} for i, lang in enumerate(["de"] * 300 + ["ja"] * 100 + ["sw"] * 4)]
    chunks += [{"id": 1000 + i, "langs": ["en"]} for i in range(200)]
    train, validation = balanced_validation_split(chunks, 0.02, seed=0)
    assert len(train) + len(validation) == len(chunks)
    assert {c["id"] for c in train}.isdisjoint(c["id"] for c in validation)
    per_lang = {lang: sum(1 for c in validation if lang in c["langs"] and len(c["langs"]) > 1)
                for lang in ("de", "ja", "sw")}
    # int(604 x 0.02) // 3 buckets = 4, capped at the smallest bucket minus one (sw: 4 - 1 = 3)
    assert per_lang == {"de": 3, "ja": 3, "sw": 3}
    assert sum(1 for c in validation if c["langs"] == ["en"]) == 4  # int(200 x 0.02)
    assert balanced_validation_split(chunks, 0.02, seed=0) == (train, validation)
    assert balanced_validation_split(chunks, 0.0, seed=0) == (chunks, [])


def test_weights_repeat_or_subsample():
    chunks = [{"id": i} for i in range(10)]
    assert apply_weight(chunks, 2.0, 0) == chunks + chunks
    half = apply_weight(chunks, 0.5, 0)
    assert len(half) == 5 and len({c["id"] for c in half}) == 5
    assert len(apply_weight(chunks, 1.3, 0)) == 13


def test_data_mix_of_monolingual_bilingual_and_parallel_sources(tmp_path):
    en = write_jsonl(tmp_path / "en.jsonl", [{"doc_id": f"e{i}", "lang": "en", "text": f"English doc {i}"}
                                             for i in range(10)])
    bilingual = write_jsonl(tmp_path / "both.jsonl",
                            [{"doc_id": f"b{i}", "lang": "en" if i % 2 else "ja", "text": f"doc {i} 文書"}
                             for i in range(8)])
    (tmp_path / "ja.txt").write_text("\n\n".join(f"日本語の文書 {i}" for i in range(6)), encoding="utf-8")
    pairs = write_jsonl(tmp_path / "pairs.jsonl", [{"doc_id": f"p{i}", "texts": {"en": f"pair {i}", "ja": f"対 {i}"}}
                                                   for i in range(12)])
    data = {"sources": [{"path": en, "weight": 2}, {"path": bilingual}, {"path": str(tmp_path / "ja.txt"),
                                                                         "lang": "ja"},
                        {"path": pairs, "weight": 0.5, "name": "pairs"}]}
    mix = build_mix(data, {"target_tokens": 1000, "max_tokens": 1000}, CharTokenizer(), seed=0)
    card = mix.describe()
    assert [s["name"] for s in card["sources"]] == ["en", "both", "ja", "pairs"]
    assert [s["train_chunks_after_weight"] for s in card["sources"]] == [20, 8, 6, 6]
    assert len(mix.train) == 40 and all(len(s["sha256"]) == 64 for s in card["sources"])
    assert card["train_chunks_per_language"] == {"en": 20 + 4 + 6, "ja": 4 + 6 + 6}
    ja_only = build_mix({"sources": data["sources"][1:], "languages": ["ja"], "min_languages": 1},
                        {"target_tokens": 1000, "max_tokens": 1000}, CharTokenizer(), seed=0)
    assert ja_only.describe()["train_chunks_per_language"] == {"ja": 4 + 6 + 6}  # pairs keep their ja side only
    with pytest.raises(RecipeError, match="en.jsonl"):
        build_mix({"sources": data["sources"], "languages": ["ja"], "min_languages": 1},
                  {"target_tokens": 1000, "max_tokens": 1000}, CharTokenizer(), 0)


def test_source_errors_name_file_line_and_field(tmp_path):
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"doc_id": "d1", "lang": "en", "text": "ok"},
                                               {"doc_id": "d2", "text": "no language"}])
    with pytest.raises(RecipeError, match=r"bad.jsonl line 2 \(doc d2\): field 'lang' is missing"):
        read_source({"path": bad})
    empty = write_jsonl(tmp_path / "empty.jsonl", [{"doc_id": "d1", "texts": {"en": "x", "de": " "}}])
    with pytest.raises(RecipeError, match=r"empty.jsonl line 1 \(doc d1\): field 'texts.de' is missing, empty"):
        read_source({"path": empty})
    (tmp_path / "plain.txt").write_text("text", encoding="utf-8")
    with pytest.raises(RecipeError, match="plain-text source needs lang"):
        read_source({"path": str(tmp_path / "plain.txt")})
    with pytest.raises(RecipeError, match=r"unknown key\(s\) \['wieght'\]"):
        read_source({"path": str(tmp_path / "plain.txt"), "wieght": 2})
    with pytest.raises(RecipeError, match="weight -1"):
        read_source({"path": str(tmp_path / "plain.txt"), "lang": "en", "weight": -1})
    with pytest.raises(RecipeError, match="not found"):
        read_source({"path": str(tmp_path / "missing.jsonl")})


def test_paper_sources_build_one_parallel_corpus(tmp_path):
    """TED2025 multi-way (local), Samanantar and Rogendo pairs through their local-file route, then the packing."""
    from xlfact.training.cli import main as train
    from xlfact.training.corpus import read_source

    ted = write_jsonl(tmp_path / "multi_way.jsonl", [
        {"talk_id": "t1", "para_data": {"en": "Hello.", "zh-cn": "你好。", "xx": "ignored"}},
        {"talk_id": "t1", "para_data": {"en": "Only English in this row."}},
        {"talk_id": "t2", "para_data": {"en": "A talk in English only."}},
    ])
    bn = write_jsonl(tmp_path / "samanantar.jsonl", [{"src": f"pair {i}", "tgt": f"জোড়া {i}"} for i in range(5)])
    sw = tmp_path / "rogendo.csv"
    sw.write_text("English sentence,Swahili Translation\nGood morning,Habari za asubuhi\n,empty\n", encoding="utf-8")
    out = tmp_path / "parallel.jsonl"
    assert train(["build-corpus", "--out", str(out), "--ted", ted, "--samanantar", bn, "--rogendo", str(sw),
                  "--max-pairs", "3"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0] == {"doc_id": "ted:t1", "texts": {"en": "Hello.", "zh": "你好。"}}
    assert [r["doc_id"] for r in rows] == ["ted:t1", "ted:t1"] + ["samanantar"] * 3 + ["rogendo"]  # t2: 1 language
    assert rows[-1]["texts"] == {"en": "Good morning", "sw": "Habari za asubuhi"}
    source = read_source({"path": str(out)})
    assert source.dropped_rows == 1  # the English-only row of t1 (rows need >= 2 languages)
    chunks = pack_source(source, CharTokenizer(), 1000, 1000, seed=0)
    assert [c["doc_id"] for c in chunks] == ["ted:t1", "samanantar", "rogendo"]  # consecutive pairs packed together
