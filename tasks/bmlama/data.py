"""BMLAMA data: ``<bmlama_dir>/<lang>.tsv`` files of the reference repository (``1_easyrun/BMLAMA17/`` or
``BMLAMA53/`` of https://github.com/Betswish/Cross-Lingual-Consistency). Nothing of it is in this repository: the
files carry no licence of their own and derive from mLAMA (CC BY-NC-SA), so they are read from the user's path only.

Format (tab-separated, a header row starting ``Prompt``): ``Prompt  Ans  Candidate Ans  Subject`` where ``Prompt``
holds one ``<mask>``, ``Ans`` the gold answer(s) and ``Candidate Ans`` the candidates, each list joined by ``", "``.
Rows are parsed as ``main.py`` parses them (``line.strip().split('\\t')``, lines with one field skipped). Rows are
parallel across the languages of a variant (row *i* is the same fact, candidates in the same order), so the row's
position among the data rows is the item id.

Checked before work starts: the file exists, every row has prompt / answers / candidates, the prompt has a ``<mask>``,
no answer or candidate is empty and candidates are distinct (the reference would silently merge duplicates and shift
candidate positions). A gold answer that is not among the candidates is kept and can never be found, as in the
reference (the released Hebrew files have such rows: candidates with a stray ``"``); their number is logged.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from xlfact.errors import DataError, UsageError
from xlfact.evaluators.bmlama import BENCHMARKS, LANGUAGES, MASK

log = logging.getLogger(__name__)

DIR_ENV = "XLFACT_BMLAMA_DIR"
SOURCE_URL = "https://github.com/Betswish/Cross-Lingual-Consistency (1_easyrun/BMLAMA17, 1_easyrun/BMLAMA53)"
SEPARATOR = ", "


class BmlamaDataError(DataError):
    """A BMLAMA row that cannot be scored; the message names file, row and field."""


def resolve_file(benchmark: str, lang: str, bmlama_dir: str | os.PathLike | None) -> Path:
    """``<dir>/<lang>.tsv``, or ``<dir>/BMLAMA17/<lang>.tsv`` when given the reference's ``1_easyrun`` folder."""
    if benchmark not in BENCHMARKS:
        raise UsageError(f"BMLAMA: unknown variant {benchmark!r}; expected one of {', '.join(BENCHMARKS)}")
    if lang not in LANGUAGES[benchmark]:
        raise UsageError(f"{benchmark}: unknown language {lang!r}; expected one of {', '.join(LANGUAGES[benchmark])}")
    chosen = bmlama_dir or os.environ.get(DIR_ENV) or None
    if not chosen:
        raise FileNotFoundError(
            f"{benchmark}: no data directory given. BMLAMA is not redistributed; get {SOURCE_URL} and pass "
            f"--metadata bmlama_dir=DIR (or {DIR_ENV}=DIR), DIR holding <lang>.tsv"
        )
    root = Path(chosen).expanduser()
    for candidate in (root / f"{lang}.tsv", root / BENCHMARKS[benchmark] / f"{lang}.tsv"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{benchmark}: no {lang}.tsv in {root} (nor in {root / BENCHMARKS[benchmark]}); expected "
                            f"the reference layout of {SOURCE_URL}")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The checked data rows of one file, in file order."""
    rows: list[dict[str, Any]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise BmlamaDataError(f"{path}: not UTF-8 ({err.reason} at byte {err.start})") from None
    for line_no, line in enumerate(lines, start=1):
        fields = line.strip().split("\t")
        if fields[0] == "Prompt" or len(fields) <= 1:
            continue  # header, blank line
        where = f"{path} line {line_no}"
        if len(fields) < 3:
            raise BmlamaDataError(f"{where}: {len(fields)} fields; expected Prompt, Ans, Candidate Ans (tab-separated)")
        prompt, golds, candidates = fields[0], fields[1].split(SEPARATOR), fields[2].split(SEPARATOR)
        if prompt.count(MASK) != 1:
            raise BmlamaDataError(f"{where}: Prompt {prompt!r} has {prompt.count(MASK)} {MASK}; expected one")
        if any(not g.strip() for g in golds):
            raise BmlamaDataError(f"{where}: Ans {fields[1]!r} has an empty answer; expected answers joined by ', '")
        if any(not c.strip() for c in candidates):
            raise BmlamaDataError(f"{where}: Candidate Ans has an empty candidate; expected candidates joined by ', '")
        if len(set(candidates)) != len(candidates):
            dup = next(c for i, c in enumerate(candidates) if c in candidates[:i])
            raise BmlamaDataError(f"{where}: candidate {dup!r} appears twice; expected distinct candidates")
        rows.append({"line": line_no, "prompt": prompt, "golds": golds, "candidates": candidates,
                     "subject": fields[3] if len(fields) > 3 else ""})
    if not rows:
        raise BmlamaDataError(f"{path}: no data rows; expected Prompt / Ans / Candidate Ans rows")
    return rows


def fill(prompt: str, candidate: str) -> str:
    """The sentence the reference scores: the candidate in place of ``<mask>``."""
    return prompt.replace(MASK, candidate)


def load_documents(benchmark: str, lang: str, bmlama_dir: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """The documents of ``<benchmark>_<lang>``: one per row, with the filled-in sentence of every candidate."""
    path = resolve_file(benchmark, lang, bmlama_dir)
    docs = []
    unfindable = 0
    for position, row in enumerate(read_rows(path)):
        slots = [row["candidates"].index(g) for g in row["golds"] if g in row["candidates"]]
        unfindable += len(slots) < len(row["golds"])
        docs.append({
            "id": str(position), "lang": lang, "prompt": row["prompt"], "subject": row["subject"],
            "golds": row["golds"], "candidates": row["candidates"],
            "sentences": [fill(row["prompt"], c) for c in row["candidates"]],
            "gold": slots[0] if slots else 0,
            "gold_in_candidates": len(slots) == len(row["golds"]),
        })
    if unfindable:
        log.warning("%s: %d rows have a gold answer that is not among their candidates; they count as wrong, as in "
                    "the reference", path, unfindable)
    return docs
