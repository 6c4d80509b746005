"""MKQA tasks: generated configs are current and valid for lm-eval, the loader reads the official format (and refuses
bad rows with one line, exit 2), process_results scores with the official rule, and mkqa runs end to end on SmolLM2."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest

from xlfact.errors import DataError, UsageError
from xlfact.evaluators.mkqa import LANGUAGES
from xlfact.tasks.config_writer import stale_files
from xlfact.tasks.mkqa import generate_configs
from xlfact.tasks.mkqa.data import MkqaDataError, load_documents, read_mkqa_file
from xlfact.tasks.mkqa.fixtures import fixture_rows, write_fixture


def test_generated_files_are_current():
    for name, text in generate_configs.expected_files().items():
        path = generate_configs.HERE / name
        assert path.exists() and path.read_text(encoding="utf-8") == text, "run python tasks/mkqa/generate_configs.py"
    assert stale_files(generate_configs.HERE, generate_configs.BENCH, generate_configs.expected_files()) == []
    assert len(LANGUAGES) == 26


def test_lm_eval_validate_accepts_the_group():
    from xlfact.tasks import tasks_dir

    done = subprocess.run([sys.executable, "-m", "lm_eval", "validate", "--tasks", "mkqa_all", "--include_path",
                           str(tasks_dir())], capture_output=True, text=True, timeout=600, env=os.environ)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_loader_reads_the_official_format(tmp_path):
    path = write_fixture(tmp_path / "mkqa.jsonl.gz")
    docs = load_documents("zh_cn", path)
    assert [d["id"] for d in docs] == ["9001", "9002", "-9003", "9004"]
    assert docs[0]["golds"] == ["巴黎", "巴黎市"] and docs[0]["answerable"]
    assert docs[3]["golds"] == [""] and not docs[3]["answerable"] and docs[3]["answer_types"] == ["unanswerable"]
    assert docs[2]["golds"] == ["no"]
    assert "法国的首都是哪里" in docs[0]["prompt"]
    assert len(read_mkqa_file(path)) == 4


@pytest.mark.parametrize(("corrupt", "message"), [
    (lambda r: r["answers"].__setitem__("de", []), "row 2 (example 9002): answers.de is missing or an empty list"),
    (lambda r: r["queries"].pop("de"), "row 2 (example 9002): queries.de is missing or empty"),
    (lambda r: r.pop("example_id"), "row 2: field 'example_id' is missing"),
    (lambda r: r["answers"]["de"][0].__setitem__("type", "guess"), "answer type 'guess' is unknown"),
])
def test_bad_rows_name_file_row_and_field(tmp_path, corrupt, message):
    rows = fixture_rows()
    corrupt(rows[1])
    path = write_fixture(tmp_path / "mkqa.jsonl.gz", rows)
    with pytest.raises(MkqaDataError) as err:
        load_documents("de", path)
    assert str(path) in str(err.value) and message in str(err.value)
    assert isinstance(err.value, DataError)


def test_unknown_language_and_truncated_file(tmp_path):
    with pytest.raises(UsageError, match="unknown language 'xx'"):
        load_documents("xx", write_fixture(tmp_path / "a.jsonl.gz"))
    broken = tmp_path / "b.jsonl.gz"
    broken.write_bytes(gzip.compress(b'{"example_id": 1}\n')[:-12])
    with pytest.raises(MkqaDataError, match="b.jsonl.gz"):
        read_mkqa_file(broken)


def test_process_results_is_the_official_rule(tmp_path):
    from xlfact.tasks.mkqa.utils import process_results

    docs = {d["id"]: d for d in load_documents("en", write_fixture(tmp_path / "m.jsonl.gz"))}
    out = process_results(docs["9001"], [" The City of Light.\nmore"])
    assert out["exact_match"] == 1.0 and out["f1"] == 1.0  # alias, article and punctuation removed
    assert out["total_consistency"]["correct"] is True and out["total_consistency"]["benchmark"] == "mkqa"
    out = process_results(docs["9002"], ["9 November 1989, a Thursday"])
    assert out["exact_match"] == 0.0 and out["f1"] == pytest.approx(2 * 0.75 / 1.75)  # "a" is an article: 3 of 4 tokens
    assert process_results(docs["9004"], ["\n"])["exact_match"] == 1.0  # empty first line = No Answer
    assert process_results(docs["-9003"], ["No"])["exact_match"] == 1.0


def test_eval_with_an_empty_answer_list_exits_2(tmp_path):
    rows = fixture_rows()
    rows[0]["answers"]["en"] = []
    path = write_fixture(tmp_path / "mkqa.jsonl.gz", rows)
    cmd = [sys.executable, "-m", "xlfact.cli", "eval", "--model", "dummy", "--tasks", "mkqa_en", "--limit", "1",
           "--metadata", json.dumps({"mkqa_file": str(path)})]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=os.environ)
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert "row 1 (example 9001): answers.en is missing or an empty list" in last and "Traceback" not in done.stderr


@pytest.mark.slow
def test_mkqa_runs_end_to_end_on_smollm2_and_shows_in_the_report(tmp_path, xlfact_eval_and_report):
    path = write_fixture(tmp_path / "mkqa.jsonl.gz")
    report = xlfact_eval_and_report("mkqa_en,mkqa_de,mkqa_zh_cn", {"mkqa_file": str(path)}, tmp_path / "out", 4)
    assert "mkqa" in report
    results = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text())
    for lang in ("en", "de", "zh_cn"):
        row = results["results"][f"mkqa_{lang}"]
        assert 0.0 <= row["exact_match,none"] <= row["f1,none"] <= 1.0
