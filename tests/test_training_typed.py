"""Recipe sections as typed instances (training/schema.py `typed`): the schema's defaults are the only ones, and a
section that skipped the recipe loader is checked the same way."""

from __future__ import annotations

import pytest

from xlfact.training import schema
from xlfact.training.config import RecipeError, recipe_seed, typed_section
from xlfact.training.corpus import build_mix


def test_defaults_come_from_the_schema():
    cons = typed_section({}, "consistency", schema.ConsistencySection)
    assert (cons.lambda_, cons.kl_direction, cons.prompt_format) == (0.5, "p_to_mean", "mcq")
    cons = typed_section({"consistency": {"lambda": 2}}, "consistency", schema.ConsistencySection)
    assert cons.lambda_ == 2.0 and isinstance(cons.lambda_, float)
    assert recipe_seed({}) == schema.DEFAULT_SEED and recipe_seed({"seed": 7}) == 7


def test_a_bad_section_names_the_recipe_and_key():
    with pytest.raises(RecipeError, match=r"^r\.yaml: consistency\.lamda: unknown key"):
        typed_section({"_source": "r.yaml", "consistency": {"lamda": 1}}, "consistency", schema.ConsistencySection)
    with pytest.raises(RecipeError, match=r"reward\.prompt_style: 'loud' is not one of"):
        typed_section({"reward": {"prompt_style": "loud"}}, "reward", schema.RewardSection)


def test_build_mix_checks_packing_it_was_handed(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"doc_id": "a", "texts": {"en": "x", "ja": "y"}}\n', encoding="utf-8")
    with pytest.raises(RecipeError, match=r"packing\.target_tokens"):
        build_mix({"sources": [{"path": str(corpus)}]}, {"target_tokens": 0}, tokenizer=None, seed=0)
