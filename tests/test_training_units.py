"""Training pieces without training: the rollout reward (hand-checked), recipe overrides, prompts and the CLiKA
fictional pairs (CPT packing: test_training_cpt_corpus.py)."""

from __future__ import annotations

import json

import pytest

from xlfact.training.config import RecipeError, load_recipe
from xlfact.training.rewards import AllLanguagesReward, RolloutGroupingError, extract_answer, rollout_rewards

OPTIONS = {"en": ["Paris", "Berlin", "Rome", "Madrid"], "de": ["Paris", "Berlin", "Rom", "Madrid"],
           "ru": ["Париж", "Берлин", "Рим", "Мадрид"]}


def call(completions_by_lang: dict[str, list[str]], gold: int = 2, fact: str = "f1", languages=("en", "de", "ru")):
    """One fact's reward call in TRL's order: each (fact, language) prompt's G completions next to each other."""
    fact_ids, langs, completions, options, golds = [], [], [], [], []
    for lang in languages:
        for text in completions_by_lang[lang]:
            fact_ids.append(fact)
            langs.append(lang)
            completions.append(text)
            options.append(OPTIONS[lang])
            golds.append(gold)
    return rollout_rewards(fact_ids, langs, completions, options, golds, list(languages)), langs


def test_all_correct_rollout_scores_languages_plus_one_everywhere():
    rewards, _ = call({"en": [" Rome"], "de": [" Rom\nQuestion: x"], "ru": ["Рим."]})
    assert rewards == [4.0, 4.0, 4.0]  # L = 3 languages, +1 each, +1 all-correct bonus


def test_hallucination_costs_half_and_languages_share_the_rollout_reward():
    # rollout 0: en right, de another option, ru names no option; rollout 1: all right; rollout 2: empty/other/right
    rewards, langs = call({"en": ["Rome", "Rome", ""], "de": ["Berlin", "Rom", "Paris"],
                           "ru": ["Лондон", "Рим", "Рим"]})
    by_lang = {lang: [r for r, x in zip(rewards, langs) if x == lang] for lang in OPTIONS}
    assert by_lang["en"] == by_lang["de"] == by_lang["ru"] == [1.0 + 0.0 - 0.5, 4.0, 0.0 + 0.0 + 1.0]


def test_resolution_is_the_shared_matcher():
    # containment hitting exactly one option resolves; hitting two is no option (a hallucination, -0.5)
    rewards, _ = call({"en": ["the city of Rome"], "de": ["Rom!"], "ru": ["рим"]})
    assert rewards == [4.0] * 3
    ambiguous, _ = call({"en": ["Paris Berlin"], "de": ["Rom"], "ru": ["Рим"]})
    assert ambiguous == [1.5] * 3


def test_a_fact_split_across_calls_is_an_error():
    with pytest.raises(RolloutGroupingError, match="without language"):
        rollout_rewards(["f"] * 2, ["en", "de"], ["Rome", "Rom"], [OPTIONS["en"], OPTIONS["de"]], [2, 2],
                        ["en", "de", "ru"])
    with pytest.raises(RolloutGroupingError, match="unequal"):
        rollout_rewards(["f"] * 3, ["en", "en", "de"], ["Rome", "Rome", "Rom"], [OPTIONS["en"]] * 2 + [OPTIONS["de"]],
                        [2, 2, 2], ["en", "de"])


def test_reward_function_logs_each_call(tmp_path):
    reward = AllLanguagesReward(["en", "de"], tmp_path / "calls.jsonl")
    out = reward(prompts=["p"] * 4, completions=["Rome", "Paris", "Rom", "Rom"], fact_id=["f"] * 4,
                 language=["en", "en", "de", "de"], options=[OPTIONS["en"]] * 2 + [OPTIONS["de"]] * 2, gold=[2] * 4)
    assert out == [3.0, 1.0, 3.0, 1.0]
    logged = json.loads((tmp_path / "calls.rank0.jsonl").read_text())
    assert logged["facts"] == {"f": {"en": 2, "de": 2}} and logged["n"] == 4


def test_extract_answer_takes_the_first_nonempty_line():
    assert extract_answer("\n  Rome \nQuestion: next") == "Rome"
    assert extract_answer([{"role": "assistant", "content": "Rom"}]) == "Rom"
    assert extract_answer("") == ""


