"""MKQA scoring equals the official scorer (apple/ml-mkqa ``mkqa_eval.py``) on the official test cases, item by item.

The 16 cases of ``tests/test_mkqa_eval.py`` are restated here (prediction, binary answer, gold strings, language and
the expected EM / F1 the official test asserts); the end-to-end case reads the official test files from a checkout of
apple/ml-mkqa (``$XLFACT_MKQA_REPO``: a work tree, or a git directory read with ``git show``) and is skipped without
one: nothing of the repository is vendored. The per-example values it asserts were obtained by running the official
``mkqa_eval.py`` on those files.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from xlfact.evaluators import mkqa

# (id, prediction, binary_answer, gold answers, lang, expected EM, expected F1) — test_compute_mkqa_scores and
# test_compute_mkqa_scores_in_different_languages of the official tests.
OFFICIAL_CASES = [
    ("1", "first dummy answer", None, ["first dummy answer", "second dummy answer"], "en", 1.0, 1.0),
    ("2", "alternative answer", None, ["dummy answer one", "alternative answer two"], "en", 0.0, 0.8),
    ("3", "an answer ?? without stopwords", None, ["answer -- without, stopwords!!"], "en", 1.0, 1.0),
    ("4", "", None, [""], "en", 1.0, 1.0),
    ("5", "", None, ["first dummy answer", "second dummy answer"], "en", 0.0, 0.0),
    ("6", "", None, ["yes"], "en", 0.0, 0.0),
    ("7", "wrong answer", "yes", ["yes"], "en", 1.0, 1.0),
    ("8", "distractor answer", "no", ["yes"], "en", 0.0, 0.0),
    ("9", "", "no", [""], "en", 0.0, 0.0),
    ("10", "final prediction", None, ["penultimate", "final prediction"], "en", 1.0, 1.0),
    ("es", "esto es manzana", None, ["esto es una manzana", "esta es otra manzana"], "es", 1.0, 1.0),
    ("ar", "تفاحة", None, ["التفاحة", "هذه تفاحة"], "ar", 1.0, 1.0),
    ("fr", "c'est de la pomme", None, ["c'est la pomme", "c'est une autre pomme"], "fr", 1.0, 1.0),
    ("hu", "ez egy alma", None, ["ez alma", "ez egy újabb alma"], "hu", 1.0, 1.0),
    ("zh", "这个一个苹果", None, ["这是还是苹果", "这是另一个苹果"], "zh_cn", 0.0, 0.7692307692307692),
    ("km", "នេះគឺជាផ្លែប៉ោម", None, ["នេះគឺជាផ្លែប៉ោមមួយទៀត"], "km", 0.0, 0.8333333333333333),
]


@pytest.mark.parametrize("case", OFFICIAL_CASES, ids=[c[0] for c in OFFICIAL_CASES])
def test_official_cases_item_by_item(case):
    _, prediction, binary, golds, lang, expected_em, expected_f1 = case
    em, f1 = mkqa.score_example(prediction, golds, lang, binary_answer=binary)
    assert em == expected_em
    assert f1 == expected_f1  # exact float equality, as the official test asserts


def test_mixed_segmentation_splits_every_character_as_the_reference_does():
    # The reference's buffer of non-CJK text is never filled: Latin letters become tokens too.
    assert mkqa.normalize_answer("Ab 北京", "zh_cn") == "a b 北 京"
    assert mkqa.normalize_answer("Ab 北京", "en") == "ab 北京"
    assert mkqa.normalize_answer("les pommes", "fr") == "s pommes"  # no closing \b in the French regex
    assert mkqa.normalize_answer("。，", "zh_cn") == "。 ，"  # only ASCII punctuation is removed


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="empty list of gold answers"):
        mkqa.score_example("x", [], "en")
    with pytest.raises(ValueError, match="binary_answer"):
        mkqa.scored_text("x", "maybe")
    with pytest.raises(ValueError, match="unknown language"):
        mkqa.check_language("zh")


# ----------------------------------------------------------------------------------------------- official test files
# example id -> (EM, F1) from running the official mkqa_eval.compute_mkqa_scores_for_language on
# tests/testdata/{test_mkqa.jsonl.gz, en_prediction.jsonl} (language en).
OFFICIAL_E2E_PER_ITEM = {
    "36228854473990432": (0.0, 0.0),
    "7721692200040168186": (0.0, 0.0),
    "2961317153244610375": (0.0, 0.0),
    "2904274678882358283": (0.0, 0.0),
    "-7449157003522518870": (0.0, 0.8571428571428571),
    "7631360939705650347": (1.0, 1.0),
}
# test_compute_metrics_end_2_end's expected metrics, and summarize_default_metrics on the same run.
OFFICIAL_E2E_BEST = {"best_em": 66.67, "best_f1": 80.95, "best_answerable_em": 33.33, "best_answerable_f1": 61.9,
                     "best_unanswerable_em": 100.0, "best_f1_threshold": -6.91}
OFFICIAL_E2E_DEFAULT = {"exact_match": 16.67, "f1": 30.95, "answerable_exact_match": 33.33, "answerable_f1": 61.9,
                        "unanswerable_exact_match": 0.0}


def _official_file(rel: str) -> bytes:
    root = os.environ.get("XLFACT_MKQA_REPO", "/work/.mirror/apple+ml-mkqa/repo")
    path = Path(root)
    if (path / rel).is_file():
        return (path / rel).read_bytes()
    if (path / "HEAD").is_file():
        done = subprocess.run(["git", "--git-dir", str(path), "show", f"HEAD:{rel}"], capture_output=True)
        if done.returncode == 0:
            return done.stdout
    pytest.skip(f"no apple/ml-mkqa checkout with {rel} (set XLFACT_MKQA_REPO)")


def test_official_test_files_end_to_end(tmp_path):
    from xlfact.tasks.mkqa.data import read_mkqa_file

    gz = tmp_path / "test_mkqa.jsonl.gz"
    gz.write_bytes(_official_file("tests/testdata/test_mkqa.jsonl.gz"))
    predictions = [json.loads(line) for line in io.StringIO(_official_file(
        "tests/testdata/en_prediction.jsonl").decode("utf-8"))]
    examples = {ex["example_id"]: ex for ex in read_mkqa_file(gz)}
    texts, em, f1, probs, answerable = {}, {}, {}, {}, {}
    for pred in predictions:
        qid = str(pred["example_id"])
        golds = mkqa.gold_strings(examples[qid]["answers"]["en"])
        texts[qid] = mkqa.scored_text(pred["prediction"], pred["binary_answer"])
        em[qid], f1[qid] = mkqa.score_example(pred["prediction"], golds, "en", pred["binary_answer"])
        probs[qid] = pred.get("no_answer_prob", 0)
        answerable[qid] = mkqa.is_answerable(golds)
    assert {q: (em[q], f1[q]) for q in em} == OFFICIAL_E2E_PER_ITEM
    assert mkqa.best_threshold_summary(texts, em, f1, probs, answerable) == OFFICIAL_E2E_BEST
    assert mkqa.default_summary(em, f1, answerable) == OFFICIAL_E2E_DEFAULT
    with gzip.open(gz, "rt", encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == len(examples) == 6
