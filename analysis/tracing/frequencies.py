"""MFT's fact-frequency files: ``{lang: {relation: [{"subject", "object", "index", "frequency"}]}}``.

The paper's file (``data/lang_rel_frequencies.json``) holds WIMBD document counts over Dolma v1.7; the infini-gram file
has the same facts with co-occurrence counts. Languages, relations and facts keep the file's order (the analyses
stable-sort by frequency, so order decides ties). Indices are parallel across languages and unique within one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from xlfact.analysis.tracing import TracingInputError
from xlfact.core.jsonl import read_utf8


@dataclass(frozen=True)
class LanguageFacts:
    """One language's facts in file order: parallel arrays plus the strings."""

    indices: np.ndarray  # int64
    frequencies: np.ndarray  # int64
    relations: tuple[str, ...]
    subjects: tuple[str, ...]
    objects: tuple[str, ...]

    def position(self) -> dict[int, int]:
        return {int(i): k for k, i in enumerate(self.indices)}


@dataclass(frozen=True)
class FrequencyTable:
    """Every language of a frequency file."""

    languages: dict[str, LanguageFacts]
    source: str

    @property
    def global_max(self) -> int:
        """``max(1, max frequency over every fact of every language)`` — the per-language bins' M (FC:396-400)."""
        tops = [int(f.frequencies.max()) for f in self.languages.values() if len(f.frequencies)]
        return max([1, *tops])

    def to_json(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        out: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for lang, facts in self.languages.items():
            per: dict[str, list[dict[str, Any]]] = {}
            for k in range(len(facts.indices)):
                per.setdefault(facts.relations[k], []).append({
                    "subject": facts.subjects[k], "object": facts.objects[k], "index": int(facts.indices[k]),
                    "frequency": int(facts.frequencies[k])})
            out[lang] = per
        return out


def parse_frequencies(data: Any, source: str) -> FrequencyTable:
    """Validate a parsed frequency file; errors name the file, language, relation, row and field."""
    if not isinstance(data, dict) or not data:
        raise TracingInputError(f"{source}: expected a JSON object {{lang: {{relation: [facts]}}}}")
    languages: dict[str, LanguageFacts] = {}
    for lang, relations in data.items():
        if not isinstance(relations, dict):
            raise TracingInputError(f"{source}: language {lang!r}: expected an object {{relation: [facts]}}")
        idx, freq, rels, subj, obj = [], [], [], [], []
        seen: set[int] = set()
        for relation, facts in relations.items():
            if not isinstance(facts, list):
                raise TracingInputError(f"{source}: {lang}/{relation}: expected a list of facts")
            for row, fact in enumerate(facts):
                where = f"{source}: {lang}/{relation} row {row}"
                if not isinstance(fact, dict):
                    raise TracingInputError(f"{where}: expected an object with subject, object, index, frequency")
                for field in ("subject", "object", "index", "frequency"):
                    if field not in fact:
                        raise TracingInputError(f"{where}: missing field {field!r}")
                index, frequency = fact["index"], fact["frequency"]
                if isinstance(index, bool) or not isinstance(index, int):
                    raise TracingInputError(f"{where}: field 'index' is {index!r}; expected an integer fact id")
                if isinstance(frequency, bool) or not isinstance(frequency, int) or frequency < 0:
                    raise TracingInputError(f"{where} (index {index}): field 'frequency' is {frequency!r}; "
                                            "expected a non-negative integer count")
                if index in seen:
                    raise TracingInputError(f"{where}: index {index} appears twice in language {lang!r}")
                seen.add(index)
                idx.append(index)
                freq.append(frequency)
                rels.append(str(relation))
                subj.append(str(fact["subject"]))
                obj.append(str(fact["object"]))
        languages[str(lang)] = LanguageFacts(np.asarray(idx, dtype=np.int64), np.asarray(freq, dtype=np.int64),
                                             tuple(rels), tuple(subj), tuple(obj))
    return FrequencyTable(languages, source)


def read_frequencies(path: str | Path) -> FrequencyTable:
    """Read and validate a frequency file."""
    path = Path(path)
    try:
        data = json.loads(read_utf8(path, error=TracingInputError))
    except FileNotFoundError:
        raise TracingInputError(f"{path}: frequency file not found") from None
    except json.JSONDecodeError as err:
        raise TracingInputError(f"{path}: not valid JSON at line {err.lineno} column {err.colno} ({err.msg})") from None
    return parse_frequencies(data, str(path))
