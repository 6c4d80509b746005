"""PolyFact's missing variants: the free-form task (one resolver with the GRPO reward), the verification-label
filters, and WIKI-FACT tasks whose RankC aligns options by text."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from xlfact.errors import DataError, UsageError
from xlfact.evaluators.consistency import cross_lingual_metrics, rankc_pair
from xlfact.evaluators.matching import alignment_key
from xlfact.tasks.per_token import align_slots
from xlfact.tasks.polyfact.data import LANGUAGES, load_polyfact, verification_options
from xlfact.training.rewards import CORRECT, extract_answer, language_score


def _completions(row):
    gold = row["options"][row["gold"]]
    other = row["options"][(row["gold"] + 1) % 4]
    return [gold, f"Answer text: {gold}", f" {gold.upper()}\nmore", other, "", "\n\n", gold[:2], f"{gold} and {other}",
            "Answer: I do not know", f"«{gold}».", "Zyzzyva"]


def test_free_form_task_and_grpo_reward_agree_on_every_sample_item(bundled_polyfact_dir):
    from xlfact.tasks.polyfact.utils import process_free_form

    checked = agree_correct = 0
    for lang in LANGUAGES:
        for row in load_polyfact(lang, data_dir=bundled_polyfact_dir):
            for completion in _completions(row):
                task = process_free_form(row, [completion])["acc"] == 1.0
                reward = language_score(extract_answer(completion), row["options"], row["gold"]) == CORRECT
                assert task == reward, (lang, row["fact_id"], completion)
                checked += 1
                agree_correct += task
    assert checked == 600 * 11 and agree_correct > 1200  # every item, and many correct verdicts among them


def test_free_form_prompt_is_the_grpo_prompt(bundled_polyfact_dir):
    from xlfact.tasks.polyfact.utils import free_form_text
    from xlfact.training.data import generation_prompt

    row = load_polyfact("de", data_dir=bundled_polyfact_dir)[0]
    assert free_form_text(row) == generation_prompt(row, "de", "authors")
    assert free_form_text(row).endswith("Answer text:") and "in German" in free_form_text(row)


def _write_labelled(root, rows):
    (root / "en").mkdir(parents=True)
    (root / "en" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root


def _labelled_rows(bundled_polyfact_dir):
    rows = [json.loads(x) for x in (bundled_polyfact_dir / "en" / "test.jsonl").read_text().splitlines()[:6]]
    for i, row in enumerate(rows):
        row["n_langs_verified"] = i * 2  # 0 2 4 6 8 10
        row["question_verified"] = i % 2 == 0
    return rows


def test_verification_filters_keep_and_log(tmp_path, bundled_polyfact_dir, caplog):
    root = _write_labelled(tmp_path, _labelled_rows(bundled_polyfact_dir))
    with caplog.at_level(logging.WARNING):
        kept = load_polyfact("en", data_dir=root, min_langs_verified=4)
    assert [r["n_langs_verified"] for r in kept] == [4, 6, 8, 10] and "kept 4 of 6 rows" in caplog.text
    both = load_polyfact("en", data_dir=root, min_langs_verified=4, question_verified=True)
    assert [r["n_langs_verified"] for r in both] == [4, 8]
    assert verification_options({"min_langs_verified": "3", "question_verified": "true"}) == (3, True)
    with pytest.raises(UsageError, match="min_langs_verified='many'"):
        verification_options({"min_langs_verified": "many"})


def test_verification_filter_without_labels_is_an_error(tmp_path, bundled_polyfact_dir):
    rows = _labelled_rows(bundled_polyfact_dir)
    del rows[2]["n_langs_verified"]
    root = _write_labelled(tmp_path, rows)
    with pytest.raises(DataError, match="row 3 .*n_langs_verified is None"):
        load_polyfact("en", data_dir=root, min_langs_verified=1)


# ----------------------------------------------------------------------------------------------- WIKI-FACT alignment
def _wikifact_rows():
    return [
        # Options reordered in fr, same texts (up to case / NFKC: "Ｐａｒｉｓ" is fullwidth).
        {"fact_id": "f1", "langs": {
            "en": {"question": "Capital of France?", "options": ["Paris", "Lyon", "Nice", "Lille"],
                   "answer_text": "Paris"},
            "fr": {"question": "Capitale de la France ?", "options": ["lyon", "Lille", "Ｐａｒｉｓ", "Nice"],
                   "answer_text": "Ｐａｒｉｓ"}}},
        # Texts differ (translated options): cannot be aligned, left out of RankC.
        {"fact_id": "f2", "langs": {
            "en": {"question": "Capital of Germany?", "options": ["Berlin", "Munich", "Cologne", "Bonn"],
                   "answer_text": "Berlin"},
            "fr": {"question": "Capitale de l'Allemagne ?", "options": ["Berlin", "Munich", "Cologne", "Bonn"],
                   "answer_text": "Berlin"},
            "de": {"question": "Hauptstadt Deutschlands?", "options": ["Berlin", "München", "Köln", "Bonn"],
                   "answer_text": "Berlin"}}},
    ]


def test_wikifact_rankc_uses_options_aligned_by_text(tmp_path):
    (tmp_path / "test.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _wikifact_rows()),
                                         encoding="utf-8")
    rows = {lang: {r["fact_id"]: r for r in load_polyfact(lang, source="wikifact", data_dir=tmp_path)}
            for lang in ("en", "fr", "de")}
    assert rows["fr"]["f1"]["option_ids"] == ["lyon", "lille", "paris", "nice"]
    # Scores per option in each language's own order; en prefers Paris > Lyon > Nice > Lille, fr the same answers.
    raw = {"en": {"f1": [-1.0, -2.0, -3.0, -4.0], "f2": [-1.0, -2.0, -3.0, -4.0]},
           "fr": {"f1": [-2.0, -4.0, -1.0, -3.0], "f2": [-1.0, -2.0, -3.0, -4.0]},
           "de": {"f2": [-4.0, -3.0, -2.0, -1.0]}}
    scores, gold, keys = {}, {}, {}
    for lang, per in raw.items():
        for fact, values in per.items():
            row = rows[lang][fact]
            aligned, g = align_slots(values, row["gold"], row["option_ids"])
            scores.setdefault(fact, {})[lang] = aligned
            gold.setdefault(fact, {})[lang] = g
            keys.setdefault(fact, {})[lang] = sorted(row["option_ids"])
    metrics = cross_lingual_metrics(scores, gold, keys)
    # f1: the same ranking of the same answers in en and fr -> RankC 1 (positional alignment would give less).
    assert rankc_pair(raw["en"]["f1"], raw["fr"]["f1"]) < 1.0
    assert metrics["rankc_pairs"]["en-fr"] == pytest.approx((1.0 + 1.0) / 2)  # f1 aligned, f2 identical order
    # f2: de's options differ in text from en's and fr's -> both pairs left out and counted, not misaligned.
    assert metrics["rankc_unaligned"] == 2
    assert metrics["rankc_pairs"]["en-de"] != metrics["rankc_pairs"]["en-de"]  # NaN: no alignable item
    assert alignment_key(" Ｐａｒｉｓ ") == "paris"


def test_generated_files_are_current_and_new_groups_validate():
    from xlfact.tasks import tasks_dir
    from xlfact.tasks.config_writer import stale_files
    from xlfact.tasks.polyfact import generate_configs

    for name, text in generate_configs.expected_files().items():
        assert (generate_configs.HERE / name).read_text(encoding="utf-8") == text, name
    assert stale_files(generate_configs.HERE, generate_configs.BENCH, generate_configs.expected_files()) == []
    done = subprocess.run([sys.executable, "-m", "lm_eval", "validate", "--tasks", "polyfact_gen_all,wikifact_all",
                           "--include_path", str(tasks_dir())], capture_output=True, text=True, timeout=600,
                          env=os.environ)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.mark.slow
def test_free_form_and_wikifact_run_end_to_end_on_smollm2_and_show_in_the_report(tmp_path, bundled_polyfact_dir,
                                                                                  xlfact_eval_and_report):
    """One folder serves both: <dir>/<lang>/test.jsonl (PolyFact) and <dir>/test.jsonl (WIKI-FACT, built from the
    bundled sample: German questions with the English option texts in reverse order, so every pair aligns by text)."""
    import shutil

    data = tmp_path / "data"
    wikifact: dict[str, dict] = {}
    english = {row["fact_id"]: row for row in load_polyfact("en", data_dir=bundled_polyfact_dir)}
    for lang in ("en", "de"):
        shutil.copytree(bundled_polyfact_dir / lang, data / lang)
        for row in load_polyfact(lang, data_dir=bundled_polyfact_dir):
            en = english[row["fact_id"]]
            options = en["options"][::-1] if lang == "de" else en["options"]
            entry = {"question": row["question"], "options": options, "answer_text": en["answer_text"]}
            wikifact.setdefault(row["fact_id"], {"fact_id": row["fact_id"], "langs": {}})["langs"][lang] = entry
    (data / "test.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in wikifact.values()),
                                     encoding="utf-8")
    out = tmp_path / "out"
    report = xlfact_eval_and_report("polyfact_gen_en,polyfact_gen_de,wikifact_en,wikifact_de",
                                    {"data_dir": str(data)}, out, 3)
    assert "polyfact_gen" in report and "wikifact" in report
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    assert 0.0 <= results["polyfact_gen_en"]["acc,none"] <= results["polyfact_gen_en"]["resolved,none"] <= 1.0
    assert 0.0 <= results["wikifact_de"]["rankc,none"] <= 1.0  # every item aligned by text despite the reversal
    assert "rankc_unaligned" not in report  # shown only when some item-pair was left out
