"""The one ``doc_id`` rule of corpus JSON Lines, shared by AdaXEval's corpus reader and CPT's sources (one file
serves both, builders/README.md): rows that share a ``doc_id`` are consecutive parts of one document, in file order;
a ``doc_id`` that comes back after another document's rows is refused, since it would name two documents (most often
two files concatenated, or a corpus sorted by something else)."""

from __future__ import annotations

from xlfact.errors import DataError, XlfactError


class DocumentIds:
    """Follows the ``doc_id`` of each row of one file; :meth:`continues` says whether a row belongs to the previous
    row's document."""

    def __init__(self, error: type[XlfactError] = DataError) -> None:
        self.error = error
        self._current: str | None = None
        self._seen: set[str] = set()

    def continues(self, doc_id: str, where: str) -> bool:
        """True when this row is the next part of the previous row's document; a new ``doc_id`` starts a document,
        and one seen before, with other documents since, raises ``error`` naming ``where``."""
        if doc_id == self._current:
            return True
        if doc_id in self._seen:
            raise self.error(f"{where} (doc {doc_id}): doc_id comes back after other documents; the rows of one "
                             "document must be consecutive (one doc_id, one document)")
        self._seen.add(doc_id)
        self._current = doc_id
        return False
