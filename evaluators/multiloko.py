"""MultiLoKo's scoring (Hupkes and Bogoychev 2025), reimplemented from the authors' ``eval.py``
(https://github.com/facebookresearch/multiloko): answer normalisation, the six per-example metrics, per-language means
and the cross-language aggregates, plus the paper's mother-tongue and locality effects.

* Normalisation (prediction and every target): ``str.lower``, removal of ASCII punctuation and of eval.py's extra
  list of CJK / typographic marks, removal of English articles, whitespace collapsed.
* Per example, best over the targets: ``em`` (string equality), ``f1`` (whitespace-token overlap; 0 when nothing
  is shared), ``bleu`` / ``chrf`` (sacrebleu ``sentence_bleu`` / ``sentence_chrf`` with all targets as references,
  0-100), ``edit_distance`` (minimum character Levenshtein distance; lower is better), ``edit_similarity``
  (maximum ``difflib.SequenceMatcher`` ratio).
* Per language (eval.py's "language" is a subset name: ``french``, ``french_translated_human_english`` for the French
  questions in English, ``english_translated_machine_french`` for the English questions in French): the mean of each
  metric over its examples; across languages: ``average_<m>``, ``max_<m>``, ``min_<m>`` and ``gap_<m>`` (max - min).
* Mother-tongue effect (MTE, README / paper): EM on a language's local questions in that language minus EM on the
  same questions translated into English; locality effect (LE): EM on the local questions minus EM on the English
  questions translated into that language. Both per language and averaged (human translations by default).

``tests/test_multiloko.py`` checks every per-language and aggregate figure against eval.py's ``evaluate_all`` on a
constructed prediction file.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

BENCHMARK = "multiloko"
LANGUAGES: tuple[str, ...] = (
    "arabic", "bengali", "cantonese", "czech", "dutch", "english", "farsi", "french", "german", "hebrew", "hindi",
    "indonesian", "italian", "japanese", "khmer", "korean", "malay", "marathi", "polish", "portuguese", "romanian",
    "russian", "simplified_mandarin", "spanish", "swedish", "tagalog", "thai", "traditional_mandarin", "turkish",
    "urdu", "vietnamese",
)
ENGLISH = "english"
TRANSLATIONS = ("human", "machine")
METRICS: tuple[str, ...] = ("em", "f1", "bleu", "chrf", "edit_distance", "edit_similarity")
LOWER_IS_BETTER = frozenset({"edit_distance"})

_EXTRA_PUNCT = ("„“«»¡¿《》！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～"
                "｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿"
                "–—‘’‛“”„‟…‧﹏.")
_PUNCT = frozenset(string.punctuation + _EXTRA_PUNCT)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, targets: Sequence[str]) -> float:
    return max(float(prediction == target) for target in targets)


def _f1(pred_tokens: list[str], gold_tokens: list[str]) -> float:
    common = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if common == 0:
        return 0
    precision = common / len(pred_tokens)
    recall = common / len(gold_tokens)
    return (2 * precision * recall) / (precision + recall)


def f1(prediction: str, targets: Sequence[str]) -> float:
    return max(_f1(prediction.split(), target.split()) for target in targets)


def sentence_bleu(prediction: str, targets: Sequence[str]) -> float:
    import sacrebleu

    return sacrebleu.sentence_bleu(prediction, list(targets)).score


def sentence_chrf(prediction: str, targets: Sequence[str]) -> float:
    import sacrebleu

    return sacrebleu.sentence_chrf(prediction, list(targets)).score


def levenshtein(a: str, b: str) -> int:
    """Character edit distance (insertions, deletions, substitutions of one code point each)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def edit_distance(prediction: str, targets: Sequence[str]) -> float:
    return float(min(levenshtein(prediction, target) for target in targets))


def edit_similarity(prediction: str, targets: Sequence[str]) -> float:
    return max(SequenceMatcher(None, prediction, target).ratio() for target in targets)


_FUNCTIONS = {"em": exact_match, "f1": f1, "bleu": sentence_bleu, "chrf": sentence_chrf,
              "edit_distance": edit_distance, "edit_similarity": edit_similarity}


def score_example(prediction: str, targets: Sequence[str]) -> dict[str, float]:
    """All six metrics of one raw prediction against its raw targets (both normalised here)."""
    if not targets:
        raise ValueError("MultiLoKo: an example has an empty list of targets")
    pred = normalize_answer(prediction or "")
    golds = [normalize_answer(t) for t in targets]
    return {name: fn(pred, golds) for name, fn in _FUNCTIONS.items()}


def subset_name(lang: str, translation: str | None = None, into: str | None = None) -> str:
    """eval.py's language key: ``<lang>`` or ``<lang>_translated_<human|machine>_<into>``."""
    return lang if translation is None else f"{lang}_translated_{translation}_{into}"


def aggregate(per_example: Mapping[str, Sequence[Mapping[str, float]]]) -> dict[str, Any]:
    """``{subset: {metric: mean}}`` and ``group_metrics`` (average / max / min / gap over subsets), as eval.py."""
    out: dict[str, Any] = {}
    for subset, rows in per_example.items():
        out[subset] = {m: sum(r[m] for r in rows) / len(rows) for m in METRICS}
    names = [s for s in out]
    group: dict[str, float] = {}
    for m in METRICS:
        values = [out[s][m] for s in names]
        group[f"average_{m}"] = sum(values) / len(values)
        group[f"max_{m}"] = max(values)
        group[f"min_{m}"] = min(values)
        group[f"gap_{m}"] = group[f"max_{m}"] - group[f"min_{m}"]
    out["group_metrics"] = group
    return out


def effects(per_subset_em: Mapping[str, float], translation: str = "human") -> dict[str, float]:
    """Mother-tongue (``mte/<lang>``) and locality (``le/<lang>``) effects, and their means (``mte``, ``le``), for the
    languages whose needed subsets are present."""
    out: dict[str, float] = {}
    for lang in LANGUAGES:
        if lang == ENGLISH or lang not in per_subset_em:
            continue
        in_english = per_subset_em.get(subset_name(lang, translation, ENGLISH))
        english_here = per_subset_em.get(subset_name(ENGLISH, translation, lang))
        if in_english is not None:
            out[f"mte/{lang}"] = per_subset_em[lang] - in_english
        if english_here is not None:
            out[f"le/{lang}"] = per_subset_em[lang] - english_here
    for key in ("mte", "le"):
        values = [v for k, v in out.items() if k.startswith(f"{key}/")]
        out[key] = sum(values) / len(values) if values else math.nan
    return out


def report_extras(records: list[dict[str, Any]]) -> dict[str, float]:
    """MultiLoKo's figures for ``xlfact report``: eval.py's aggregates over the run's subsets (average / min / max /
    gap of EM and F1) and the mother-tongue and locality effects on EM."""
    per: dict[str, list[dict[str, float]]] = {}
    for record in records:
        if record.get("benchmark") == BENCHMARK:
            per.setdefault(record["lang"], []).append(record["metrics"])
    if not per:
        return {}
    agg = aggregate(per)
    out = {k: v for k, v in agg["group_metrics"].items() if k.endswith(("_em", "_f1"))}
    out.update(effects({s: agg[s]["em"] for s in per}))
    return out
