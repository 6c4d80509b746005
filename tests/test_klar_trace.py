"""klar_trace: generated configs are current, MFT's prompt, the prefix mode of the one matcher, CLC in the report."""

from __future__ import annotations

import pytest

from xlfact.evaluators.klar import trace_relation_clc, trace_report_extras
from xlfact.evaluators.matching import answer_matches
from xlfact.tasks.config_writer import stale_files
from xlfact.tasks.klar_trace import generate_configs
from xlfact.tasks.klar_trace.data import LANGUAGES, RELATIONS, format_query, load_documents
from xlfact.tasks.klar_trace.report import trace_report_section


def test_generated_configs_are_current():
    for name, text in generate_configs.expected_files().items():
        assert (generate_configs.HERE / name).read_text(encoding="utf-8") == text, f"run {generate_configs.__file__}"
    assert stale_files(generate_configs.HERE, "klar_trace", generate_configs.expected_files()) == []
    assert len(LANGUAGES) == 12 and len(RELATIONS) == 12


@pytest.mark.parametrize(("pred", "target", "ok"), [
    ("Alberta\nWhat is the capital", "Alberta", True),  # whole output, newline included: target is its prefix
    ("A", "Alberta", True),  # one character that prefixes the object suffices
    ("the Netherlands", "Netherlands", False),
    ("艾伯塔", "艾伯塔省", True),
    ("  PARIS  ", "paris", True),
    ("", "Paris", False),
    ("   ", "Paris", False),
    ("Paris.", "Paris", True),
    ("«Paris»", "Paris", False),  # no punctuation handling in this mode
])
def test_prefix_mode(pred, target, ok):
    assert answer_matches(pred, target, mode="prefix") is ok


def test_template_zero_drops_mask_and_everything_after():
    assert format_query("<subject> is located in <mask>.", "Eiger") == "Eiger is located in"
    assert format_query("<subject>の首都は：<mask>です。", "X") == "Xの首都は："


def test_documents_follow_mft_prompt(klar_dir=None):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "KLAR-CLC"
    if not (root / "en").is_dir():
        pytest.skip("../shared/data/KLAR-CLC is absent")
    docs = {lang: load_documents(root, lang) for lang in ("en", "ja")}
    assert len(docs["en"]) == 1197 and [d["index"] for d in docs["en"]] == [d["index"] for d in docs["ja"]]
    d = docs["en"][0]
    lines = d["prompt"].split("\n")
    assert len(lines) == 4 and not d["prompt"].endswith(" ") and lines[-1] == d["query"]
    assert "<mask>" not in d["prompt"] and d["index"] not in d["demonstrations"]
    again = load_documents(root, "en")[0]  # per-item seeding: the same prompt every time
    assert again["prompt"] == d["prompt"]


def test_report_clc_per_paper():
    recs = [{"benchmark": "klar_trace", "item": str(i), "lang": lang, "correct": ok, "relation": rel}
            for i, rel, per in ((1, "a", {"en": True, "fr": True, "ar": False}),
                                (2, "a", {"en": True, "fr": False, "ar": False}),
                                (3, "b", {"en": False, "fr": True, "ar": False}))
            for lang, ok in per.items()]
    out = trace_report_extras(recs)
    assert out["clc/en"] == 1.0 and out["clc/fr"] == pytest.approx(1 / 3) and out["clc/ar"] == 0.0
    assert out["clc_overall"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    per = trace_relation_clc(recs)
    assert per["en"]["b"] == 1.0 and per["fr"]["a"] == 0.5 and per["fr"]["b"] == 0.0
    section = trace_report_section({"klar_trace": recs})
    assert "overall 0.4444" in section and "| fr   | 3 | 0.6667 | 0.3333 | 0.500 | 0.000 |" in section


def test_report_clc_per_relation_is_null_for_a_relation_a_language_was_not_asked():
    """A --limit run: fr was asked only relation a; its CLC in relation b is not measured (was 0.0)."""
    recs = [{"benchmark": "klar_trace", "item": str(i), "lang": lang, "correct": True, "relation": rel}
            for i, rel, langs in ((1, "a", ("en", "fr")), (2, "b", ("en",))) for lang in langs]
    per = trace_relation_clc(recs)
    assert per["fr"] == {"a": 1.0, "b": None} and per["en"] == {"a": 1.0, "b": 1.0}
    assert "| fr   | 1 | 1.0000 | 0.5000 | 1.000 | –     |" in trace_report_section({"klar_trace": recs})
