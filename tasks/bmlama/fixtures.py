"""Tiny BMLAMA files in the reference format (``<lang>.tsv``), hand-written for tests: three parallel facts in en, fr
and zh (the zh header has the reference's stray tab in ``Candidate\\tAns``)."""

from __future__ import annotations

from pathlib import Path

_ROWS = {
    "en": [("Paris is the capital of <mask>.", "France", "Italy, France, Spain"),
           ("The native language of Victor Hugo is <mask>.", "French", "English, German, French, Dutch"),
           ("Toyota was founded in <mask>.", "Japan", "Japan, Germany")],
    "fr": [("Paris est la capitale de la <mask>.", "France", "Italie, France, Espagne"),
           ("La langue maternelle de Victor Hugo est le <mask>.", "français",
            "anglais, allemand, français, néerlandais"),
           ("Toyota a été fondée au <mask>.", "Japon", "Japon, Allemagne")],
    "zh": [("巴黎是<mask>的首都。", "法国", "意大利, 法国, 西班牙"),
           ("维克多·雨果的母语是<mask>。", "法语", "英语, 德语, 法语, 荷兰语"),
           ("丰田成立于<mask>。", "日本", "日本, 德国")],
}
SUBJECTS = ("Paris", "Victor Hugo", "Toyota")
LANGS = tuple(_ROWS)


def write_fixture(root: Path, langs: tuple[str, ...] = LANGS) -> Path:
    """Write ``<root>/<lang>.tsv`` for ``langs``; return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for lang in langs:
        header = "Prompt\tAns\tCandidate\tAns\tSubject" if lang == "zh" else "Prompt\tAns\tCandidate Ans\tSubject"
        lines = [header] + ["\t".join((*row, subject)) for row, subject in zip(_ROWS[lang], SUBJECTS)]
        (root / f"{lang}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root
