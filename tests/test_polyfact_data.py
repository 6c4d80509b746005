"""PolyFact loading: the hub layout on disk, the authors' gold rule, the Clean filter, and errors that name the row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xlfact.tasks.config_writer import stale_files
from xlfact.tasks.polyfact import generate_configs
from xlfact.tasks.polyfact.data import PolyFactDataError, load_polyfact, resolve_gold
from xlfact.tasks.polyfact.utils import load_dataset

ROW = {
    "fact_id": "Q142|P36|Q90", "language": "de", "subject": "Frankreich", "relation": "capital", "object": "Paris",
    "question": "Was ist die Hauptstadt von Frankreich?", "option_a": "Lyon", "option_b": "Paris",
    "option_c": "Marseille", "option_d": "Nizza", "answer_text": "Paris", "answer_index": 1,
}


def write_rows(root: Path, rows, lang: str = "de") -> Path:
    (root / lang).mkdir(parents=True, exist_ok=True)
    path = root / lang / "test.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_generated_configs_are_current():
    for name, text in generate_configs.expected_files().items():
        path = generate_configs.HERE / name
        assert path.exists(), f"{path} missing: run python tasks/polyfact/generate_configs.py"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run tasks/polyfact/generate_configs.py"
    assert not stale_files(generate_configs.HERE, generate_configs.BENCH, generate_configs.expected_files())


def test_gold_rule_prefers_answer_text_when_it_disagrees():
    assert resolve_gold(["a", "b", "c", "d"], "c", 1) == 2
    assert resolve_gold(["a", "b", "c", "d"], "b", 1) == 1
    assert resolve_gold(["a", "b", "c", "d"], "not an option", 3) == 3


def test_local_layout_loads_with_options_and_gold(tmp_path):
    write_rows(tmp_path, [ROW, {**ROW, "fact_id": "Q183|P36|Q64", "answer_index": 3, "answer_text": "Paris"}])
    rows = load_polyfact("de", data_dir=tmp_path)
    assert rows[0]["options"] == ["Lyon", "Paris", "Marseille", "Nizza"] and rows[0]["gold"] == 1
    assert rows[1]["gold"] == 1  # answer_text names option_b although answer_index says 3


def test_hook_reads_data_dir_from_metadata_and_env(tmp_path, monkeypatch):
    write_rows(tmp_path, [ROW])
    ds = load_dataset(xlfact_lang="de", xlfact_source="polyfact", data_dir=str(tmp_path), pretrained="x")
    assert ds["test"][0]["fact_id"] == ROW["fact_id"]
    monkeypatch.setenv("XLFACT_DATA_DIR", str(tmp_path))
    assert len(load_dataset(xlfact_lang="de")["test"]) == 1


def test_parquet_route(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "de").mkdir()
    pq.write_table(pa.Table.from_pylist([ROW]), tmp_path / "de" / "test.parquet")
    assert load_polyfact("de", data_dir=tmp_path)[0]["gold"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"option_c": "Paris"}, r"row 2 \(fact Q1\|P36\|Q2\): option_c repeats another option"),
        ({"option_d": ""}, r"row 2 \(fact Q1\|P36\|Q2\): option_d is empty"),
        ({"answer_index": 4}, r"row 2 .*answer_index 4 is out of range"),
        ({"answer_index": "x"}, r"row 2 .*answer_index 'x' is not an integer"),
        ({"language": "fr"}, r"row 2 .*language is 'fr'; expected 'de'"),
    ],
)
def test_bad_rows_name_file_row_fact_and_field(tmp_path, change, message):
    path = write_rows(tmp_path, [ROW, {**ROW, "fact_id": "Q1|P36|Q2", **change}])
    with pytest.raises(PolyFactDataError, match=message) as err:
        load_polyfact("de", data_dir=tmp_path)
    assert str(path) in str(err.value)


def test_missing_field_and_bad_json(tmp_path):
    bad = dict(ROW)
    del bad["question"]
    write_rows(tmp_path, [bad])
    with pytest.raises(PolyFactDataError, match=r"row 1 .*field 'question' is missing"):
        load_polyfact("de", data_dir=tmp_path)
    (tmp_path / "de" / "test.jsonl").write_text(json.dumps(ROW) + "\n{\"fact_id\": \"Q9|P36", encoding="utf-8")
    with pytest.raises(PolyFactDataError, match=r"test.jsonl row 2: not valid JSON"):
        load_polyfact("de", data_dir=tmp_path)


def test_duplicate_fact_is_an_error(tmp_path):
    write_rows(tmp_path, [ROW, ROW])
    with pytest.raises(PolyFactDataError, match="fact_id repeats row 1"):
        load_polyfact("de", data_dir=tmp_path)


def test_skip_mode_counts_and_reports(tmp_path, caplog):
    write_rows(tmp_path, [ROW, {**ROW, "fact_id": "Q1|P36|Q2", "option_b": "Lyon"}])
    with caplog.at_level("WARNING"):
        rows = load_polyfact("de", data_dir=tmp_path, on_invalid="skip")
    assert len(rows) == 1
    assert "skipped 1 invalid rows" in caplog.text and "option_b repeats" in caplog.text


def test_missing_local_file_says_the_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"<data_dir>/<config>/<split>.jsonl"):
        load_polyfact("de", data_dir=tmp_path)


def test_clean_filter_drops_the_papers_properties(tmp_path):
    rows = [ROW] + [{**ROW, "fact_id": f"Q{i}|{p}|Q9"} for i, p in enumerate(["P19", "P136", "P495", "P37"])]
    write_rows(tmp_path, rows)
    kept = load_polyfact("de", data_dir=tmp_path, clean_filter=True)
    assert [r["fact_id"] for r in kept] == ["Q142|P36|Q90", "Q3|P37|Q9"]


def test_wikifact_rows_are_flattened(tmp_path):
    legacy = {"fact_id": "Q142|P36|Q90", "langs": {
        "de": {"question": "Hauptstadt von Frankreich?", "options": ["Lyon", "Paris", "Nizza", "Metz"],
               "answer_text": "Paris"},
        "en": {"question": "Capital of France?", "options": ["Lyon", "Paris", "Nice", "Metz"], "answer_text": "Paris"},
    }}
    only_en = {"fact_id": "Q183|P36|Q64", "langs": {"en": {"question": "Capital of Germany?",
               "options": ["Bonn", "Berlin", "Köln", "Jena"], "answer_text": "Berlin"}}}
    (tmp_path / "test.jsonl").write_text(json.dumps(legacy) + "\n" + json.dumps(only_en) + "\n", encoding="utf-8")
    rows = load_polyfact("de", source="wikifact", data_dir=tmp_path)
    assert len(rows) == 1 and rows[0]["gold"] == 1 and rows[0]["options"][3] == "Metz"
    assert len(load_polyfact("en", source="wikifact", data_dir=tmp_path)) == 2


def test_hub_failure_offline_says_how_to_use_a_local_copy(monkeypatch):
    monkeypatch.delenv("XLFACT_DATA_DIR", raising=False)
    with pytest.raises(RuntimeError, match=r"jvonrad/PolyFact.*--metadata data_dir=DIR"):
        load_polyfact("de")


@pytest.mark.shared
def test_real_polyfact_rows_validate(shared, tmp_path):
    """The real PolyFact test facts in ../shared load through the hub-layout route in every staged language."""
    from xlfact.tasks.polyfact.data import OPTION_FIELDS

    folder = shared("data", "polyfact_verification_samples")
    for file in sorted(folder.glob("polyfact_eval_*.json")):
        data = json.loads(file.read_text())
        rows = []
        for item in data["items"]:
            row = {k: item[k] for k in ("fact_id", "language", "subject", "relation", "object", "question")}
            row.update({f: item["options"][c] for f, c in zip(OPTION_FIELDS, "ABCD")})
            row.update(answer_text=item["answer_text"], answer_index=item["answer_index"])
            rows.append(row)
        write_rows(tmp_path, rows, lang=data["language"])
        loaded = load_polyfact(data["language"], data_dir=tmp_path)
        assert len(loaded) == data["n"] == 100
        assert all(r["options"][r["gold"]] == r["answer_text"] for r in loaded)


# ------------------------------------------------------------------- rows that loaded silently wrong before (#10)
def test_nfd_row_gets_the_gold_of_its_nfc_twin(tmp_path):
    """Before: an NFD-decomposed answer_text did not match its NFC option, so the gold fell back to answer_index."""
    import unicodedata

    nfc = {**ROW, "option_c": "Köln", "answer_text": "Köln", "answer_index": 0}
    nfd = {key: unicodedata.normalize("NFD", v) if isinstance(v, str) else v for key, v in nfc.items()}
    nfd["option_c"] = "Köln"  # the options in NFC, the answer in NFD
    nfd["fact_id"] = "Q2|P36|Q3"
    write_rows(tmp_path, [nfc, nfd])
    a, b = load_polyfact("de", data_dir=tmp_path)
    assert a["gold"] == b["gold"] == 2 and b["answer_text"] == "Köln" and b["options"] == a["options"]


def test_visually_identical_options_are_duplicates(tmp_path):
    import unicodedata

    write_rows(tmp_path, [{**ROW, "option_c": "Köln", "option_d": unicodedata.normalize("NFD", "Köln")}])
    with pytest.raises(PolyFactDataError, match="option_d repeats another option"):
        load_polyfact("de", data_dir=tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"option_e": "Bonn"}, r"row 1 .*option_e is an option beyond option_d; expected exactly 4 options"),
        ({"answer_index": 1.7}, r"row 1 .*answer_index 1.7 is not an integer"),
        ({"answer_index": True}, r"row 1 .*answer_index True is not an integer"),
        ({"answer_text": ""}, r"row 1 .*answer_text is empty"),
        ({"answer_text": "Bonn"}, r"row 1 .*answer_text 'Bonn' is not one of the options"),
    ],
)
def test_rows_that_passed_silently_are_errors(tmp_path, change, message):
    """Before: a fifth option was dropped, 1.7 and true became 1, an empty or foreign answer_text passed."""
    path = write_rows(tmp_path, [{**ROW, **change}])
    with pytest.raises(PolyFactDataError, match=message) as err:
        load_polyfact("de", data_dir=tmp_path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_skip_mode_counts_every_kind_of_bad_row(tmp_path, caplog):
    rows = [ROW, {**ROW, "fact_id": "Q1|P36|Q2", "answer_index": 1.7},
            {**ROW, "fact_id": "Q3|P36|Q4", "answer_text": "Bonn"}]
    write_rows(tmp_path, rows)
    with caplog.at_level("WARNING"):
        assert len(load_polyfact("de", data_dir=tmp_path, on_invalid="skip")) == 1
    assert "skipped 2 invalid rows" in caplog.text


def test_non_utf8_bytes_name_file_and_row(tmp_path):
    """Before: a bare UnicodeDecodeError naming no file or line."""
    path = write_rows(tmp_path, [ROW, {**ROW, "fact_id": "Q1|P36|Q2"}])
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + lines[1].replace(b"Lyon", b"Ly\xe9on"))
    with pytest.raises(PolyFactDataError, match=rf"{path} row 2: not UTF-8 \(byte 0xe9"):
        load_polyfact("de", data_dir=tmp_path)
