"""``xlfact make-task``: MCQ JSONL (xlfact's schema and mlda-eval's released format) -> an lm-eval task folder that
lm-eval runs with ``--include_path``, scored per option token, with cross-lingual metrics only where items are
parallel; bad rows stop with one line naming file, row, item and field."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from xlfact.builders.adaxeval.schema import Item
from xlfact.builders.make_task import read_items, render
from xlfact.cli import main as xlfact

DATA = Path(__file__).resolve().parent / "data" / "adaxeval"


def mlda_rows(lang: str, split: str) -> list[dict]:
    """mlda-eval's released rows for the answer key's facts: same id across languages (parallel)."""
    rows = []
    for fact in (json.loads(x) for x in (DATA / "answer_key.jsonl").read_text(encoding="utf-8").splitlines()):
        e = fact[lang]
        options = [e["distractors"][0], e["object"], *e["distractors"][1:]]
        question = e["cloze" if split == "memorization" else "question"]
        rows.append({"id": f"{fact['pair']}_sentid:0", "question": question, "options": options, "answer_idx": 1,
                     "metadata": {"docid": fact["pair"], "sentid": 0, "correct_answer": e["object"],
                                  "triple": {"subject": e["subject"], "relation": e["relation"], "object": e["object"]},
                                  "sentence": e["sentence"]}})
    return rows


def write(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def mlda_dir(tmp_path) -> Path:
    folder = tmp_path / "mlda"
    write(folder / "en_knowledge_memorization.jsonl", mlda_rows("en", "memorization"))
    write(folder / "ja_knowledge_memorization.jsonl", mlda_rows("ja", "memorization"))
    write(folder / "en_knowledge_generalization.jsonl", mlda_rows("en", "generalization"))
    return folder


def test_render_cloze_and_question():
    cloze = Item(id="a", fact_id="f", language="en", split="memorization", question="The capital of [BLANK] is Paris.",
                 options=["France", "Spain"], answer_idx=0)
    assert render(cloze) == ("The capital of ", ["France is Paris.", "Spain is Paris."])
    question = Item(id="b", fact_id="f", language="en", split="generalization", question="Which city?",
                    options=["Paris", "Rome"], answer_idx=0)
    assert render(question) == ("Question: Which city?\nAnswer:", [" Paris", " Rome"])


def test_mlda_format_folder(mlda_dir, tmp_path):
    out = tmp_path / "task"
    assert xlfact(["make-task", "--data", str(mlda_dir), "--name", "mlda", "--out", str(out)]) == 0
    summary = json.loads((out / "task_summary.json").read_text())
    assert summary["tasks"] == ["mlda_generalization_en", "mlda_memorization_en", "mlda_memorization_ja"]
    assert summary["parallel_benchmarks"] == ["mlda_memorization"]
    assert "xlfact_benchmark: mlda_memorization\n" in (out / "mlda_memorization_ja.yaml").read_text()
    assert "| mlda_memorization_ja | memorization | - | ja | 12 | yes |" in (out / "README.md").read_text()
    assert sorted(p.name for p in out.glob("_*.yaml")) == ["_mlda.yaml", "_mlda_generalization.yaml",
                                                           "_mlda_memorization.yaml"]
    row = json.loads((out / "data" / "mlda_memorization_ja.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert row["context"] == "フランスの首都は" and row["choices"][row["gold"]] == "パリである。"
    spec = importlib.util.spec_from_file_location("generated_benchmark", out / "benchmark.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the folder declares itself as a Benchmark, as tasks/<name>/benchmark.py does
    assert module.BENCHMARK.name == "mlda" and module.BENCHMARK.owns("mlda_memorization")
    assert module.BENCHMARK.languages == ("en", "ja") and "mlda_memorization_ja" in module.BENCHMARK.tasks


@pytest.mark.parametrize("field, value, message", [
    ("answer_idx", 7, "answer_idx 7 is outside 0..3"),
    ("options", ["a", "a", "b", "c"], "options repeat"),
    ("question", "no blank here", "[BLANK] exactly once"),
])
def test_bad_rows_exit_2(tmp_path, capsys, field, value, message):
    rows = mlda_rows("en", "memorization")
    rows[2][field] = value
    path = write(tmp_path / "en_knowledge_memorization.jsonl", rows)
    assert xlfact(["make-task", "--data", str(path), "--name", "x", "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert f"{path} row 3 (item p03_sentid:0)" in err and message in err
    assert not (tmp_path / "t").exists()


def test_mlda_rows_need_language_and_split(tmp_path, capsys):
    path = write(tmp_path / "data.jsonl", mlda_rows("en", "memorization"))
    assert xlfact(["make-task", "--data", str(path), "--name", "x", "--out", str(tmp_path / "t")]) == 2
    assert "--language and --split" in capsys.readouterr().err
    items = read_items([path], language="en", split="memorization")
    assert len(items) == 12 and items[0].source_language == ""


@pytest.mark.slow
def test_lm_eval_runs_the_folder_with_cross_lingual_metrics(mlda_dir, tmp_path):
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.tasks import TaskManager

    from xlfact.training.tiny_models import build_tiny_llama, spaced_cjk

    out = tmp_path / "task"
    assert xlfact(["make-task", "--data", str(mlda_dir), "--name", "mlda", "--out", str(out)]) == 0
    texts = [json.loads(x)["text"] for x in (DATA / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    model = build_tiny_llama(tmp_path / "model", [spaced_cjk(t) for t in texts], seed=0)
    manager = TaskManager(include_path=str(out), include_defaults=False, metadata={"pretrained": str(model)})
    results = simple_evaluate(model="hf", model_args=f"pretrained={model},dtype=float32", tasks=["mlda"],
                              task_manager=manager, log_samples=True, batch_size=16, device="cpu")
    res = results["results"]
    for task in ("mlda_memorization_en", "mlda_memorization_ja", "mlda_generalization_en"):
        assert {"acc,none", "acc_sum,none"} <= set(res[task])
    gen = res["mlda_generalization_en"]
    assert gen["total_consistency,none"] == pytest.approx(gen["acc,none"])  # one language: consistency = accuracy
    correct = {}
    for task in ("mlda_memorization_en", "mlda_memorization_ja"):
        for sample in results["samples"][task]:
            correct.setdefault(sample["doc"]["fact_id"], []).append(sample["acc"] == 1.0)
    assert all(len(v) == 2 for v in correct.values()) and len(correct) == 12
    both = sum(all(v) for v in correct.values()) / len(correct)
    assert res["mlda_memorization_en"]["total_consistency,none"] == pytest.approx(both)


@pytest.fixture(scope="module")
def merging_tokenizer(tmp_path_factory):
    """A byte-level BPE trained on the Japanese sentences alone, many times: each whole sentence becomes one token,
    so a cloze's correct option + the rest of the sentence adds no token after the prefix (the CJK failure)."""
    from xlfact.training.tiny_models import train_tokenizer

    facts = [json.loads(x) for x in (DATA / "answer_key.jsonl").read_text(encoding="utf-8").splitlines()]
    tokenizer = train_tokenizer([f["ja"]["sentence"] for f in facts] * 20, vocab_size=1200)
    path = tmp_path_factory.mktemp("merging") / "tok"
    tokenizer.save_pretrained(path)
    return path


