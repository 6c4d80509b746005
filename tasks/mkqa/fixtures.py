"""A tiny MKQA file in the official format (``mkqa.jsonl.gz``), hand-written for tests and smoke runs.

Four queries in all 26 languages: an entity with aliases, a date, a yes/no question and an unanswerable one. The
questions are ours (not MKQA's); where no translation is given here the English text stands in, which the format
allows (the loader only checks that every language has a question and an answer list).
"""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

from xlfact.evaluators.mkqa import LANGUAGES

_QUERIES: list[dict[str, str]] = [
    {"en": "what is the capital of france", "de": "was ist die hauptstadt von frankreich",
     "fr": "quelle est la capitale de la france", "zh_cn": "法国的首都是哪里", "ja": "フランスの首都はどこですか"},
    {"en": "when did the berlin wall fall", "de": "wann fiel die berliner mauer",
     "fr": "quand le mur de berlin est-il tombé", "zh_cn": "柏林墙什么时候倒塌", "ja": "ベルリンの壁はいつ崩壊した"},
    {"en": "is the moon a planet", "de": "ist der mond ein planet", "fr": "la lune est-elle une planète",
     "zh_cn": "月亮是行星吗", "ja": "月は惑星ですか"},
    {"en": "who will win the next world cup", "de": "wer gewinnt die nächste weltmeisterschaft",
     "fr": "qui gagnera la prochaine coupe du monde",
     "zh_cn": "谁会赢得下一届世界杯", "ja": "次のワールドカップの優勝者は"},
]
_ANSWERS: list[dict[str, list[dict[str, Any]]]] = [
    {"en": [{"type": "entity", "entity": "Q90", "text": "Paris", "aliases": ["City of Light"]}],
     "zh_cn": [{"type": "entity", "entity": "Q90", "text": "巴黎", "aliases": ["巴黎市"]}],
     "ja": [{"type": "entity", "entity": "Q90", "text": "パリ", "aliases": []}]},
    {"en": [{"type": "date", "text": "1989", "aliases": ["1989"]},
            {"type": "date", "text": "1989-11-09", "aliases": ["9 November 1989", "November 9, 1989"]}]},
    {"en": [{"type": "binary", "text": "no"}]},
    {"en": [{"type": "unanswerable", "text": None}]},
]
EXAMPLE_IDS = ("9001", "9002", "-9003", "9004")


def fixture_rows() -> list[dict[str, Any]]:
    rows = []
    for example_id, queries, answers in zip(EXAMPLE_IDS, _QUERIES, _ANSWERS):
        rows.append({
            "query": queries["en"],
            "queries": {lang: queries.get(lang, queries["en"]) for lang in LANGUAGES},
            "answers": {lang: copy.deepcopy(answers.get(lang, answers["en"])) for lang in LANGUAGES},
            "example_id": int(example_id),
        })
    return rows


def write_fixture(path: Path, rows: list[dict[str, Any]] | None = None) -> Path:
    """Write ``rows`` (default :func:`fixture_rows`) to ``path`` as gzip-compressed JSON Lines; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for row in rows if rows is not None else fixture_rows():
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path
