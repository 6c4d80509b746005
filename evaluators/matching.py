"""The one free-form answer matcher of xlfact: normalisation, the lenient/exact match, and option resolution.

It is the rule of the KLAR-CLC evaluator of Wang et al. (ACL 2025) as the Lost-in-Mistranslation code implements it
(``evaluate/evaluate_klar.py``), so that xlfact's verdicts are the authors' verdicts, every one of them (the proof is
``tests/test_klar_reference.py`` on the 15,714 published verdicts of OLMo-2-1124-7B). KLAR tasks, CLiKA's generated
answers, the GRPO reward of the training recipes and the report all import it from here.

Normalisation, in this order (the order matters; see below):

1. Unicode NFC (with ``unicodedata2``, whose tables track the current Unicode standard; Python's own ``unicodedata``
   is frozen at the version the interpreter shipped with);
2. ``str.lower()``, as the authors do — not ``casefold()``, which would also map ``ß`` to ``ss`` and ``ς`` to ``σ``
   and so accept answers the authors' rule rejects;
3. strip; replace every run of whitespace and of the punctuation in :data:`PUNCTUATION` by one space; strip again.

Because lower-casing runs after NFC, the result is not always NFC: a capital Greek letter with dialytika followed by a
combining acute (``"Ϊ\\u0301"``) lower-cases to ``"ϊ\\u0301"``, which a second NFC would compose to ``"ΐ"``. We keep
the authors' order (idempotence fails only on such sequences, and the tests pin it) because changing it would change
verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import unicodedata2

# The punctuation the authors treat as a separator: ASCII, CJK and fullwidth marks, guillemets and curly quotes.
PUNCTUATION = ".,!?:;\"'()[]{}«»“”‘’、。，．！？；："
_SEPARATORS = re.compile("[\\s" + re.escape(PUNCTUATION) + "]+")

MatchMode = Literal["lenient", "exact", "prefix"]
MATCH_MODES: tuple[str, ...] = ("lenient", "exact", "prefix")


def normalize_answer(text: str | None) -> str:
    """NFC, ``str.lower()``, strip, runs of whitespace/punctuation to one space, strip. ``None`` and ``""`` give ``""``.

    >>> normalize_answer("  «Paris»,  France！")
    'paris france'
    """
    if not text:
        return ""
    lowered = unicodedata2.normalize("NFC", str(text)).lower().strip()
    return _SEPARATORS.sub(" ", lowered).strip()


def prefix_normalize(text: str | None) -> str:
    """The normalisation of ``mode="prefix"`` (multilingual fact tracing): ``str.lower()`` then strip, nothing else
    (no NFC, no punctuation handling), as MFT's ``is_nontrivial_prefix`` does."""
    return str(text).lower().strip() if text else ""


def normalized_match(prediction: str, target: str, mode: MatchMode = "lenient") -> bool:
    """:func:`answer_matches` for strings that are already normalised (saves normalising a fixed target again);
    for ``mode="prefix"`` they are normalised with :func:`prefix_normalize`."""
    if mode not in MATCH_MODES:
        raise ValueError(f"unknown match mode {mode!r}; expected one of {', '.join(MATCH_MODES)}")
    if mode == "prefix":
        # MFT (Liu et al. 2025): correct iff either string is a non-empty prefix of the other. "A" for "Alberta" is
        # correct; an empty prediction is not, but a prediction that starts with the target always is.
        return bool(prediction) and bool(target) and (target.startswith(prediction) or prediction.startswith(target))
    if not prediction or not target:
        return False  # an empty prediction (or target) is never correct, not even against an empty string
    if prediction == target:
        return True
    if mode == "exact":
        return False
    # Lenient: the target is one whole space-separated token of the prediction ("france paris" ~ "paris"), or the
    # prediction starts with the target ("parisian" ~ "paris", "北京市" ~ "北京"; unspaced scripts need this).
    return target in prediction.split() or prediction.startswith(target)


def answer_matches(prediction: str | None, target: str | None, mode: MatchMode = "lenient") -> bool:
    """Whether a raw generated answer matches a raw gold answer.

    ``mode="prefix"`` is the rule of the multilingual fact-tracing paper (Liu et al. 2025; ``klar_trace_*``): both are
    lower-cased and stripped only (:func:`prefix_normalize`), and the answer is correct iff one is a non-empty prefix
    of the other, in either direction. The other modes normalise with :func:`normalize_answer`. ``mode="exact"``:
    equal after normalisation. ``mode="lenient"``
    (the authors' default): equal, or the target is one whole space-separated token of the prediction, or the
    prediction starts with the target. An empty prediction or target never matches.
    """
    if mode == "prefix":
        return normalized_match(prefix_normalize(prediction), prefix_normalize(target), mode)
    return normalized_match(normalize_answer(prediction), normalize_answer(target), mode)


def resolve_option(prediction: str | None, options: Sequence[str]) -> int | None:
    """The index of the option a free-form answer names, or ``None`` when it names none (or is ambiguous).

    The resolution of the GRPO reward (the authors' ``resolve_prediction_to_letter``, on this module's normaliser):

    1. normalised exact match: the first option whose normalised text equals the normalised prediction;
    2. else containment: the options whose normalised text contains the normalised prediction or is contained in it
       (plain substring, so it works for scripts without spaces); the answer resolves only when exactly one option
       is hit — "Paris" against {"Paris, Texas", "Paris"} is settled by step 1, "Ber" against {"Bern", "Berlin"} by
       nothing.

    An empty prediction resolves to nothing; options that normalise to ``""`` are never hit.
    """
    pred = normalize_answer(prediction)
    if not pred:
        return None
    normalised = [normalize_answer(option) for option in options]
    for index, option in enumerate(normalised):
        if option == pred:
            return index
    hits = [index for index, option in enumerate(normalised) if option and (pred in option or option in pred)]
    return hits[0] if len(hits) == 1 else None


_ANSWER_PREFIX = re.compile(r"^\s*(answer|answer text)\s*:\s*", re.IGNORECASE)


def extract_answer(completion: object) -> str:
    """The answer text of a free-form completion, as the PolyFact authors extract it (``extract_answer_text``): strip,
    drop a leading ``Answer:`` / ``Answer text:``, keep the first line (chat completions: the last message's
    content). The GRPO reward and the free-form task ``polyfact_gen_<lang>`` both read answers with it."""
    if isinstance(completion, list):  # conversational: [{"role": "assistant", "content": ...}]
        completion = completion[-1]["content"] if completion else ""
    text = _ANSWER_PREFIX.sub("", str(completion or "").strip())
    return text.split("\n")[0].strip()


def resolve_completion(completion: object, options: Sequence[str]) -> tuple[str, int | None]:
    """(answer text, option index or None) of a free-form completion: :func:`extract_answer` then
    :func:`resolve_option` — what "correct" means for the GRPO reward and the free-form task alike."""
    answer = extract_answer(completion)
    return answer, resolve_option(answer, options)


def alignment_key(text: str | None) -> str:
    """The key that aligns an option across languages by its text (WIKI-FACT): NFKC, ``casefold()``, whitespace runs
    to one space, stripped. Stricter folding than :func:`normalize_answer` on purpose: it only decides whether two
    languages list the same answer, never whether an answer is right."""
    return " ".join(unicodedata2.normalize("NFKC", str(text or "")).casefold().split())
