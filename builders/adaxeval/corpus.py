"""Reading a corpus to build questions from: documents in one or more languages, optionally paired across languages.

Two layouts:

* JSON Lines, one document per line: ``{"doc_id": str, "lang": str, "text": str, "pair_id": str (optional)}``;
  documents with the same ``pair_id`` are versions of one another in different languages;
* a folder ``DIR/<lang>/<name>.txt``: ``doc_id`` is ``<lang>/<name>``; files with the same name in different language
  folders are paired.

A bad row raises :class:`BuildError` naming the file, the line and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from xlfact.core.documents import DocumentIds
from xlfact.core.jsonl import read_jsonl
from xlfact.errors import DataError


class BuildError(DataError):
    """Bad input to a builder: one line naming file, row and field (exit code 2)."""


@dataclass(frozen=True)
class Document:
    doc_id: str
    lang: str
    text: str
    pair_id: str = ""


def read_corpus(path: str | Path) -> list[Document]:
    path = Path(path)
    if path.is_dir():
        docs = [Document(f"{f.parent.name}/{f.stem}", f.parent.name, f.read_text(encoding="utf-8"), f.stem)
                for f in sorted(path.glob("*/*.txt"))]
        if not docs:
            raise BuildError(f"{path}: no <lang>/<name>.txt files")
        for doc in docs:
            if not doc.text.strip():
                raise BuildError(f"{path}/{doc.doc_id}.txt: the document is empty")
        return docs
    if not path.is_file():
        raise BuildError(f"{path}: corpus not found (a .jsonl file or a <lang>/<name>.txt folder)")
    docs: list[Document] = []
    ids = DocumentIds(BuildError)
    for line, row in read_jsonl(path, error=BuildError, unit="line"):
        where = f"{path} line {line}"
        for key in ("doc_id", "lang", "text"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise BuildError(f"{where}: field {key!r} is missing or empty; expected a non-empty string")
        pair = row.get("pair_id", "")
        if not isinstance(pair, str):
            raise BuildError(f"{where} (doc {row['doc_id']}): field 'pair_id' must be a string")
        doc = Document(row["doc_id"], row["lang"].strip(), row["text"], pair)
        if ids.continues(doc.doc_id, where):  # the next part of the previous document: its text continues
            previous = docs[-1]
            if (doc.lang, doc.pair_id) != (previous.lang, previous.pair_id):
                raise BuildError(f"{where} (doc {doc.doc_id}): lang or pair_id differs from the document's earlier "
                                 "rows; another language version is another document (its own doc_id, same pair_id)")
            docs[-1] = Document(previous.doc_id, previous.lang, f"{previous.text}\n{doc.text}", previous.pair_id)
            continue
        docs.append(doc)
    if not docs:
        raise BuildError(f"{path}: no documents")
    return docs


def parallel_versions(docs: list[Document]) -> dict[str, dict[str, Document]]:
    """doc_id -> {other language: the paired document in that language}."""
    by_pair: dict[str, list[Document]] = {}
    for doc in docs:
        if doc.pair_id:
            by_pair.setdefault(doc.pair_id, []).append(doc)
    return {doc.doc_id: {o.lang: o for o in by_pair.get(doc.pair_id, []) if o.lang != doc.lang} for doc in docs}


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph: after ``. ! ?`` followed by space, and after ``。！？`` (no space in CJK)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s and s.strip()]
