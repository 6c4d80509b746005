"""CLiKA's report section as Markdown: the figures of :mod:`xlfact.evaluators.clika` (pure scoring) rendered as the
paper prints them (accuracy and RA in percent, en-CO and XRR as fractions). Rendering sits above scoring."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from xlfact.core.formatting import markdown_table, number, percent
from xlfact.evaluators.clika import (
    DEFAULT_FOCUS,
    ENGLISH,
    TASK_TITLES,
    TASKS,
    ordered_languages,
    other_languages,
    ratio,
    ratio_to_english,
    report_data,
)


def _pct(value: float) -> str:
    return percent(value, 2, missing="-")


def _frac(value: float) -> str:
    return number(value, missing="-", spec=".4f")


# The change-after-tuning columns: figure key, title, format.
CHANGE_COLUMNS = (("basic_ra", "Basic RA", _pct), ("factual_ra", "Factual RA", _pct),
                  ("factual_en_co", "Factual en-CO", _frac))


def change_section(change: Mapping[str, Any]) -> str:
    """Markdown of :func:`change_after_tuning`: one table per protocol, RA in percentage points, en-CO as fractions."""
    blocks = []
    for protocol, figures in change.items():
        rows = [[lang, *[fmt(figures[key].get(lang, math.nan)) for key, _, fmt in CHANGE_COLUMNS]]
                for lang in figures["languages"]]
        blocks.append(f"CLiKA change after instruction tuning ({protocol}; tuned minus foundation)\n")
        blocks.append(markdown_table(["lang", *[f"Δ {title}" for _, title, _ in CHANGE_COLUMNS]], rows))
        blocks.append("")
    return "\n".join(blocks).rstrip() + "\n"


def report_section(records_by_benchmark: Mapping[str, list[dict[str, Any]]], focus: str = DEFAULT_FOCUS) -> str:
    """The CLiKA tables of a run as Markdown: the paper's summary (RA en / focus / others; en-CO focus / others),
    per-language figures, and the fictional-knowledge (XRR) table when the run has it. Accuracy and RA in percent,
    en-CO and XRR as fractions, as the paper prints them."""
    data = report_data(records_by_benchmark, focus)
    blocks: list[str] = []
    for protocol, scores in data["protocols"].items():
        others = scores["others"]
        summary_header = [
            "prediction",
            "Basic RA en",
            f"Basic RA {focus}",
            "Basic RA others",
            "Factual RA en",
            f"Factual RA {focus}",
            "Factual RA others",
            f"Factual en-CO {focus}",
            "Factual en-CO others",
        ]
        row = [
            protocol,
            _pct(scores["basic_ra"].get(ENGLISH, math.nan)),
            _pct(scores["basic_ra"].get(focus, math.nan)),
            _pct(others["basic_ra"]),
            _pct(scores["factual_ra"].get(ENGLISH, math.nan)),
            _pct(scores["factual_ra"].get(focus, math.nan)),
            _pct(others["factual_ra"]),
            _frac(scores["factual_en_co"].get(focus, math.nan)),
            _frac(others["factual_en_co"]),
        ]
        counts = ", ".join(f"{TASK_TITLES[t]} {n}" for t, n in scores["n_items"].items())
        averaged = ", ".join(other_languages(scores["languages"], focus))
        blocks.append(f"CLiKA ({protocol}; items: {counts}; others = {averaged})\n")
        blocks.append(markdown_table(summary_header, [row]))
        tasks = [t for t in TASKS if t in scores["accuracy"]]
        header = ["lang", *[f"acc {TASK_TITLES[t]}" for t in tasks], *[f"RA {TASK_TITLES[t]}" for t in tasks],
                  "Basic RA", "Basic RA (/en)", "Factual RA", "Factual RA (/en)",
                  *[f"en-CO {TASK_TITLES[t]}" for t in tasks], "Factual en-CO"]
        rows = []
        for lang in scores["languages"]:
            rows.append([
                lang,
                *[_pct(scores["accuracy"][t].get(lang, math.nan)) for t in tasks],
                *[_pct(scores["ra"][t].get(lang, math.nan)) for t in tasks],
                _pct(scores["basic_ra"].get(lang, math.nan)),
                _frac(ratio_to_english(scores["basic_ra"], lang)),
                _pct(scores["factual_ra"].get(lang, math.nan)),
                _frac(ratio_to_english(scores["factual_ra"], lang)),
                *[_frac(scores["en_co"][t].get(lang, math.nan)) for t in tasks],
                _frac(scores["factual_en_co"].get(lang, math.nan)),
            ])
        en_basic, en_factual = scores["basic_ra"].get(ENGLISH, math.nan), scores["factual_ra"].get(ENGLISH, math.nan)
        rows.append([
            "others",
            *[_pct(others["accuracy"].get(t, math.nan)) for t in tasks],
            *[_pct(others["ra"].get(t, math.nan)) for t in tasks],
            _pct(others["basic_ra"]),
            _frac(ratio(others["basic_ra"], en_basic)),
            _pct(others["factual_ra"]),
            _frac(ratio(others["factual_ra"], en_factual)),
            *[_frac(others["en_co"].get(t, math.nan)) for t in tasks],
            _frac(others["factual_en_co"]),
        ])
        blocks.append("")
        blocks.append(markdown_table(header, rows))
        blocks.append("")
    if "fictional" in data or "translation" in data:
        fictional = data.get("fictional", {})
        translation = data.get("translation", {})
        langs = ordered_languages([*fictional.get("accuracy", {}), *translation])
        rows = [
            [
                lang,
                _pct(fictional.get("accuracy_type0", {}).get(lang, math.nan)),
                _pct(fictional.get("accuracy_type1", {}).get(lang, math.nan)),
                _pct(translation.get(lang, math.nan)),
                "-" if lang == ENGLISH else _frac(fictional.get("xrr", {}).get(lang, math.nan)),
            ]
            for lang in langs
        ]
        n_en = fictional.get("n_type1_en", 0)
        blocks.append(f"CLiKA fictional knowledge (XRR over type-1 relations; English type-1 items: {n_en})\n")
        blocks.append(markdown_table(["lang", "acc type 0", "acc type 1", "translation acc", "XRR"], rows))
        blocks.append("")
    return "\n".join(blocks).rstrip() + "\n"