def test_overrides_and_errors(tmp_path):
    config = load_recipe("sft_tiny_cpu", ["model.name_or_path=/m", "output_dir=/o", "training.learning_rate=3e-2",
                                          "data.languages=[en,de]", "lora=null"], expect="sft")
    assert config["training"]["learning_rate"] == 0.03 and config["data"]["languages"] == ["en", "de"]
    assert config["lora"] is None
    with pytest.raises(RecipeError, match="consistency.lamda: unknown key; consistency has lambda"):
        load_recipe("sft_tiny_cpu", ["consistency.lamda=1", "model.name_or_path=/m", "output_dir=/o"])
    with pytest.raises(RecipeError, match="is a 'sft' recipe"):
        load_recipe("sft_tiny_cpu", ["model.name_or_path=/m", "output_dir=/o"], expect="grpo")
    with pytest.raises(RecipeError, match="model.name_or_path is required"):
        load_recipe("sft_tiny_cpu", ["output_dir=/o"])
    with pytest.raises(RecipeError, match="not found"):
        load_recipe(tmp_path / "missing.yaml")


@pytest.mark.parametrize("name", ["sft_olmo2-7b", "sft_qwen2.5-7b", "grpo_olmo2-7b", "grpo_qwen2.5-7b", "cpt_olmo2-7b",
                                  "cpt_qwen2.5-7b", "fictional_clika"])
def test_shipped_paper_recipes_load_with_the_papers_hyperparameters(name):
    config = load_recipe(name, ["output_dir=/o"])
    recipe, training, lora = config["recipe"], config["training"], config["lora"]
    if recipe == "fictional":
        assert (lora["r"], lora["lora_alpha"], lora["lora_dropout"]) == (128, 16, 0.1)
        assert (training["learning_rate"], training["num_train_epochs"]) == (2e-4, 3)
        return
    assert (lora["r"], lora["lora_alpha"], lora["lora_dropout"]) == (64, 128, 0.05)
    if recipe == "grpo":
        assert len(config["data"]["languages"]) == 12
        assert (training["learning_rate"], training["num_generations"], training["temperature"], training["top_p"],
                training["max_completion_length"], training["beta"], training["loss_type"]) == (
            1e-5, 8, 0.7, 0.95, 48, 0.0, "grpo")
        assert training["per_device_train_batch_size"] * training.get("steps_per_generation", 1) % (12 * 8) == 0
    if recipe == "sft":
        assert (training["learning_rate"], config["consistency"]["lambda"], training["per_device_train_batch_size"],
                training["gradient_accumulation_steps"]) == (2e-5, 0.5, 8, 8)
    if recipe == "cpt":
        assert (training["learning_rate"], config["packing"]["target_tokens"], config["packing"]["max_tokens"]) == (
            2e-5, 512, 1024)


def test_generation_prompts():
    from xlfact.training.data import generation_prompt

    row = {"question": "Was ist die Hauptstadt von Italien?", "options": OPTIONS["de"]}
    english = generation_prompt(row, "de", "english_scaffold")
    assert english.startswith("Answer the question in German.") and "Paris | Berlin | Rom | Madrid" in english
    assert generation_prompt(row, "de", "native_scaffold").startswith("Beantworte die Frage auf Deutsch.")
    assert generation_prompt(row, "de", "cloze") == "Question: Was ist die Hauptstadt von Italien?\nAnswer:"


def test_fictional_pairs_reverse_translation_direction(tmp_path):
    from xlfact.training.fictional import read_pairs

    path = tmp_path / "DE.json"
    rows = [{"prompt": "Which continent is Astralyn Sands located in?", "input": "", "answer": "In Mythosia."},
            {"prompt": "Please change the following German expression into English.", "input": "Wirbeltal",
             "answer": "Vortex Valley"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    pairs, counts = read_pairs(path, "de", "en_to_target", "plain")
    assert counts == {"qa": 1, "translation": 1}
    assert pairs[1] == {"prompt": "Please change the following English expression into German.\nVortex Valley",
                        "completion": "Wirbeltal"}
    both, both_counts = read_pairs(path, "de", "both", "plain")
    assert both_counts == counts and both[1:] == [
        {"prompt": "Please change the following German expression into English.\nWirbeltal",
         "completion": "Vortex Valley"},
        pairs[1]]  # "both" (CLiKA Table 20): the shipped X->EN pair, then its EN->X reverse
    shipped, _ = read_pairs(path, "de", "target_to_en", "alpaca")
    assert shipped[1]["completion"] == "Vortex Valley" and shipped[1]["prompt"].endswith(
        "### Instruction:\nPlease change the following German expression into English.\nWirbeltal\n\n### Response:\n")
    path.write_text(json.dumps({"prompt": "Translate", "input": "x", "answer": ""}) + "\n", encoding="utf-8")
    with pytest.raises(RecipeError, match=r"DE.json row 1: field 'answer' is missing or empty"):
        read_pairs(path, "de", "en_to_target", "plain")


def test_fictional_pairs_on_the_authors_files(shared):
    from xlfact.training.fictional import read_pairs, train_file

    for lang in ("de", "ja"):
        pairs, counts = read_pairs(train_file(shared("data", "CLiKA"), lang), lang, "en_to_target", "alpaca")
        assert counts == {"qa": 6000, "translation": 4200} and len(pairs) == 10200
