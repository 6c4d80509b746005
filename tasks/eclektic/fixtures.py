"""Tiny ECLeKTic files for tests: the main format (``eclektic_main.jsonl``, three hand-written questions with all 12
languages' columns; untranslated languages reuse the English text, which the format allows) and a Global ECLeKTic
CSV with one excluded row."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from xlfact.evaluators.eclektic import LANGUAGES

_QUESTIONS = [
    ("q1", "de", {"de": ("In welcher Stadt steht das Brandenburger Tor?", "Berlin"),
                  "en": ("In which city is the Brandenburg Gate?", "Berlin"),
                  "ja": ("ブランデンブルク門はどの都市にありますか？", "ベルリン")}),
    ("q2", "ja", {"ja": ("富士山がある国はどこですか？", "日本"), "en": ("In which country is Mount Fuji?", "Japan"),
                  "de": ("In welchem Land liegt der Fuji?", "Japan")}),
    ("q3", "en", {"en": ("What is the capital of Canada?", "Ottawa"),
                  "de": ("Was ist die Hauptstadt Kanadas?", "Ottawa"),
                  "ja": ("カナダの首都はどこですか？", "オタワ")}),
]


def fixture_rows() -> list[dict[str, Any]]:
    rows = []
    for q_id, src, texts in _QUESTIONS:
        row: dict[str, Any] = {"q_id": q_id, "original_lang": src, "title": "", "url": "", "content": "",
                               "question": texts[src][0], "answer": texts[src][1]}
        for lang in LANGUAGES:
            question, answer = texts.get(lang, texts["en"])
            row.update({f"{lang}_q": question, f"{lang}_a": answer, f"{lang}_c": ""})
        rows.append(row)
    return rows


def write_fixture(path: Path, rows: list[dict[str, Any]] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows if rows is not None else fixture_rows():
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


GLOBAL_HEADER = ["ID", "Author", "Checked By", "Language", "Country/Region", "Question", "Answer", "Evidence_url",
                 "Question Automatic Translation", "Question Corrected Translation", "Answer Automatic Translation",
                 "Answer Corrected Translation", "Translation Corrected By", "Notes",
                 "URL language (if different from target language)", "Exclude"]


def write_global_fixture(path: Path) -> Path:
    """A Global ECLeKTic CSV (Italian) in the validation files' columns; row 3 is marked Exclude."""
    rows = [
        ["1", "a", "b", "ita_latn", "Italy", "In quale città si trova il Colosseo?", "Roma", "", "In which city is "
         "the Colosseum?", "", "Rome", "", "", "", "", ""],
        ["2", "a", "b", "ita_latn", "Italy", "Su quale lago si trova Cisano?", "Lago di Garda", "", "On which lake "
         "is Cisano?", "On which lake is the Italian village of Cisano located?", "Lake Garda", "", "", "", "", ""],
        ["3", "a", "b", "ita_latn", "Italy", "Dove si trovava il teatro Tenda?", "Roma", "", "Where was the Tenda "
         "theater?", "", "Rome", "", "", "", "", "x"],
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(GLOBAL_HEADER)
        writer.writerows(rows)
    return path
