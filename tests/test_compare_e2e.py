"""``xlfact compare`` end to end on real lm-eval output folders of two tiny models, and its refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from xlfact.cli import main as xlfact
from xlfact.tasks.evaluate import evaluate_to_folder, make_task_manager
from xlfact.training.tiny_models import build_tiny_llama

pytestmark = pytest.mark.slow
TASKS = ["polyfact_en", "polyfact_de", "polyfact_ru"]


def fixture_texts(data_dir: Path) -> list[str]:
    rows = [json.loads(line) for f in sorted(data_dir.glob("*/test.jsonl")) for line in f.read_text().splitlines()]
    return [f"Question: {r['question']}\nAnswer: {r['answer_text']}" for r in rows] + [
        r[f"option_{c}"] for r in rows for c in "abcd"]


def evaluate(model_dir: Path, data_dir: Path, out: Path, tasks=TASKS, **kwargs) -> Path:
    manager = make_task_manager(tasks, metadata={"data_dir": str(data_dir), "pretrained": str(model_dir)},
                                include_defaults=False)
    return evaluate_to_folder(out, model="hf", model_args=f"pretrained={model_dir},dtype=float32", tasks=tasks,
                              task_manager=manager, batch_size=16, device="cpu", **kwargs)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, polyfact_fixture_dir):
    root = tmp_path_factory.mktemp("compare")
    texts = fixture_texts(polyfact_fixture_dir)
    models = [build_tiny_llama(root / f"model{seed}", texts, seed=seed) for seed in (0, 1)]
    return {
        "a": evaluate(models[0], polyfact_fixture_dir, root / "a"),
        "b": evaluate(models[1], polyfact_fixture_dir, root / "b"),
        "a_fewshot": evaluate(models[0], polyfact_fixture_dir, root / "a_fewshot", num_fewshot=1),
        "a_limited": evaluate(models[0], polyfact_fixture_dir, root / "a_limited", limit=4),
        "a_en_only": evaluate(models[0], polyfact_fixture_dir, root / "a_en", tasks=["polyfact_en"]),
        "root": root,
    }


def samples_acc(folder: Path, task: str) -> dict[str, float]:
    file = next(folder.glob(f"samples_{task}_*.jsonl"))
    return {row["doc_hash"]: row["acc"] for row in map(json.loads, file.read_text().splitlines())}


def test_same_run_against_itself_passes_with_no_flips(runs, tmp_path, capsys):
    assert xlfact(["compare", "--baseline", str(runs["a"]), "--candidate", str(runs["a"]), "--out", str(tmp_path),
                   "--bootstrap", "100"]) == 0
    result = json.loads((tmp_path / "compare.json").read_text())
    assert result["verdict"] == "PASS"
    accuracy = [t for t in result["tests"] if t["kind"] == "accuracy"]
    assert {t["task"] for t in accuracy} == set(TASKS)
    assert all(t["right_to_wrong"] == t["wrong_to_right"] == 0 and t["p"] == 1.0 for t in accuracy)
    assert {t["metric"] for t in result["tests"] if t["kind"] == "consistency"} >= {"total_consistency", "rankc"}
    assert "# xlfact compare: PASS" in (tmp_path / "compare.md").read_text()
    assert "exact McNemar" in capsys.readouterr().out


def test_two_models_flip_counts_match_the_samples(runs, tmp_path):
    code = xlfact(["compare", "--baseline", str(runs["a"]), "--candidate", str(runs["b"]), "--out", str(tmp_path),
                   "--bootstrap", "100"])
    result = json.loads((tmp_path / "compare.json").read_text())
    assert code == (1 if result["regressions"] else 0)
    for test in (t for t in result["tests"] if t["kind"] == "accuracy"):
        a, b = samples_acc(runs["a"], test["task"]), samples_acc(runs["b"], test["task"])
        assert test["right_to_wrong"] == sum(a[h] == 1.0 and b[h] == 0.0 for h in a)
        assert test["wrong_to_right"] == sum(a[h] == 0.0 and b[h] == 1.0 for h in a)
        assert test["n"] == 6 and 0.0 <= test["p_holm"] <= 1.0 and test["p_holm"] >= test["p"]


def test_a_regression_read_from_files_exits_1(runs, tmp_path):
    """Candidate = baseline with every right answer of polyfact_en turned wrong (consistent hashes and counts)."""
    candidate = tmp_path / "candidate"
    shutil.copytree(runs["a"], candidate)
    file = next(candidate.glob("samples_polyfact_en_*.jsonl"))
    rows = [json.loads(line) for line in file.read_text().splitlines()]
    for row in rows:
        row["acc"] = 0.0
        row["total_consistency"]["correct"] = False
        row["total_consistency"]["scores"] = [0.0 if k != row["total_consistency"]["gold"] else -9.0 for k in range(4)]
    file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # 6 documents are too few for significance after Holm over 8 tests; alpha > 1 makes every test "significant",
    # so this checks the file-to-exit-code path, and which tests the gate calls regressions
    code = xlfact(["compare", "--baseline", str(runs["a"]), "--candidate", str(candidate), "--out",
                   str(tmp_path / "out"), "--margin", "0", "--alpha", "1.01", "--bootstrap", "50"])
    result = json.loads((tmp_path / "out" / "compare.json").read_text())
    regressions = [t for t in result["tests"] if t["regression"]]
    baseline_right = sum(samples_acc(runs["a"], "polyfact_en").values())
    assert (code == 1) == (baseline_right > 0)
    assert all(t["task"] in ("polyfact_en", None) for t in regressions)


def test_refuses_when_prompt_hashes_disagree(runs, tmp_path, capsys):
    code = xlfact(["compare", "--baseline", str(runs["a"]), "--candidate", str(runs["a_fewshot"]), "--out",
                   str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "prompt hashes disagree" in err and "polyfact_" in err and "samples_polyfact_" in err


def test_refuses_when_doc_hashes_disagree(runs, tmp_path, capsys):
    code = xlfact(["compare", "--baseline", str(runs["a"]), "--candidate", str(runs["a_limited"]), "--out",
                   str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "doc hashes disagree" in err and "--limit" in err


def test_a_candidate_missing_tasks_is_named(runs, tmp_path, capsys):
    code = xlfact(["compare", "--baseline", str(runs["a"]), "--candidate", str(runs["a_en_only"]), "--out",
                   str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "lacks 2 task(s)" in err and "polyfact_de" in err and "results_" in err


def test_truncated_files_are_clear_errors(runs, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(runs["a"], broken)
    results = next(broken.glob("results_*.json"))
    results.write_text(results.read_text()[:200])
    assert xlfact(["compare", "--baseline", str(runs["a"]), "--candidate", str(broken), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(results) in err and "truncated" in err

    shutil.rmtree(broken)
    shutil.copytree(runs["a"], broken)
    samples = next(broken.glob("samples_polyfact_de_*.jsonl"))
    samples.write_text(samples.read_text()[:-300])
    assert xlfact(["compare", "--baseline", str(runs["a"]), "--candidate", str(broken), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(samples) in err and "line 6" in err and "truncated" in err


def test_samples_from_another_run_are_refused(runs, tmp_path, capsys):
    """A samples file swapped in from another run has other doc/prompt hashes than its results file records."""
    mixed = tmp_path / "mixed"
    shutil.copytree(runs["a"], mixed)
    target = next(mixed.glob("samples_polyfact_de_*.jsonl"))
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    rows[0]["prompt_hash"] = "0" * 64
    target.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert xlfact(["compare", "--baseline", str(mixed), "--candidate", str(runs["a"]), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(target) in err and "task_hashes" in err
