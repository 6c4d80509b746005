"""A tiny MultiLoKo folder in the decrypted ``benchmark_data/`` layout, hand-written for tests (the real data must
never be mirrored): French and English local questions, their human and machine translations, demonstrations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_LOCAL = {
    "french": [
        {"id": "001_Tour_Eiffel.txt", "question": "En quelle année la tour Eiffel a-t-elle été achevée ?",
         "targets": ["1889", "en 1889"], "output_type": "année"},
        {"id": "002_Loire.txt", "question": "Quel est le plus long fleuve de France ?", "targets": ["La Loire"],
         "output_type": "nom"},
        {"id": "003_Astérix.txt", "question": "Qui a dessiné Astérix ?", "targets": ["Albert Uderzo", "Uderzo"],
         "output_type": "personne"},
    ],
    "english": [
        {"id": "001_Big_Ben.txt", "question": "In which city is Big Ben?", "targets": ["London"],
         "output_type": "city"},
        {"id": "002_Thames.txt", "question": "Which river flows through Oxford?", "targets": ["the Thames", "Isis"],
         "output_type": "river"},
    ],
}
_TO_ENGLISH = [
    {"id": "001_Tour_Eiffel.txt", "question": "In what year was the Eiffel Tower completed?", "targets": ["1889"]},
    {"id": "002_Loire.txt", "question": "What is the longest river in France?", "targets": ["The Loire", "Loire"]},
    {"id": "003_Astérix.txt", "question": "Who drew Asterix?", "targets": ["Albert Uderzo"]},
]
_FROM_ENGLISH = [
    {"id": "001_Big_Ben.txt", "question": "Dans quelle ville se trouve Big Ben ?", "targets": ["Londres"]},
    {"id": "002_Thames.txt", "question": "Quel fleuve traverse Oxford ?", "targets": ["la Tamise"]},
]
_SHOTS = {
    "french": [{"question": "Quelle est la capitale de la France ?", "targets": ["Paris"], "output_type": "ville"}],
    "english": [{"question": "What is the capital of England?", "targets": ["London"], "output_type": "city"}],
}


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"text": "", "target": "", **r}, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")


def write_fixture(root: Path, split: str = "dev") -> Path:
    for lang, rows in _LOCAL.items():
        _write(root / lang / f"{split}.jsonl", rows)
        _write(root / lang / "knowledge_fewshot.jsonl", _SHOTS[lang])
    for tr in ("human", "machine"):
        _write(root / "french" / f"{split}_translated_{tr}_english.jsonl", _TO_ENGLISH)
        _write(root / "english" / f"{split}_translated_{tr}_french.jsonl", _FROM_ENGLISH)
    return root
