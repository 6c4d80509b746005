"""BMLAMA tasks: configs current and valid for lm-eval, the loader reads the reference's TSV format and refuses bad
rows with one line (exit 2), and bmlama17 runs end to end on SmolLM2 with P@1 / RankC / COverlap in the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from xlfact.errors import DataError, UsageError
from xlfact.evaluators import bmlama
from xlfact.tasks.bmlama import generate_configs
from xlfact.tasks.bmlama.data import BmlamaDataError, load_documents
from xlfact.tasks.bmlama.fixtures import write_fixture
from xlfact.tasks.config_writer import stale_files


def test_generated_files_are_current():
    for name, text in generate_configs.expected_files().items():
        path = generate_configs.HERE / name
        assert path.exists() and path.read_text(encoding="utf-8") == text, "run python tasks/bmlama/generate_configs.py"
    assert stale_files(generate_configs.HERE, generate_configs.BENCH, generate_configs.expected_files()) == []
    assert len(bmlama.LANGUAGES["bmlama17"]) == 17 and len(bmlama.LANGUAGES["bmlama53"]) == 53


def test_lm_eval_validate_accepts_both_groups():
    from xlfact.tasks import tasks_dir

    done = subprocess.run([sys.executable, "-m", "lm_eval", "validate", "--tasks", "bmlama17,bmlama53",
                           "--include_path", str(tasks_dir())], capture_output=True, text=True, timeout=600,
                          env=os.environ)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_loader_reads_the_reference_format(tmp_path):
    root = write_fixture(tmp_path / "BMLAMA17")
    docs = load_documents("bmlama17", "zh", root)
    assert [d["id"] for d in docs] == ["0", "1", "2"]
    assert docs[0]["sentences"] == ["巴黎是意大利的首都。", "巴黎是法国的首都。", "巴黎是西班牙的首都。"]
    assert docs[0]["gold"] == 1 and docs[1]["golds"] == ["法语"]
    assert load_documents("bmlama17", "en", tmp_path)[2]["candidates"] == ["Japan", "Germany"]  # parent folder too


@pytest.mark.parametrize(("line", "message"), [
    ("Paris is nice.\tFrance\tItaly, France", "has 0 <mask>; expected one"),
    ("X is in <mask>.\tFrance", "2 fields; expected Prompt, Ans, Candidate Ans"),
    ("X is in <mask>.\t\tItaly, France", "has an empty answer"),
    ("X is in <mask>.\tFrance\tItaly, France, Italy", "candidate 'Italy' appears twice"),
])
def test_bad_rows_name_file_line_and_field(tmp_path, line, message):
    root = write_fixture(tmp_path)
    path = root / "en.tsv"
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    with pytest.raises(BmlamaDataError) as err:
        load_documents("bmlama17", "en", root)
    assert f"{path} line 5" in str(err.value) and message in str(err.value) and isinstance(err.value, DataError)


def test_gold_outside_the_candidates_is_kept_and_never_found(tmp_path, caplog):
    root = write_fixture(tmp_path)
    path = root / "en.tsv"
    path.write_text(path.read_text(encoding="utf-8").replace("Italy, France, Spain", "Italy, France\", Spain"))
    docs = load_documents("bmlama17", "en", root)
    assert docs[0]["gold_in_candidates"] is False and "not among their candidates" in caplog.text
    assert bmlama.correct_index([1, 0, 2], docs[0]["candidates"], docs[0]["golds"]) == [0]


def test_unknown_language_and_missing_dir(tmp_path):
    with pytest.raises(UsageError, match="unknown language 'xx'"):
        load_documents("bmlama17", "xx", tmp_path)
    with pytest.raises(FileNotFoundError, match="no de.tsv"):
        load_documents("bmlama53", "de", write_fixture(tmp_path))


def test_eval_with_a_bad_row_exits_2(tmp_path):
    root = write_fixture(tmp_path)
    (root / "fr.tsv").write_text("Prompt\tAns\tCandidate Ans\tSubject\nLa <mask>.\tFrance\t\tX\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "xlfact.cli", "eval", "--model", "dummy", "--tasks", "bmlama17_fr", "--limit", "1",
           "--metadata", json.dumps({"bmlama_dir": str(root)})]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=os.environ)
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert f"{root / 'fr.tsv'} line 2" in last and "empty candidate" in last and "Traceback" not in done.stderr


@pytest.mark.slow
def test_bmlama17_runs_end_to_end_on_smollm2_and_shows_in_the_report(tmp_path, xlfact_eval_and_report):
    root = write_fixture(tmp_path / "data")
    out = tmp_path / "out"
    report = xlfact_eval_and_report("bmlama17_en,bmlama17_fr,bmlama17_zh", {"bmlama_dir": str(root)}, out, 3)
    assert "bmlama17" in report
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    samples = {}
    for path in out.rglob("samples_bmlama17_*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)["total_consistency"]
            samples.setdefault(record["lang"], {})[record["item"]] = record
    assert set(samples) == {"en", "fr", "zh"}
    figures = bmlama.pairwise_figures(samples)
    assert results["bmlama17_en"]["rankc,none"] == pytest.approx(figures["rankc"])
    assert results["bmlama17_fr"]["coverlap,none"] == pytest.approx(figures["coverlap"], nan_ok=True)
    for lang in ("en", "fr", "zh"):
        found = [r["correct_index"] for r in samples[lang].values()]
        assert results[f"bmlama17_{lang}"]["p_at_1,none"] == pytest.approx(bmlama.precision_at_1(found))
        assert results[f"bmlama17_{lang}"]["acc,none"] == pytest.approx(bmlama.precision_at_1(found))  # one gold
