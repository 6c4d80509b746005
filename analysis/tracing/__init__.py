"""Multilingual fact tracing (Liu et al., EMNLP Findings 2025, arXiv 2505.14824): factual recall over pretraining
checkpoints against each fact's corpus frequency, exactly as ``../shared/specs/fact-tracing.md`` §4-§7 specify.

- :mod:`.frequencies` reads MFT's frequency files (``{lang: {relation: [{subject, object, index, frequency}]}}``);
- :mod:`.counting` makes new ones with infini-gram (a local suffix-array index, or the public API);
- :mod:`.records` reads per-checkpoint correctness (an ``xlfact trace`` folder or a JSONL of rows);
- :mod:`.analyses` computes P(correct | frequency), the threshold classifier and the FN (transfer) attribution;
- :mod:`.similarity` traces representation similarity with English per layer and fact class;
- :mod:`.cli` is ``xlfact trace frequency`` / ``xlfact trace similarity``; ``xlfact frequency`` is :mod:`.counting`.
"""

from xlfact.errors import XlfactError


class TracingInputError(XlfactError):
    """Bad input to the tracing analyses; the message names the file, the row or fact, and the field."""
