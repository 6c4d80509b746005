"""ECLeKTic: overall success and transfer equal a hand-worked example written from the paper's definitions (and HELM's
transfer, which counts source-language rows, differs on it as worked out below); intervals are clustered by
question; the loader reads the main format and Global ECLeKTic's CSV columns and refuses bad rows; the task runs
end to end on SmolLM2."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from xlfact.errors import DataError, UsageError
from xlfact.evaluators import eclektic
from xlfact.tasks.config_writer import stale_files
from xlfact.tasks.eclektic import generate_configs
from xlfact.tasks.eclektic.data import EclekticDataError, load_documents
from xlfact.tasks.eclektic.fixtures import fixture_rows, write_fixture, write_global_fixture

# Three questions asked in de, en, ja. q1 comes from German Wikipedia, q2 from English, q3 from Japanese.
CORRECT = {
    "q1": {"de": True, "en": True, "ja": False},
    "q2": {"en": True, "de": False, "ja": False},
    "q3": {"ja": False, "de": True, "en": True},
}
SOURCES = {"q1": "de", "q2": "en", "q3": "ja"}


def test_hand_worked_example_paper_definitions():
    # (question, target != source) pairs: q1-en q1-ja q2-de q2-ja q3-de q3-en -> 6.
    # Both source and target correct: q1-en only -> 1.   Source correct: q1 (2 pairs) + q2 (2 pairs) -> 4.
    assert eclektic.overall_success(CORRECT, SOURCES) == 1 / 6
    assert eclektic.transfer_score(CORRECT, SOURCES) == 1 / 4
    figures = eclektic.figures(CORRECT, SOURCES)
    assert figures["overall_success/src=de"] == 1 / 2 and figures["transfer/src=de"] == 1 / 2
    assert figures["overall_success/src=en"] == 0.0 and figures["transfer/src=en"] == 0.0
    assert figures["overall_success/src=ja"] == 0.0 and "transfer/src=ja" not in figures  # q3 unknown at source
    assert figures["overall_success/tgt=en"] == 1 / 2 and figures["transfer/tgt=en"] == 1.0
    assert figures["transfer/tgt=ja"] == 0.0 and figures["transfer/tgt=de"] == 0.0


def test_helm_counts_source_rows_and_reports_more():
    # HELM: all rows of q1 and q2 (correct at source), source rows included: q1 de/en right, ja wrong; q2 en right,
    # de/ja wrong -> 3 / 6 = 0.5, where the paper's transfer is 1 / 4.
    assert eclektic.helm_transfer(CORRECT, SOURCES) == 1 / 2
    assert eclektic.helm_transfer(CORRECT, SOURCES) > eclektic.transfer_score(CORRECT, SOURCES)


def test_intervals_resample_questions():
    many = {f"{q}-{k}": per for k in range(20) for q, per in CORRECT.items()}
    sources = {f"{q}-{k}": SOURCES[q] for k in range(20) for q in CORRECT}
    ci = eclektic.intervals(many, sources, n_resamples=200, seed=1)
    low, high = ci["overall_success"]
    assert low <= 1 / 6 <= high and high - low > 0.0
    assert math.isnan(eclektic.intervals(CORRECT, {"q1": "de", "q2": "en", "q3": "ja"}, n_resamples=0)
                      ["transfer"][0])  # no resample: no interval


def test_generated_files_are_current_and_validate():
    for name, text in generate_configs.expected_files().items():
        path = generate_configs.HERE / name
        assert path.exists() and path.read_text(encoding="utf-8") == text
    assert stale_files(generate_configs.HERE, generate_configs.BENCH, generate_configs.expected_files()) == []
    from xlfact.tasks import tasks_dir

    done = subprocess.run([sys.executable, "-m", "lm_eval", "validate", "--tasks", "eclektic_all,eclektic_source",
                           "--include_path", str(tasks_dir())], capture_output=True, text=True, timeout=600,
                          env=os.environ)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_loader_main_and_global_formats(tmp_path, caplog):
    path = write_fixture(tmp_path / "eclektic_main.jsonl")
    docs = load_documents("ja", path)
    assert [(d["id"], d["source_lang"], d["target"]) for d in docs] == [("q1", "de", "ベルリン"), ("q2", "ja", "日本"),
                                                                        ("q3", "en", "オタワ")]
    assert [d["lang"] for d in load_documents("source", path)] == ["de", "ja", "en"]
    glob = write_global_fixture(tmp_path / "ita_latn.csv")
    import logging

    with caplog.at_level(logging.INFO):
        source = load_documents("source", glob)
    assert [(d["id"], d["lang"], d["target"]) for d in source] == [("ita_latn-1", "ita_latn", "Roma"),
                                                                   ("ita_latn-2", "ita_latn", "Lago di Garda")]
    english = load_documents("en", glob)
    assert english[1]["question"] == "On which lake is the Italian village of Cisano located?"  # corrected wins
    assert "1 rows marked Exclude" in caplog.text
    with pytest.raises(UsageError, match="eclektic_source and eclektic_en"):
        load_documents("de", glob)


@pytest.mark.parametrize(("corrupt", "message"), [
    (lambda r: r.pop("ja_a"), "row 2 (question q2): field 'ja_a' is missing or empty"),
    (lambda r: r.__setitem__("original_lang", "xx"), "original_lang 'xx' is not an ECLeKTic language"),
    (lambda r: r.pop("q_id"), "row 2: field 'q_id' is missing"),
])
def test_bad_rows_name_file_row_and_field(tmp_path, corrupt, message):
    rows = fixture_rows()
    corrupt(rows[1])
    path = write_fixture(tmp_path / "e.jsonl", rows)
    with pytest.raises(EclekticDataError) as err:
        load_documents("ja", path)
    assert str(path) in str(err.value) and message in str(err.value) and isinstance(err.value, DataError)
    with pytest.raises(UsageError, match="unknown language 'xx'"):
        load_documents("xx", path)


def test_eval_with_a_missing_column_exits_2(tmp_path):
    rows = fixture_rows()
    rows[0].pop("de_q")
    path = write_fixture(tmp_path / "e.jsonl", rows)
    cmd = [sys.executable, "-m", "xlfact.cli", "eval", "--model", "dummy", "--tasks", "eclektic_de", "--limit", "1",
           "--metadata", json.dumps({"eclektic_file": str(path)})]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=os.environ)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "row 1 (question q1): field 'de_q' is missing" in done.stderr.strip().splitlines()[-1]


@pytest.mark.slow
def test_eclektic_runs_end_to_end_on_smollm2_and_shows_in_the_report(tmp_path, xlfact_eval_and_report):
    path = write_fixture(tmp_path / "eclektic_main.jsonl")
    out = tmp_path / "out"
    report = xlfact_eval_and_report("eclektic_de,eclektic_en,eclektic_ja", {"eclektic_file": str(path)}, out, 3)
    assert "eclektic" in report and "overall_success" in report
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    records = []
    for sample_file in out.rglob("samples_eclektic_*.jsonl"):
        records += [json.loads(line)["total_consistency"] for line in sample_file.read_text().splitlines()]
    correct, sources = eclektic.from_records(records)
    expected = eclektic.overall_success(correct, sources)
    assert results["eclektic_en"]["overall_success,none"] == pytest.approx(expected)


def test_optional_llm_judge_decides_and_the_record_keeps_both_verdicts(tmp_path, monkeypatch):
    from xlfact.builders.adaxeval.llm import ScriptedClient
    from xlfact.tasks.eclektic import utils

    seen = []

    def reply(request):
        prompt = request.messages[0][1]
        seen.append(prompt)
        return "YES" if "Answer:\nDie Hauptstadt ist Berlin" in prompt else "No."

    client = ScriptedClient(reply, name="judge")
    monkeypatch.setattr(utils, "judge_client", lambda url, model: client)
    rows = fixture_rows()
    rows[0]["de_c"] = "Das Brandenburger Tor steht in Berlin."
    path = write_fixture(tmp_path / "e.jsonl", rows)
    judge = utils.judge_settings({"judge_base_url": "http://localhost:8000/v1", "judge_model": "m"})
    doc = load_documents("de", path, judge=judge)[0]
    out = utils.process_results(doc, ["Die Hauptstadt ist Berlin\n"])
    record = out["total_consistency"]
    assert record["correct"] is True and record["matcher_correct"] is True and record["judge_reply"] == "YES"
    assert "Das Brandenburger Tor steht in Berlin." in seen[0] and "in de" in seen[0]
    out = utils.process_results(doc, ["Berlin ist es"])
    assert out["total_consistency"]["correct"] is False and out["total_consistency"]["matcher_correct"] is True
    with pytest.raises(UsageError, match="needs both"):
        utils.judge_settings({"judge_model": "m"})
    assert utils.judge_settings({}) is None
