"""The multilingual GRPO reward: one reward per *rollout*, a rollout being one answer to a fact in every language.

For a fact asked in L languages, GRPO samples G completions per (fact, language) prompt. Rollout r of the fact is the
r-th completion of each of its L prompts within one reward call (its occurrence rank; TRL's sampler puts a prompt's
G completions next to each other and keeps rows in dataset order when ``shuffle_dataset=False``). Its reward is

    sum over languages of  +1   the answer resolves to the gold option
                           -0.5 the answer is non-empty but resolves to no option (a hallucination)
                            0   it resolves to another option, or is empty
    + 1 when all L languages are correct,

and every completion of the rollout receives that reward, so all its languages share one advantage: the model is
rewarded for knowing the fact in every language, not language by language. An all-correct rollout scores L + 1.

"Resolves to" is :func:`xlfact.evaluators.matching.resolve_option` (normalised exact match, else containment hitting
exactly one option) — the one definition of a correct free-form answer in xlfact. The answer is the completion's first
line after an optional ``Answer:`` / ``Answer text:`` prefix (the authors' ``extract_answer_text``).
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlfact.evaluators.matching import extract_answer, resolve_option  # noqa: F401 - extract_answer re-exported

CORRECT, HALLUCINATION, OTHER = 1.0, -0.5, 0.0
ALL_CORRECT_BONUS = 1.0


class RolloutGroupingError(ValueError):
    """A reward call that does not hold every language of a fact the same number of times."""


def language_score(answer: str, options: Sequence[str], gold: int) -> float:
    """+1 gold, -0.5 non-empty and no option, 0 another option or empty."""
    if not answer.strip():
        return OTHER
    resolved = resolve_option(answer, options)
    if resolved is None:
        return HALLUCINATION
    return CORRECT if resolved == int(gold) else OTHER


def rollout_rewards(
    fact_ids: Sequence[str],
    languages: Sequence[str],
    completions: Sequence[Any],
    options: Sequence[Sequence[str]],
    gold: Sequence[int],
    expected_languages: Sequence[str] | None = None,
) -> list[float]:
    """One reward per completion (see the module docstring); all completions of a rollout get the same value.

    Raises :class:`RolloutGroupingError` when a fact in the call lacks a language or has languages a different number
    of times — the rollouts could not be formed, and training on a partial reward would silently change the recipe.
    """
    n = len(completions)
    if not (len(fact_ids) == len(languages) == len(options) == len(gold) == n):
        raise ValueError("rollout_rewards: fact_ids, languages, completions, options and gold must have one entry each")
    groups: OrderedDict[str, OrderedDict[str, list[int]]] = OrderedDict()
    for i, (fact, lang) in enumerate(zip(fact_ids, languages)):
        groups.setdefault(str(fact), OrderedDict()).setdefault(str(lang), []).append(i)
    rewards = [0.0] * n
    for fact, per_lang in groups.items():
        counts = {lang: len(ix) for lang, ix in per_lang.items()}
        if expected_languages is not None and set(per_lang) != set(expected_languages):
            missing = sorted(set(expected_languages) - set(per_lang))
            raise RolloutGroupingError(
                f"reward call holds fact {fact} without language(s) {missing}: a fact's rollouts must land in one "
                "reward call — keep rows fact-major, shuffle_dataset=False, and the per-process generation batch a "
                "multiple of languages x num_generations")
        if len(set(counts.values())) != 1:
            raise RolloutGroupingError(f"reward call holds fact {fact} with unequal completions per language {counts}")
        for r in range(next(iter(counts.values()))):
            members = [per_lang[lang][r] for lang in per_lang]
            scores = [language_score(extract_answer(completions[i]), options[i], gold[i]) for i in members]
            total = sum(scores) + (ALL_CORRECT_BONUS if all(s == CORRECT for s in scores) else 0.0)
            for i in members:
                rewards[i] = total
    return rewards


class AllLanguagesReward:
    """The reward function handed to ``trl.GRPOTrainer`` (reads the dataset columns fact_id, language, options, gold).

    ``log_path``: when set, every call appends one JSON line (process rank, number of completions, and per fact the
    completions per language) — the evidence that a fact's rollouts stay within one call per process.
    """

    __name__ = "all_languages_reward"

    def __init__(self, languages: Sequence[str], log_path: str | os.PathLike | None = None):
        self.languages = list(languages)
        self.log_path = Path(log_path) if log_path else None

    def __call__(self, prompts, completions, fact_id, language, options, gold, **_: Any) -> list[float]:
        rewards = rollout_rewards(fact_id, language, completions, options, gold, self.languages)
        if self.log_path is not None:
            per_fact: dict[str, dict[str, int]] = {}
            for fact, lang in zip(fact_id, language):
                per_fact.setdefault(str(fact), {}).setdefault(str(lang), 0)
                per_fact[str(fact)][str(lang)] += 1
            rank = int(os.environ.get("RANK", "0"))
            path = self.log_path.with_name(f"{self.log_path.stem}.rank{rank}{self.log_path.suffix or '.jsonl'}")
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({"rank": rank, "n": len(completions), "facts": per_fact,
                                         "mean_reward": sum(rewards) / len(rewards)}) + "\n")
        return rewards
