"""Issue #21: the commands added after the first hardening round, under bad input. Nothing lost (an output never
replaces an input or a user's folder), nothing silently wrong (an index, a resumed file, a cache or a trace folder
built from other inputs is refused; a negative count is not Python's ``[:-1]``; ``true`` is not an index), and every
case ends in one line naming file, row or field with exit status 2, or in the correct result. Every test hashes its
inputs before and after: no input file changes.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest

from xlfact.cli import main as xlfact

# ----------------------------------------------------------------------------------------------- helpers


def cli(argv: list[str], capsys) -> tuple[int, str]:
    """Run ``xlfact argv`` in-process; (exit status, stderr). argparse's own refusals exit through SystemExit."""
    try:
        code = xlfact(argv)
    except SystemExit as stop:
        code = stop.code
    return code, capsys.readouterr().err


def hashes(*paths: Path) -> dict[str, str]:
    """sha256 of every file under ``paths`` (files or folders)."""
    out = {}
    for path in paths:
        files = sorted(p for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() else [Path(path)]
        for f in files:
            out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def refused(code: int, err: str, *needles: str) -> str:
    """Exit 2, no traceback, one stderr line, naming every needle; returns that line."""
    assert code == 2, err[-2000:]
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err[-2000:]  # one line (argparse's usage block included)
    last = err.strip().splitlines()[-1]
    for needle in needles:
        assert needle in last, (needle, last)
    return last


def item_row(i: int, **changes) -> dict:
    row = {"id": f"q{i}", "fact_id": f"f{i}", "language": "en", "split": "generalization",
           "question": f"Which is option {i}?", "options": ["a", "b", "c", "d"], "answer_idx": 3}
    return {**row, **changes}


def write_items(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "notes.txt").write_text("the user's own notes\n", encoding="utf-8")
    return folder


# ----------------------------------------------------------------------------------------------- make-task
def test_make_task_never_writes_over_its_input(tmp_path, capsys):
    """Before: `make-task --data d --out d` exited 0 and deleted d/items.jsonl and every other file in d."""
    data = write_items(tmp_path / "d", [item_row(1), item_row(2)])
    before = hashes(data)
    code, err = cli(["make-task", "--data", str(data), "--name", "x", "--out", str(data)], capsys)
    refused(code, err, "--out", str(data), "is the input")
    code, err = cli(["make-task", "--data", str(data / "items.jsonl"), "--name", "x", "--out", str(data)], capsys)
    refused(code, err, "--out", "holds the input")
    assert hashes(data) == before


def test_make_task_refuses_a_users_folder_unless_asked(tmp_path, capsys):
    """Before: any existing --out folder was emptied without a word (a user's notes.txt gone)."""
    data = write_items(tmp_path / "d", [item_row(1), item_row(2)])
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me\n")
    before = hashes(data, out)
    code, err = cli(["make-task", "--data", str(data), "--name", "x", "--out", str(out)], capsys)
    refused(code, err, "--out", "not written by xlfact", "--overwrite")
    assert hashes(data, out) == before
    # make-task's own folder is replaced on a re-run; --overwrite replaces a user's folder when asked
    fresh = tmp_path / "task"
    assert cli(["make-task", "--data", str(data), "--name", "x", "--out", str(fresh)], capsys)[0] == 0
    assert cli(["make-task", "--data", str(data), "--name", "x", "--out", str(fresh)], capsys)[0] == 0
    assert cli(["make-task", "--data", str(data), "--name", "x", "--out", str(out), "--overwrite"], capsys)[0] == 0
    assert not (out / "notes.txt").exists() and (out / "task_summary.json").is_file()
    assert hashes(data) == {k: v for k, v in before.items() if k.startswith(str(data))}


def test_make_task_out_dot_is_one_line(tmp_path, capsys, monkeypatch):
    """Before: `--out .` ended in a ValueError traceback."""
    data = write_items(tmp_path / "d", [item_row(1)])
    work = tmp_path / "work"
    work.mkdir()
    (work / "draft.txt").write_text("x")
    monkeypatch.chdir(work)
    before = hashes(data, work)
    refused(*cli(["make-task", "--data", str(data), "--name", "x", "--out", "."], capsys), "--out .")
    assert hashes(data, work) == before


@pytest.mark.parametrize("index", [True, "1"], ids=["true", "string"])
def test_make_task_answer_index_is_strict(tmp_path, capsys, index):
    """Before: `answer_idx: true` and `"1"` were read as option 1 (the row's gold was 3)."""
    data = write_items(tmp_path / "d", [item_row(1), item_row(2, answer_idx=index)])
    before = hashes(data)
    refused(*cli(["make-task", "--data", str(data), "--name", "x", "--out", str(tmp_path / "t")], capsys),
            "items.jsonl row 2", "answer_idx")
    assert hashes(data) == before and not (tmp_path / "t").exists()


@pytest.mark.parametrize("index", [True, "1"], ids=["true", "string"])
def test_polyfact_answer_index_is_strict(index):
    """`xlfact eval` reads PolyFact through this loader: before, `answer_index: "1"` was accepted."""
    from xlfact.tasks.polyfact.data import PolyFactDataError, validate_row

    raw = {"fact_id": "Q1", "question": "Capital of France?", "option_a": "Paris", "option_b": "Rome",
           "option_c": "Oslo", "option_d": "Bern", "answer_text": "Paris", "answer_index": index}
    with pytest.raises(PolyFactDataError, match=r"row 4 .*answer_index .* is not an integer"):
        validate_row(raw, "en", "test.jsonl", 4)
    assert validate_row({**raw, "answer_index": 0}, "en", "test.jsonl", 4)["gold"] == 0


# ----------------------------------------------------------------------------------------------- frequency
@pytest.fixture()
def freq_inputs(tmp_path, klar_fixture_writer):
    """A KLAR fixture (en only) and corpora: A has 'Paris France' twice, B ten times."""
    pytest.importorskip("infini_gram")
    klar = klar_fixture_writer(tmp_path / "klar", langs=("en",))
    doc = json.dumps({"text": "France Paris"}) + "\n"
    (tmp_path / "A.jsonl").write_text(doc * 2 + json.dumps({"text": "other"}) + "\n")
    (tmp_path / "B.jsonl").write_text(doc * 10)
    return tmp_path, klar


def _freq(root: Path, klar: Path, corpus: str, index: str, out: str, *extra: str) -> list[str]:
    return ["frequency", "--klar-dir", str(klar), "--languages", "en", "--limit", "1", "--corpus", str(root / corpus),
            "--index", str(root / index), "--output_path", str(root / out), *extra]


def _paris_count(path: Path) -> int:
    data = json.loads(path.read_text())
    return next(f["frequency"] for rel in data["en"].values() for f in rel if f["object"] == "Paris")


def test_frequency_index_knows_its_corpus(freq_inputs, capsys):
    """Before: an index folder was reused whatever corpus built it (A's count 2 where B's real count is 10)."""
    root, klar = freq_inputs
    before = hashes(root / "A.jsonl", root / "B.jsonl", klar)
    assert cli(_freq(root, klar, "A.jsonl", "idx", "a.json"), capsys)[0] == 0
    assert _paris_count(root / "a.json") == 2
    refused(*cli(_freq(root, klar, "B.jsonl", "idx", "b.json"), capsys), "--index", "corpus differs",
            "--rebuild_index")
    assert not (root / "b.json").exists()
    assert cli(_freq(root, klar, "B.jsonl", "idx", "b.json", "--rebuild_index"), capsys)[0] == 0
    assert _paris_count(root / "b.json") == 10
    assert hashes(root / "A.jsonl", root / "B.jsonl", klar) == before


def test_frequency_bad_corpus_keeps_the_old_index(freq_inputs, capsys):
    """Before: --rebuild_index deleted the old index before reading the new corpus, so a corpus with a bad line left
    no index at all, and the staged copy lingered beside it as ``<index>.data``."""
    root, klar = freq_inputs
    assert cli(_freq(root, klar, "A.jsonl", "idx", "a.json"), capsys)[0] == 0
    index_before = hashes(*sorted(p for p in (root / "idx").iterdir() if p.is_file()))
    (root / "C.jsonl").write_text(json.dumps({"text": "France Paris"}) + "\n" + '{"txt": "no text field"}\n')
    refused(*cli(_freq(root, klar, "C.jsonl", "idx", "c.json", "--rebuild_index"), capsys), "C.jsonl", "line 2",
            "'text' field")
    assert hashes(*sorted(p for p in (root / "idx").iterdir() if p.is_file())) == index_before
    assert not (root / "c.json").exists()
    assert sorted(p.name for p in root.iterdir() if p.name.endswith(".data")) == []


def test_frequency_resume_knows_its_corpus(freq_inputs, capsys):
    """Before: resuming into an --output_path with counts from another corpus kept every old count."""
    root, klar = freq_inputs
    assert cli(_freq(root, klar, "A.jsonl", "ia", "f.json"), capsys)[0] == 0
    before = hashes(root / "f.json")
    refused(*cli(_freq(root, klar, "B.jsonl", "ib", "f.json"), capsys), "f.json", "corpus differs", "--overwrite")
    assert hashes(root / "f.json") == before
    assert cli(_freq(root, klar, "B.jsonl", "ib", "f.json", "--overwrite"), capsys)[0] == 0
    assert _paris_count(root / "f.json") == 10


def test_frequency_never_indexes_into_a_users_folder(freq_inputs, capsys):
    root, klar = freq_inputs
    mine = root / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    refused(*cli(_freq(root, klar, "A.jsonl", "mine", "f.json"), capsys), "--index", "not written by xlfact")
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    refused(*cli(_freq(root, klar, "A.jsonl", "idx", "A.jsonl"), capsys), "--output_path", "is the input")


def test_frequency_negative_limit(freq_inputs, capsys):
    """Before: `--limit -1` silently dropped the last fact of every relation."""
    root, klar = freq_inputs
    argv = _freq(root, klar, "A.jsonl", "idx", "f.json")
    argv[argv.index("--limit") + 1] = "-1"
    refused(*cli(argv, capsys), "--limit", "-1", "whole number >= 0")


@pytest.mark.parametrize(("name", "content", "needles"), [
    ("ff.txt", b"France Paris\n\xffboom\n", ("ff.txt line 2", "0xff")),
    ("empty.jsonl", b"\n\n", ("empty.jsonl", "no documents")),
], ids=["0xff-byte", "empty"])
def test_frequency_bad_corpus_is_one_line(freq_inputs, capsys, name, content, needles):
    """Before: a 0xFF byte gave a traceback naming no file; an empty corpus the indexer's OverflowError."""
    root, klar = freq_inputs
    (root / name).write_bytes(content)
    before = hashes(root / name)
    refused(*cli(_freq(root, klar, name, "idx", "f.json"), capsys), *needles)
    assert hashes(root / name) == before


def test_frequency_paths_with_spaces_work(freq_inputs, capsys):
    """Before: a path with a space ended in 24 lines of the indexer's usage (it runs its steps through a shell)."""
    root, klar = freq_inputs
    spaced = root / "my corpus"
    spaced.mkdir()
    (spaced / "c.jsonl").write_text((root / "B.jsonl").read_text())
    assert cli(_freq(root, klar, "my corpus/c.jsonl", "my index", "my out.json"), capsys)[0] == 0
    assert _paris_count(root / "my out.json") == 10


# ----------------------------------------------------------------------------------------------- build adaxeval
ADAXEVAL = Path(__file__).resolve().parent / "data" / "adaxeval"


def _build(out: Path, *extra: str) -> list[str]:
    return ["build", "adaxeval", "--corpus", str(ADAXEVAL / "corpus.jsonl"), "--out", str(out), "--llm", "answer_key",
            "--model", str(ADAXEVAL / "answer_key.jsonl"), "--no_progress", *extra]


def test_build_negative_max_docs(tmp_path, capsys):
    """Before: `--max_docs -1` built 88 items instead of 96 (Python's [:-1])."""
    refused(*cli(_build(tmp_path / "o", "--max_docs", "-1"), capsys), "--max_docs", "-1")
    assert not (tmp_path / "o").exists()


def test_build_refuses_a_users_folder(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    refused(*cli(_build(out), capsys), "--out", "not written by xlfact")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_build_null_cached_answer_is_asked_again(tmp_path, capsys):
    """Before: a cache entry whose answer is null ended in a TypeError; now it is damaged and asked again."""
    before = hashes(ADAXEVAL)
    out = tmp_path / "bench"
    assert cli(_build(out), capsys)[0] == 0
    first = (out / "items.jsonl").read_text()
    entries = sorted((out / "cache").rglob("*.json"))
    entries = [e for e in entries if e.name != "xlfact_provenance.json"]
    for entry in entries[:5]:
        data = json.loads(entry.read_text())
        entry.write_text(json.dumps({**data, "answer": None}))
    assert cli(_build(out), capsys)[0] == 0
    assert (out / "items.jsonl").read_text() == first
    assert hashes(ADAXEVAL) == before


def test_build_cache_knows_its_models(tmp_path, capsys):
    """A cache is keyed by model name; a model file of the same name that changed is refused, naming it."""
    key = tmp_path / "answer_key.jsonl"
    key.write_bytes((ADAXEVAL / "answer_key.jsonl").read_bytes())
    argv = _build(tmp_path / "bench")
    argv[argv.index("--model") + 1] = str(key)
    assert cli(argv, capsys)[0] == 0
    with key.open("a") as handle:
        handle.write("\n")
    refused(*cli(argv, capsys), "--cache", str(key), "use another --cache")


# ----------------------------------------------------------------------------------------------- recipes
RECIPE = "sft_qwen2.5-7b"


@pytest.mark.parametrize(("override", "needles"), [
    ("training.learning_rate=fast", ("training.learning_rate", "'fast'")),
    ("training.save_every=abc", ("training.save_every", "'abc'")),
    ("lora.r=0", ("lora.r", "0")),
    ("training.learning_rate=.nan", ("training.learning_rate", "nan")),
    ("training.save_every=-5", ("training.save_every", "-5")),
    ("data.max_facts=-1", ("data.max_facts", "-1")),
])
def test_recipe_values_are_checked_by_dry_run(tmp_path, capsys, override, needles):
    """Before: these passed --dry-run ("all checks passed") and the real run died after the model loaded (or
    save_every=-5 trained and wrote checkpoints/step0)."""
    code, err = cli(["train", "sft", "--config", RECIPE, "--dry-run", f"output_dir={tmp_path / 'o'}", override],
                    capsys)
    refused(code, err, *needles)
    assert not (tmp_path / "o").exists()


def test_recipe_file_value_names_the_file(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("recipe: sft\nmodel: {name_or_path: m}\noutput_dir: out\ntraining:\n  learning_rate: fast\n")
    before = hashes(recipe)
    refused(*cli(["train", "sft", "--config", str(recipe), "--dry-run"], capsys), str(recipe),
            "training.learning_rate")
    assert hashes(recipe) == before


SHIPPED_GPU = ["sft_qwen2.5-7b", "sft_olmo2-7b", "grpo_qwen2.5-7b", "grpo_olmo2-7b", "cpt_qwen2.5-7b", "cpt_olmo2-7b",
               "fictional_clika", "fictional_clika_full", "fictional_clika_lora_all"]


@pytest.mark.parametrize("name", SHIPPED_GPU)
def test_shipped_gpu_recipe_dry_runs_on_cpu(tmp_path, capsys, name):
    """Before: 9 of 9 paper recipes failed --dry-run without a GPU ("Your setup doesn't support bf16/gpu")."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("this check is about machines without a GPU")
    recipe = name.split("_")[0]
    extra = []
    if recipe == "cpt":  # the corpus lives on the cluster: give a local stand-in
        corpus = tmp_path / "corpus.jsonl"
        corpus.write_text(json.dumps({"doc_id": "d", "texts": {"en": "a", "fr": "b"}}) + "\n")
        extra = [f"data.corpus={corpus}", "data.sources=null"]
    try:
        code = xlfact(["train", recipe, "--config", name, "--dry-run", f"output_dir={tmp_path / 'o'}", *extra])
    except SystemExit as stop:
        code = stop.code
    out = capsys.readouterr()
    assert code == 0, out.err[-1500:]
    assert "all checks passed" in out.out and "# not checked here: training.bf16" in out.out
    assert "bf16: true" in out.out


# ----------------------------------------------------------------------------------------------- analyze
def test_analyze_latin1_text_names_file_and_line(tmp_path, capsys):
    """Before: `analyze lahis` with a Latin-1 text file ended in a UnicodeDecodeError traceback."""
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "en.txt").write_bytes("plain line\ncafé au lait\n".encode("latin-1"))
    before = hashes(texts)
    refused(*cli(["analyze", "lahis", "--model", str(tmp_path / "no_model"), "--text-dir", str(texts), "--langs", "en",
                  "--out", str(tmp_path / "o")], capsys), "en.txt line 2", "not UTF-8", "0xe9")
    assert hashes(texts) == before


def test_analyze_missing_model_folder_is_one_line(tmp_path, capsys):
    """Before: 81 lines about hub repository ids."""
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "en.txt").write_text("one line\n")
    refused(*cli(["analyze", "lahis", "--model", str(tmp_path / "missing" / "model"), "--text-dir", str(texts),
                  "--langs", "en", "--out", str(tmp_path / "o")], capsys), "--model", "no such folder")


def test_analyze_logit_lens_negative_limit(tmp_path, capsys):
    """Before: `--limit -1` dropped the last item (Python's [:-1])."""
    refused(*cli(["analyze", "logit-lens", "--model", "m", "--limit", "-1", "--out", str(tmp_path / "o")], capsys),
            "--limit", "-1")


def test_analyze_output_is_never_an_input(tmp_path, capsys):
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "en.txt").write_text("one line\n")
    before = hashes(texts)
    refused(*cli(["analyze", "lahis", "--model", "m", "--text-dir", str(texts), "--langs", "en", "--out", str(texts)],
                 capsys), "--output_path", "is the input")
    assert hashes(texts) == before


# ----------------------------------------------------------------------------------------------- trace analyses
def _frequencies(path: Path, indices=(1, 2, 3)) -> Path:
    path.write_text(json.dumps({"en": {"capital_of": [{"subject": f"s{i}", "object": f"o{i}", "index": i,
                                                       "frequency": 10 * i} for i in indices]}}))
    return path


def _records(path: Path, rows: list[tuple[str, int, bool]]) -> Path:
    path.write_text("".join(json.dumps({"checkpoint": c, "lang": "en", "relation": "capital_of", "index": i,
                                        "correct": ok}) + "\n" for c, i, ok in rows))
    return path


def test_trace_frequency_contradictory_records(tmp_path, capsys):
    """Before: of two contradictory records for one fact and checkpoint, one was kept without a word."""
    freq = _frequencies(tmp_path / "f.json")
    rec = _records(tmp_path / "r.jsonl", [("step1", 1, True), ("step1", 2, False), ("step1", 1, False)])
    before = hashes(freq, rec)
    refused(*cli(["trace", "frequency", "--records", str(rec), "--frequencies", str(freq), "--output_path",
                  str(tmp_path / "a.json")], capsys), "r.jsonl row 3", "fact 1", "r.jsonl row 1")
    assert hashes(freq, rec) == before and not (tmp_path / "a.json").exists()


def test_trace_frequency_reports_repeats_and_unknown_indices(tmp_path, capsys):
    """Before: a record whose index is in no frequency list was ignored without a word."""
    freq = _frequencies(tmp_path / "f.json")
    rec = _records(tmp_path / "r.jsonl", [("step1", 1, True), ("step1", 2, False), ("step1", 3, True),
                                          ("step1", 1, True), ("step1", 99, True)])
    code, err = cli(["trace", "frequency", "--records", str(rec), "--frequencies", str(freq), "--output_path",
                     str(tmp_path / "a.json")], capsys)
    assert code == 0, err
    assert "1 repeated record(s)" in err and "no frequency list" in err and "99" in err
    checks = json.loads((tmp_path / "a.json").read_text())["record_checks"]
    assert checks["duplicates"] == {"step1": 1} and checks["not_in_frequencies"] == {"step1": {"en": [99]}}


def test_trace_frequency_non_utf8_frequencies(tmp_path, capsys):
    freq = tmp_path / "f.json"
    freq.write_bytes(_frequencies(tmp_path / "f.json").read_bytes().replace(b"s1", b"s\xe91"))
    rec = _records(tmp_path / "r.jsonl", [("step1", 1, True)])
    refused(*cli(["trace", "frequency", "--records", str(rec), "--frequencies", str(freq), "--output_path",
                  str(tmp_path / "a.json")], capsys), "f.json line 1", "not UTF-8")


def _similarity(tmp_path: Path, analysis: Path, *extra: str) -> list[str]:
    (tmp_path / "ckpts").mkdir(exist_ok=True)
    return ["trace", "similarity", "--checkpoints", str(tmp_path / "ckpts"), "--analysis", str(analysis),
            "--frequencies", str(_frequencies(tmp_path / "f.json")), "--klar-dir", str(tmp_path / "klar"),
            "--output_path", str(tmp_path / "s.json"), *extra]


def test_trace_similarity_batch_size_zero(tmp_path, capsys):
    analysis = tmp_path / "a.json"
    analysis.write_text("{}")
    refused(*cli(_similarity(tmp_path, analysis, "--batch-size", "0"), capsys), "--batch-size", "0")


@pytest.mark.parametrize("text", ['{"order": ["x"]}', "[1, 2]", "{not json"], ids=["keys", "list", "syntax"])
def test_trace_similarity_wrong_analysis_json(tmp_path, capsys, text):
    """Before: a wrong --analysis JSON printed only `'checkpoints'`."""
    analysis = tmp_path / "a.json"
    analysis.write_text(text)
    before = hashes(analysis)
    refused(*cli(_similarity(tmp_path, analysis), capsys), "--analysis", str(analysis))
    assert hashes(analysis) == before


def test_trace_refuses_a_users_output_folder(tmp_path, capsys):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    refused(*cli(["trace", "--checkpoints", str(ckpt), "--tasks", "polyfact_en", "--output_path", str(out)], capsys),
            "--output_path", "not written by xlfact")
    refused(*cli(["trace", "--checkpoints", str(ckpt), "--tasks", "polyfact_en", "--output_path", str(ckpt)],
                 capsys), "--output_path", "is the input")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_trace_folder_knows_its_checkpoint(tmp_path):
    """A finished checkpoint folder records the checkpoint's files: retrained in place, it is not taken as traced."""
    import argparse

    from xlfact.analysis.tracing.trace import MARKER, Checkpoint, _settings, finished_run
    from xlfact.core.runs import RunError

    ckpt = tmp_path / "checkpoint-1"
    ckpt.mkdir()
    (ckpt / "model.safetensors").write_bytes(b"v1")
    args = argparse.Namespace(model="hf", tasks=["polyfact_en"], limit=None, num_fewshot=None, metadata=None)
    point = Checkpoint("checkpoint-1", str(ckpt), {"pretrained": str(ckpt)}, 1.0)
    folder = tmp_path / "trace" / "checkpoint-1"
    folder.mkdir(parents=True)
    (folder / MARKER).write_text(json.dumps({"label": "checkpoint-1", "settings": _settings(point, args)}))
    (ckpt / "model.safetensors").write_bytes(b"v2 retrained")
    with pytest.raises(RunError, match="source_files differs"):
        finished_run(folder, _settings(point, args))


# ----------------------------------------------------------------------------------------------- models
def test_share_prefix_is_a_strict_boolean():
    """Before: `share_prefix=maybe` was read as true."""
    from xlfact.errors import UsageError
    from xlfact.models.shared_prefix import SharedPrefixHFLM

    with pytest.raises(UsageError, match=r"share_prefix: 'maybe' is not true or false"):
        SharedPrefixHFLM(pretrained="never-loaded", share_prefix="maybe")


def test_tokenizer_larger_than_the_vocabulary(tiny_model_dir):
    """Before: an IndexError mid-run; now one line before any request."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from xlfact.errors import UsageError
    from xlfact.models.shared_prefix import SharedPrefixHFLM

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    small = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer) // 2, hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2))
    with pytest.raises(UsageError, match=rf"{len(tokenizer)} tokens, but the model embeds only {len(tokenizer) // 2}"):
        SharedPrefixHFLM(pretrained=small, tokenizer=tokenizer, batch_size=2, device="cpu")


def test_fictional_template_is_checked():
    """Before: `--metadata fictional_template=bogus` ended in a traceback with exit 1."""
    from xlfact.errors import DataError
    from xlfact.tasks.clika.utils import load_fictional_docs

    with pytest.raises(DataError, match=r"--metadata fictional_template='bogus': expected one of alpaca, plain"):
        load_fictional_docs(xlfact_lang="de", fictional_template="bogus", clika_dir="/nonexistent")


# ----------------------------------------------------------------------------------------------- leaderboard
def _runs(tmp_path: Path, names: list[str]) -> list[Path]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_reader_helpers", Path(__file__).with_name("test_run_reader.py"))
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)  # its lm-eval-layout run writer (no model needed)
    write_run, DATE_OLD = helpers.write_run, helpers.DATE_OLD
    folders = []
    for seed, name in enumerate(names):
        folder = write_run(tmp_path / f"run{seed}", DATE_OLD, seed=seed)
        results = next(folder.glob("results_*.json"))
        data = json.loads(results.read_text())
        data["model_name"] = name
        data["config"]["model_args"] = f"pretrained={name}"
        results.write_text(json.dumps(data))
        folders.append(folder)
    return folders


def test_leaderboard_long_and_multiline_model_names(tmp_path, capsys):
    """Before: a model name over 255 characters ended in `OSError: File name too long`; a line break in a name
    broke leaderboard.md's table."""
    runs = _runs(tmp_path, ["x" * 300, "evil\n| injected | row |\nname"])
    before = hashes(*runs)
    site = tmp_path / "site"
    code, err = cli(["leaderboard", "build", *map(str, runs), "--output_path", str(site), "--bootstrap", "0"], capsys)
    assert code == 0, err
    assert all(len(p.name) <= 255 for p in site.rglob("*"))
    table = [line for line in (site / "leaderboard.md").read_text().splitlines() if "injected" in line]
    assert table and all(line.startswith("|") and line.endswith("|") for line in table)
    assert hashes(*runs) == before


def test_leaderboard_output_guard(tmp_path, capsys):
    runs = _runs(tmp_path, ["m"])
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    refused(*cli(["leaderboard", "build", str(runs[0]), "--output_path", str(mine), "--bootstrap", "0"], capsys),
            "not written by xlfact")
    refused(*cli(["leaderboard", "build", str(runs[0]), "--output_path", str(runs[0]), "--bootstrap", "0"], capsys),
            "is the input")


# ----------------------------------------------------------------------------------------------- the value checker
@pytest.mark.parametrize(("value", "kind", "ok"), [
    ("3", "count", 3), (0, "count", 0), (-1, "count", None), (True, "count", None), ("x", "count", None),
    (0, "size", None), (math.nan, "number", None), (math.inf, "positive_number", None), ("1e-4", "number", 1e-4),
    ("maybe", "bool", None), ("False", "bool", False), (1, "index", 1), (True, "index", None), ("1", "index", None),
])
def test_value_checker(value, kind, ok):
    from xlfact.core.values import ValueProblem, coerce

    if ok is None:
        with pytest.raises(ValueProblem):
            coerce(value, kind)
    else:
        assert coerce(value, kind) == ok