def test_zero_token_option_is_a_bad_row(tmp_path, capsys, merging_tokenizer):
    path = write(tmp_path / "ja_knowledge_memorization.jsonl", mlda_rows("ja", "memorization"))
    out = tmp_path / "t"
    assert xlfact(["make-task", "--data", str(path), "--name", "x", "--out", str(out), "--tokenizer",
                   str(merging_tokenizer)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{path} row 1 (item p01_sentid:0|memorization|ja): options[" in err
    assert "adds no token after the context ending 'フランスの首都は'" in err and not out.exists()
    # the English rows, or no tokenizer: nothing to object to
    en = write(tmp_path / "en_knowledge_memorization.jsonl", mlda_rows("en", "memorization"))
    assert xlfact(["make-task", "--data", str(en), "--name", "x", "--out", str(out), "--tokenizer",
                   str(merging_tokenizer)]) == 0
    assert xlfact(["make-task", "--data", str(path), "--name", "x", "--out", str(out)]) == 0
    assert xlfact(["make-task", "--data", str(path), "--name", "x", "--out", str(out), "--tokenizer",
                   str(tmp_path / "missing")]) == 2
    assert "--tokenizer" in capsys.readouterr().err


def test_build_drops_unscorable_items_with_a_count(tmp_path, merging_tokenizer):
    from transformers import AutoTokenizer

    from xlfact.builders.adaxeval.corpus import read_corpus
    from xlfact.builders.adaxeval.llm import ScriptedClient
    from xlfact.builders.adaxeval.pipeline import Settings
    from xlfact.builders.adaxeval.scripted import AnswerKey
    from xlfact.builders.cli import build_adaxeval

    client = ScriptedClient(AnswerKey(DATA / "answer_key.jsonl"))
    docs = read_corpus(DATA / "corpus.jsonl")
    tokenizer = AutoTokenizer.from_pretrained(merging_tokenizer)
    report = build_adaxeval(docs, tmp_path / "b", name="t", client=client, judges=[client], settings=Settings(),
                            progress=False, tokenizer=tokenizer)
    check = report["scoring_check"]
    drops = [json.loads(x) for x in (tmp_path / "b" / "drops.jsonl").read_text(encoding="utf-8").splitlines()]
    scoring = {d["unit"] for d in drops if d["step"] == "scoring_check"}
    items = [json.loads(x) for x in (tmp_path / "b" / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    assert check["in"] == 96 and check["dropped"] == len(scoring) > 0 and report["items"] == len(items) == 96 - len(
        scoring)
    assert all(u.endswith("|memorization|ja") for u in scoring) and not scoring & {i["id"] for i in items}

    def adds_no_token(context: str, continuation: str) -> bool:  # counted directly (no spaces to move in Japanese)
        return len(tokenizer(context + continuation)["input_ids"]) <= len(tokenizer(context)["input_ids"])

    kept = [render(Item.model_validate(i)) for i in items]
    assert not any(adds_no_token(context, c) for context, choices in kept for c in choices)
