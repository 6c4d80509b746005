"""Is a text written in a language's script? The check a translated AdaXEval query must pass.

A small model asked for a Japanese version often returns the English text unchanged, or a text in another script;
both parse and validate, so without this check they become "Japanese" items. The check is deliberately simple:
the letters of the text (Unicode letters, by the first word of their character name: LATIN, CYRILLIC, HIRAGANA, CJK,
...) must be mostly (at least :data:`MIN_SHARE`) in the scripts the language is written in. Languages not in
:data:`SCRIPTS` are not checked. It does not tell languages of one script apart (a German version left in English
passes it); the identity check beside it (:func:`translation_problem`) catches a version copied from the source.
"""

from __future__ import annotations

import unicodedata

LATIN = frozenset({"LATIN"})
SCRIPTS: dict[str, frozenset[str]] = {
    **{lang: LATIN for lang in ("en", "de", "fr", "es", "pt", "it", "nl", "sv", "da", "no", "fi", "pl", "cs", "tr",
                                "id", "vi", "ro", "hu", "ca")},
    "ja": frozenset({"HIRAGANA", "KATAKANA", "CJK"}),
    "zh": frozenset({"CJK"}),
    "ko": frozenset({"HANGUL", "CJK"}),
    **{lang: frozenset({"CYRILLIC"}) for lang in ("ru", "uk", "bg", "sr")},
    **{lang: frozenset({"ARABIC"}) for lang in ("ar", "fa", "ur")},
    "el": frozenset({"GREEK"}),
    "he": frozenset({"HEBREW"}),
    "hi": frozenset({"DEVANAGARI"}),
    "th": frozenset({"THAI"}),
}
MIN_SHARE = 0.5


def script_of(char: str) -> str:
    """The script of a letter by its Unicode name ('LATIN SMALL LETTER A' -> LATIN; fullwidth forms by their base;
    'KATAKANA-HIRAGANA PROLONGED SOUND MARK' -> KATAKANA)."""
    words = unicodedata.name(char, "").replace("-", " ").split()
    if words[:1] in (["FULLWIDTH"], ["HALFWIDTH"]):
        words = words[1:]
    return words[0] if words else ""


def script_share(text: str, lang: str) -> float | None:
    """The share of ``text``'s letters written in ``lang``'s scripts; None when the language is unknown here or the
    text has no letter."""
    expected = SCRIPTS.get(lang)
    letters = [c for c in text if c.isalpha()]
    if expected is None or not letters:
        return None
    return sum(script_of(c) in expected for c in letters) / len(letters)


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def translation_problem(source: dict[str, str], translated: dict[str, str], target: str) -> str:
    """Why a translated query is not a ``target``-language version (empty when it is): its cloze or question is the
    source's (``untranslated``), or the letters of its cloze and question are not mostly in the target's script
    (``wrong_script``)."""
    for field in ("fill_in_blank", "question"):
        if _norm(translated[field]) == _norm(source[field]):
            return "untranslated"
    text = f"{translated['fill_in_blank'].replace('[BLANK]', ' ')} {translated['question']}"
    share = script_share(text, target)
    if share is not None and share < MIN_SHARE:
        return "wrong_script"
    return ""
