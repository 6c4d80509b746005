"""The one reader of lm-eval output folders (xlfact.core.runs) and the commands on it: report, leaderboard
build and compare read the same files, refuse the same bad folders with one line (exit 2), and give the same
per-language numbers.

The folders are written here in lm-eval 0.4.13's layout (results_<date>.json with n-samples and task_hashes, one
samples_<task>_<date>.jsonl per task whose rows carry doc/prompt/target hashes), so these tests need no model.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from xlfact.cli import main as xlfact
from xlfact.cli.report import build_report
from xlfact.core.records import RECORD_KEY
from xlfact.core.runs import RunError, load_run, load_runs
from xlfact.gate.compare import compare_runs
from xlfact.leaderboard.table import build_table

LANGS = ("en", "de", "ru")
DATE_OLD = "2026-01-01T10-00-00.000001"
DATE_NEW = "2026-01-02T10-00-00.000002"


def _sha(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def correct_of(seed: int, item: int, lang: str) -> bool:
    return (item * 7 + seed * 3 + LANGS.index(lang)) % 3 != 0


def write_run(folder: Path, date: str, *, n_items: int = 5, seed: int = 0, langs=LANGS, record: bool = True,
              limit=None) -> Path:
    """An lm-eval run of PolyFact-like tasks ``polyfact_<lang>``: the results file and one samples file per task."""
    folder.mkdir(parents=True, exist_ok=True)
    results = {"results": {}, "configs": {}, "versions": {}, "n-shot": {}, "n-samples": {}, "task_hashes": {},
               "config": {"model": "hf", "model_args": f"pretrained=model{seed}", "limit": limit},
               "model_name": f"model{seed}", "group_subtasks": {}}
    for lang in langs:
        task = f"polyfact_{lang}"
        rows = []
        for i in range(n_items):
            correct = correct_of(seed, i, lang)
            gold = i % 4
            scores = [-2.0] * 4
            scores[gold if correct else (gold + 1) % 4] = -1.0
            doc = {"fact_id": f"f{i}", "lang": lang}
            row = {"doc_id": i, "doc": doc, "target": gold, "arguments": [f"Q{i}{lang}"],
                   "doc_hash": _sha(doc), "prompt_hash": _sha(f"Q{i}{lang}"), "target_hash": _sha(gold),
                   "metrics": ["acc", RECORD_KEY] if record else ["acc"], "acc": float(correct)}
            if record:
                row[RECORD_KEY] = {"benchmark": "polyfact", "item": f"f{i}", "lang": lang, "correct": correct,
                                   "scores": scores, "gold": gold, "pred": scores.index(max(scores))}
            rows.append(row)
        (folder / f"samples_{task}_{date}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        results["results"][task] = {"acc,none": sum(r["acc"] for r in rows) / len(rows), "alias": task}
        results["configs"][task] = {"task": task}
        results["versions"][task] = 1.0
        results["n-shot"][task] = 0
        results["n-samples"][task] = {"original": n_items, "effective": n_items}
        results["task_hashes"][task] = hashlib.sha256(
            "".join(r["doc_hash"] + r["prompt_hash"] + r["target_hash"] for r in rows).encode()).hexdigest()
    (folder / f"results_{date}.json").write_text(json.dumps(results))
    return folder


def per_language(path: Path, run: str | None = None) -> dict[str, tuple[str, tuple[float, int]]]:
    """{lang: (accuracy, n)} from each of report, leaderboard and compare (a run compared with itself)."""
    report = build_report(path, n_resamples=0, run=run)
    (folder,) = report["runs"]
    langs = folder["benchmarks"]["polyfact"]["per_language"]
    from_report = {lang: (e["accuracy"], e["n"]) for lang, e in langs.items()}
    table = build_table(load_runs([path], run=run), n_resamples=0, progress=False)
    (model,) = table["models"]
    cols = model["benchmarks"]["polyfact"]["columns"]
    from_board = {lang: (c["value"], c["n"]) for lang, c in cols.items()}
    result = compare_runs(path, path, n_resamples=0, baseline_run=run, candidate_run=run)
    from_compare = {t["lang"]: (t["baseline"], t["n"]) for t in result["tests"] if t["kind"] == "accuracy"}
    return {"report": from_report, "leaderboard": from_board, "compare": from_compare}


def expected(seed: int, n_items: int) -> dict[str, tuple[float, int]]:
    return {lang: (sum(correct_of(seed, i, lang) for i in range(n_items)) / n_items, n_items) for lang in LANGS}


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = xlfact(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def commands(path: Path, tmp_path: Path) -> dict[str, list[str]]:
    return {
        "report": ["report", str(path), "--bootstrap", "0", "--output_path", str(tmp_path / "r.json")],
        "leaderboard": ["leaderboard", "build", str(path), "--output_path", str(tmp_path / "site"), "--bootstrap", "0"],
        "compare": ["compare", "--baseline", str(path), "--candidate", str(path), "--bootstrap", "0"],
    }


# ------------------------------------------------------------------------------------------ one run, same numbers
def test_three_commands_give_the_same_per_language_numbers(tmp_path):
    path = write_run(tmp_path / "out" / "model", DATE_NEW, seed=1)
    got = per_language(path)
    assert got["report"] == got["leaderboard"] == got["compare"] == expected(1, 5)


def test_two_runs_in_one_folder_are_refused_by_every_command_unless_one_is_named(tmp_path, capsys):
    """Before: report kept the newest samples file per task, mixing en/de of one run with ru of another."""
    path = tmp_path / "out" / "model"
    write_run(path, DATE_OLD, seed=0, n_items=5)
    write_run(path, DATE_NEW, seed=1, n_items=4, langs=("en", "de"))  # the newer run lacks ru
    for name, argv in commands(path, tmp_path).items():
        code, _, err = run_cli(argv, capsys)
        assert code == 2, name
        assert len(err.strip().splitlines()) == 1 and DATE_OLD in err and DATE_NEW in err and "--run" in err, name
    with pytest.raises(RunError, match="holds 2 runs"):
        load_run(path)
    got = per_language(path, run=DATE_OLD)
    assert got["report"] == got["leaderboard"] == got["compare"] == expected(0, 5)
    got = per_language(path, run=DATE_NEW)
    assert got["report"] == got["leaderboard"] == got["compare"] == {k: v for k, v in expected(1, 4).items()
                                                                      if k != "ru"}
    # the other run's files are reported as skipped, with the reason
    run = load_run(path, run=DATE_NEW)
    assert any(f"samples_polyfact_ru_{DATE_OLD}.jsonl: from another run" in s for s in run.skipped)
    code, out, _ = run_cli(["report", str(path), "--run", DATE_NEW, "--bootstrap", "0"], capsys)
    assert code == 0 and "skipped: " in out and "polyfact_ru" in out


def test_a_results_file_path_names_the_run(tmp_path):
    path = tmp_path / "model"
    write_run(path, DATE_OLD, seed=0)
    write_run(path, DATE_NEW, seed=1)
    report = build_report(path / f"results_{DATE_OLD}.json", n_resamples=0)
    assert report["runs"][0]["run"] == DATE_OLD
    assert {k: (v["accuracy"], v["n"]) for k, v in report["runs"][0]["benchmarks"]["polyfact"]["per_language"].items()
            } == expected(0, 5)


def test_date_ids_without_fractional_seconds_are_read(tmp_path):
    """Before: report's file-name pattern needed fractional seconds; the leaderboard's did not."""
    path = write_run(tmp_path / "model", "2026-01-03T10-00-00", seed=2)
    got = per_language(path)
    assert got["report"] == got["leaderboard"] == got["compare"] == expected(2, 5)


# ------------------------------------------------------------------------------------------------- bad folders
def _all_refuse(path: Path, tmp_path: Path, capsys, *needles: str) -> None:
    for name, argv in commands(path, tmp_path).items():
        code, _, err = run_cli(argv, capsys)
        assert code == 2, (name, err)
        assert len(err.strip().splitlines()) == 1, (name, err)
        for needle in needles:
            assert needle in err, (name, needle, err)


def test_a_samples_file_missing_lines_is_refused_by_every_command(tmp_path, capsys):
    """Before: report gave n=3 where the results file says 5, without a word."""
    path = write_run(tmp_path / "model", DATE_NEW)
    samples = path / f"samples_polyfact_de_{DATE_NEW}.jsonl"
    samples.write_text("".join(samples.read_text().splitlines(keepends=True)[:3]))
    _all_refuse(path, tmp_path, capsys, str(samples), "3 samples", "says 5")


def test_a_foreign_line_is_refused_by_every_command(tmp_path, capsys):
    """Before: a line without the xlfact record silently dropped the rest of its file (de reported on 2 of 5)."""
    path = write_run(tmp_path / "model", DATE_NEW)
    samples = path / f"samples_polyfact_de_{DATE_NEW}.jsonl"
    rows = [json.loads(x) for x in samples.read_text().splitlines()]
    del rows[2][RECORD_KEY]  # hashes and count still agree with the results file: only the record is gone
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    _all_refuse(path, tmp_path, capsys, f"{samples} line 3", "no cross-lingual record", "line 1 has one")


def test_a_record_of_another_language_is_refused(tmp_path):
    path = write_run(tmp_path / "model", DATE_NEW)
    samples = path / f"samples_polyfact_de_{DATE_NEW}.jsonl"
    rows = [json.loads(x) for x in samples.read_text().splitlines()]
    rows[4][RECORD_KEY]["lang"] = "ru"
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(RunError, match=r"line 5: record is benchmark 'polyfact' language 'ru', but line 1"):
        build_report(path, n_resamples=0)


def test_a_record_lacking_a_field_names_file_line_and_field(tmp_path):
    path = write_run(tmp_path / "model", DATE_NEW)
    samples = path / f"samples_polyfact_en_{DATE_NEW}.jsonl"
    rows = [json.loads(x) for x in samples.read_text().splitlines()]
    del rows[1][RECORD_KEY]["correct"]
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(RunError, match=rf"{samples} line 2: record lacks field 'correct'"):
        build_report(path, n_resamples=0)


def test_non_utf8_samples_name_file_and_line(tmp_path, capsys):
    """Before: a bare UnicodeDecodeError naming no file or line."""
    path = write_run(tmp_path / "model", DATE_NEW)
    samples = path / f"samples_polyfact_ru_{DATE_NEW}.jsonl"
    lines = samples.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"ru"', b'"r\xff"', 1)
    samples.write_bytes(b"".join(lines))
    _all_refuse(path, tmp_path, capsys, f"{samples} line 4", "not UTF-8")


def test_report_on_bad_folders_is_one_line_and_exit_2(tmp_path, capsys):
    """Before: a traceback for an empty folder and for a truncated results file."""
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(["report", str(empty)], capsys)
    assert code == 2 and err.count("\n") == 1 and "no lm-eval results file" in err
    path = write_run(tmp_path / "model", DATE_NEW)
    results = path / f"results_{DATE_NEW}.json"
    results.write_text(results.read_text()[:100])
    code, _, err = run_cli(["report", str(path)], capsys)
    assert code == 2 and err.count("\n") == 1 and str(results) in err and "truncated" in err
    code, _, err = run_cli(["report", str(tmp_path / "missing")], capsys)
    assert code == 2 and err.count("\n") == 1 and "no such file or folder" in err


def test_debug_shows_the_traceback(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RunError):
        xlfact(["--debug", "report", str(empty)])


def test_report_says_which_samples_it_skipped(tmp_path, capsys):
    """Before: report on non-xlfact samples said nothing about skipping them."""
    plain = write_run(tmp_path / "plain", DATE_NEW, record=False)
    code, _, err = run_cli(["report", str(plain)], capsys)
    assert code == 2 and "logs no cross-lingual record" in err and "polyfact_en" in err
    mixed = tmp_path / "mixed"
    write_run(mixed, DATE_NEW, langs=("en", "de"))
    write_run(tmp_path / "other", DATE_NEW, record=False, langs=("ru",))
    other = tmp_path / "other"
    (other / f"samples_polyfact_ru_{DATE_NEW}.jsonl").rename(mixed / f"samples_polyfact_ru_{DATE_NEW}.jsonl")
    results = json.loads((mixed / f"results_{DATE_NEW}.json").read_text())
    other_results = json.loads((other / f"results_{DATE_NEW}.json").read_text())
    for key in ("results", "configs", "versions", "n-shot", "n-samples", "task_hashes"):
        results[key].update(other_results[key])
    (mixed / f"results_{DATE_NEW}.json").write_text(json.dumps(results))
    code, out, _ = run_cli(["report", str(mixed), "--bootstrap", "0"], capsys)
    assert code == 0 and "skipped: samples_polyfact_ru" in out and "logs no cross-lingual record" in out


# ---------------------------------------------------------------------------------------------------- compare
def test_unknown_metric_is_an_error(tmp_path, capsys):
    """Before: ``--metric acc_nrom`` silently tested ``acc``."""
    path = write_run(tmp_path / "model", DATE_NEW)
    code, _, err = run_cli(["compare", "--baseline", str(path), "--candidate", str(path), "--metric", "acc_nrom"],
                           capsys)
    assert code == 2 and "acc_nrom" in err and "logs acc" in err and err.count("\n") == 1


def test_compare_writes_only_where_asked(tmp_path, capsys, monkeypatch):
    """Before: compare wrote xlfact-compare/ into the current folder unasked."""
    path = write_run(tmp_path / "model", DATE_NEW)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    code, out, _ = run_cli(["compare", "--baseline", str(path), "--candidate", str(path), "--bootstrap", "0"], capsys)
    assert code == 0 and "PASS" in out and list(work.iterdir()) == []
    code, _, _ = run_cli(["compare", "--baseline", str(path), "--candidate", str(path), "--bootstrap", "0",
                          "--output_path", str(tmp_path / "gate")], capsys)
    assert code == 0 and (tmp_path / "gate" / "compare.json").is_file()


# ------------------------------------------------------------------------------------------------------ files
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_honour_the_umask(tmp_path, umask, mode):
    """Before: every file the suite wrote was 0600, so a built site could not be served by another user."""
    from xlfact.core.atomic import write_json_atomic, write_text_atomic

    old = os.umask(umask)
    try:
        a = write_text_atomic(tmp_path / "a.txt", "x")
        b = write_json_atomic(tmp_path / "sub" / "b.json", {"x": 1})
    finally:
        os.umask(old)
    assert a.stat().st_mode & 0o777 == mode and b.stat().st_mode & 0o777 == mode


def test_report_json_is_world_readable_under_the_default_umask(tmp_path, capsys):
    path = write_run(tmp_path / "model", DATE_NEW)
    old = os.umask(0o022)
    try:
        assert run_cli(["report", str(path), "--bootstrap", "0"], capsys)[0] == 0
    finally:
        os.umask(old)
    assert (path / "xlfact_report.json").stat().st_mode & 0o777 == 0o644
