"""MultiLoKo: eval.py's per-example and aggregate figures equal the authors' ``eval.py`` (``evaluate_all``) on a
constructed prediction file in its format, over a hand-written fixture in the benchmark's layout (the real data is
never mirrored); the mother-tongue and locality effects follow the README's definitions; the loader refuses bad rows
(exit 2); the task runs end to end on SmolLM2.

The expected values below were obtained by running the authors' ``eval.py`` functions (``parse_input_jsonl``,
``parse_output_jsonl``, ``evaluate_all``) on ``PREDICTIONS`` and ``tasks/multiloko/fixtures.py``'s folder; its code
is not vendored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from xlfact.errors import DataError, UsageError
from xlfact.evaluators import multiloko
from xlfact.tasks.config_writer import stale_files
from xlfact.tasks.multiloko import generate_configs
from xlfact.tasks.multiloko.data import MultilokoDataError, load_documents, subset_files
from xlfact.tasks.multiloko.fixtures import write_fixture

PREDICTIONS = [('french', '001_Tour_Eiffel.txt', 'En 1889.'),
 ('french', '002_Loire.txt', 'la Seine'),
 ('french', '003_Astérix.txt', 'Albert Uderzo et René Goscinny'),
 ('french_translated_human_english', '001_Tour_Eiffel.txt', '1889'),
 ('french_translated_human_english', '002_Loire.txt', 'Loire River'),
 ('french_translated_human_english', '003_Astérix.txt', 'Uderzo'),
 ('english', '001_Big_Ben.txt', 'London, UK'),
 ('english', '002_Thames.txt', 'The Thames!'),
 ('english_translated_human_french', '001_Big_Ben.txt', 'Londres'),
 ('english_translated_human_french', '002_Thames.txt', 'la Seine')]
# eval.py: per subset, per example.
EXPECTED_ITEMS = {'french': {'001_Tour_Eiffel.txt': {'em': 1.0,
                                    'f1': 1.0,
                                    'bleu': 100.00000000000004,
                                    'chrf': 100.0,
                                    'edit_distance': 0.0,
                                    'edit_similarity': 1.0},
            '002_Loire.txt': {'em': 0.0,
                              'f1': 0.5,
                              'bleu': 49.99999999999999,
                              'chrf': 12.3015873015873,
                              'edit_distance': 3.0,
                              'edit_similarity': 0.5},
            '003_Astérix.txt': {'em': 0.0,
                                'f1': 0.5714285714285715,
                                'bleu': 21.3643503198117,
                                'chrf': 77.00281591263042,
                                'edit_distance': 17.0,
                                'edit_similarity': 0.6046511627906976}},
 'french_translated_human_english': {'001_Tour_Eiffel.txt': {'em': 1.0,
                                                             'f1': 1.0,
                                                             'bleu': 100.00000000000004,
                                                             'chrf': 100.0,
                                                             'edit_distance': 0.0,
                                                             'edit_similarity': 1.0},
                                     '002_Loire.txt': {'em': 0.0,
                                                       'f1': 0.6666666666666666,
                                                       'bleu': 49.99999999999999,
                                                       'chrf': 73.29284307288246,
                                                       'edit_distance': 6.0,
                                                       'edit_similarity': 0.625},
                                     '003_Astérix.txt': {'em': 0.0,
                                                         'f1': 0.6666666666666666,
                                                         'bleu': 36.78794411714425,
                                                         'chrf': 39.890284082892784,
                                                         'edit_distance': 7.0,
                                                         'edit_similarity': 0.631578947368421}},
 'english': {'001_Big_Ben.txt': {'em': 0.0,
                                 'f1': 0.6666666666666666,
                                 'bleu': 49.99999999999999,
                                 'chrf': 87.97602256699577,
                                 'edit_distance': 3.0,
                                 'edit_similarity': 0.8},
             '002_Thames.txt': {'em': 1.0,
                                'f1': 1.0,
                                'bleu': 100.00000000000004,
                                'chrf': 100.0,
                                'edit_distance': 0.0,
                                'edit_similarity': 1.0}},
 'english_translated_human_french': {'001_Big_Ben.txt': {'em': 1.0,
                                                         'f1': 1.0,
                                                         'bleu': 100.00000000000004,
                                                         'chrf': 100.0,
                                                         'edit_distance': 0.0,
                                                         'edit_similarity': 1.0},
                                     '002_Thames.txt': {'em': 0.0,
                                                        'f1': 0.5,
                                                        'bleu': 49.99999999999999,
                                                        'chrf': 15.585930988498085,
                                                        'edit_distance': 4.0,
                                                        'edit_similarity': 0.5882352941176471}}}
# eval.py: per-subset means and group_metrics.
EXPECTED_AGGREGATES = {'french': {'em': 0.3333333333333333,
            'f1': 0.6904761904761906,
            'bleu': 57.12145010660391,
            'chrf': 63.10146773807258,
            'edit_distance': 6.666666666666667,
            'edit_similarity': 0.7015503875968992},
 'french_translated_human_english': {'em': 0.3333333333333333,
                                     'f1': 0.7777777777777777,
                                     'bleu': 62.26264803904809,
                                     'chrf': 71.06104238525842,
                                     'edit_distance': 4.333333333333333,
                                     'edit_similarity': 0.7521929824561404},
 'english': {'em': 0.5,
             'f1': 0.8333333333333333,
             'bleu': 75.00000000000001,
             'chrf': 93.98801128349788,
             'edit_distance': 1.5,
             'edit_similarity': 0.9},
 'english_translated_human_french': {'em': 0.5,
                                     'f1': 0.75,
                                     'bleu': 75.00000000000001,
                                     'chrf': 57.792965494249046,
                                     'edit_distance': 2.0,
                                     'edit_similarity': 0.7941176470588236},
 'group_metrics': {'average_em': 0.41666666666666663,
                   'max_em': 0.5,
                   'min_em': 0.3333333333333333,
                   'gap_em': 0.16666666666666669,
                   'average_f1': 0.7628968253968254,
                   'max_f1': 0.8333333333333333,
                   'min_f1': 0.6904761904761906,
                   'gap_f1': 0.14285714285714268,
                   'average_bleu': 67.346024536413,
                   'max_bleu': 75.00000000000001,
                   'min_bleu': 57.12145010660391,
                   'gap_bleu': 17.878549893396105,
                   'average_chrf': 71.48587172526948,
                   'max_chrf': 93.98801128349788,
                   'min_chrf': 57.792965494249046,
                   'gap_chrf': 36.19504578924884,
                   'average_edit_distance': 3.625,
                   'max_edit_distance': 6.666666666666667,
                   'min_edit_distance': 1.5,
                   'gap_edit_distance': 5.166666666666667,
                   'average_edit_similarity': 0.7869652542779657,
                   'max_edit_similarity': 0.9,
                   'min_edit_similarity': 0.7015503875968992,
                   'gap_edit_similarity': 0.19844961240310077}}


def _per_example(root):
    targets = {}
    for subset, rel in (("french", "french/dev.jsonl"), ("english", "english/dev.jsonl"),
                        ("french_translated_human_english", "french/dev_translated_human_english.jsonl"),
                        ("english_translated_human_french", "english/dev_translated_human_french.jsonl")):
        for line in (root / rel).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            targets[(subset, row["id"])] = row["targets"]
    out = {}
    for subset, item, prediction in PREDICTIONS:
        out.setdefault(subset, {})[item] = multiloko.score_example(prediction, targets[(subset, item)])
    return out


def test_per_example_metrics_equal_eval_py(tmp_path):
    assert _per_example(write_fixture(tmp_path)) == EXPECTED_ITEMS


def test_aggregates_equal_eval_py(tmp_path):
    per = _per_example(write_fixture(tmp_path))
    assert multiloko.aggregate({s: list(items.values()) for s, items in per.items()}) == EXPECTED_AGGREGATES


def test_mother_tongue_and_locality_effects():
    em = {s: EXPECTED_AGGREGATES[s]["em"] for s in EXPECTED_AGGREGATES if s != "group_metrics"}
    effects = multiloko.effects(em)
    # MTE: French questions in French (1/3) minus the same in English (1/3); LE: minus English questions in French.
    assert effects["mte/french"] == pytest.approx(1 / 3 - 1 / 3)
    assert effects["le/french"] == pytest.approx(1 / 3 - 1 / 2)
    assert effects["le"] == effects["le/french"] and "mte/english" not in effects


def test_normalisation_and_levenshtein():
    assert multiloko.normalize_answer("  The «Loire»！ ") == "loire"
    assert multiloko.levenshtein("kitten", "sitting") == 3 and multiloko.levenshtein("", "abc") == 3
    with pytest.raises(ValueError, match="empty list of targets"):
        multiloko.score_example("x", [])


def test_generated_files_are_current_and_validate():
    for name, text in generate_configs.expected_files().items():
        path = generate_configs.HERE / name
        assert path.exists() and path.read_text(encoding="utf-8") == text
    assert stale_files(generate_configs.HERE, generate_configs.BENCH, generate_configs.expected_files()) == []
    from xlfact.tasks import tasks_dir

    done = subprocess.run([sys.executable, "-m", "lm_eval", "validate", "--tasks",
                           "multiloko,multiloko_to_english_human,multiloko_from_english_human", "--include_path",
                           str(tasks_dir())], capture_output=True, text=True, timeout=600, env=os.environ)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_loader_layout_and_errors(tmp_path):
    root = write_fixture(tmp_path)
    docs = load_documents("french", "to_english", "human", multiloko_dir=root)
    assert docs[0]["subset"] == "french_translated_human_english"
    assert docs[0]["prompt"].startswith("Answer the following question as briefly as possible.\nQuestion: What is")
    assert load_documents("french", "from_english", "machine", multiloko_dir=root)[1]["targets"] == ["la Tamise"]
    assert subset_files("french", "local", None, "dev") == ("french", "french/dev.jsonl", "french")
    with pytest.raises(UsageError, match="unknown language 'klingon'"):
        load_documents("klingon", multiloko_dir=root)
    path = root / "english" / "dev.jsonl"
    path.write_text(path.read_text(encoding="utf-8") + json.dumps({"id": "x", "question": "q", "targets": []}) + "\n")
    with pytest.raises(MultilokoDataError) as err:
        load_documents("english", multiloko_dir=root)
    assert f"{path} row 3 (question x): field 'targets' is []" in str(err.value) and isinstance(err.value, DataError)


def test_eval_with_a_missing_column_exits_2(tmp_path):
    root = write_fixture(tmp_path)
    (root / "french" / "dev.jsonl").write_text(json.dumps({"id": "a", "targets": ["b"]}) + "\n")
    cmd = [sys.executable, "-m", "xlfact.cli", "eval", "--model", "dummy", "--tasks", "multiloko_french", "--limit",
           "1", "--metadata", json.dumps({"multiloko_dir": str(root)})]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=os.environ)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "row 1 (question a): field 'question' is missing" in done.stderr.strip().splitlines()[-1]


@pytest.mark.slow
def test_multiloko_runs_end_to_end_on_smollm2_and_shows_in_the_report(tmp_path, xlfact_eval_and_report):
    root = write_fixture(tmp_path / "benchmark_data")
    out = tmp_path / "out"
    tasks = "multiloko_french,multiloko_french_en_human,multiloko_en_french_human"
    report = xlfact_eval_and_report(tasks, {"multiloko_dir": str(root)}, out, 2)
    assert "multiloko" in report and "mte" in report and "gap_em" in report
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    assert 0.0 <= results["multiloko_french"]["em,none"] <= results["multiloko_french"]["f1,none"] <= 1.0
