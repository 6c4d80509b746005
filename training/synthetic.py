"""Synthetic parallel facts for proving that a training recipe teaches facts (tests, CI, examples).

Real facts cannot show learning on a tiny random model, and a model that already knows them shows nothing; invented
facts about invented entities can only be known by training on them. Each fact is "where was <person> born?" with a
made-up person and four made-up towns, asked in English, German and Russian (Cyrillic transliteration), with option
slots aligned across languages (slot k is the same town in every language), written in PolyFact's hub layout
(``<root>/<lang>/test.jsonl``, flat rows ``fact_id, language, subject, relation, object, question, option_a..option_d,
answer_text, answer_index``) so that the ``polyfact_<lang>`` tasks evaluate them with ``--metadata data_dir=<root>``.

Also: a small parallel corpus in the CPT input shape (``{doc_id, texts: {lang: text}}``) about the same entities.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from xlfact.core.jsonl import read_jsonl

SYNTHETIC_LANGUAGES = ("en", "de", "ru")
_CONSONANTS = "bdklmnrstvz"
_VOWELS = "aeiou"
_CYRILLIC = dict(zip("bdklmnrstvzaeiou", "бдклмнрствзаеиоу"))
_QUESTION = {
    "en": "Where was {} born?",
    "de": "Wo wurde {} geboren?",
    "ru": "Где родился {}?",
}
_SENTENCE = {
    "en": "{} was born in {}.",
    "de": "{} wurde in {} geboren.",
    "ru": "{} родился в городе {}.",
}


def _name(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(syllables)).capitalize()


def localise(name: str, lang: str) -> str:
    """The spelling of an invented name in ``lang``: Latin for en and de, Cyrillic for ru."""
    if lang == "ru":
        return "".join(_CYRILLIC[c] for c in name.lower()).capitalize()
    return name


def _unique_names(rng: random.Random, count: int, syllables: int, taken: set[str]) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = _name(rng, syllables)
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def synthetic_facts(
    n_facts: int = 100, languages: tuple[str, ...] = SYNTHETIC_LANGUAGES, *, n_towns: int = 40, seed: int = 0
) -> dict[str, list[dict]]:
    """``{lang: [row, ...]}`` in PolyFact's flat hub schema; the gold slot is uniform over 0-3."""
    unknown = [lang for lang in languages if lang not in _QUESTION]
    if unknown:
        raise ValueError(f"synthetic facts exist in {SYNTHETIC_LANGUAGES}; not in {unknown}")
    rng = random.Random(seed)
    taken: set[str] = set()
    towns = _unique_names(rng, n_towns, 3, taken)
    people = _unique_names(rng, n_facts, 2, taken)
    rows: dict[str, list[dict]] = {lang: [] for lang in languages}
    for i, person in enumerate(people):
        options = rng.sample(range(n_towns), 4)
        gold = rng.randrange(4)
        for lang in languages:
            subject = localise(person, lang)
            texts = [localise(towns[t], lang) for t in options]
            rows[lang].append({
                "fact_id": f"S{i}|P19|T{options[gold]}",
                "language": lang,
                "subject": subject,
                "relation": "place of birth",
                "object": texts[gold],
                "question": _QUESTION[lang].format(subject),
                "option_a": texts[0],
                "option_b": texts[1],
                "option_c": texts[2],
                "option_d": texts[3],
                "answer_text": texts[gold],
                "answer_index": gold,
            })
    return rows


def write_synthetic_facts(root: str | Path, n_facts: int = 100, languages=SYNTHETIC_LANGUAGES, seed: int = 0) -> Path:
    """Write :func:`synthetic_facts` as ``<root>/<lang>/test.jsonl`` (PolyFact's local layout); returns ``root``."""
    root = Path(root)
    for lang, rows in synthetic_facts(n_facts, tuple(languages), seed=seed).items():
        (root / lang).mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        (root / lang / "test.jsonl").write_text(text, encoding="utf-8")
    return root


def write_synthetic_parallel_corpus(path: str | Path, n_facts: int = 100, languages=SYNTHETIC_LANGUAGES,
                                    seed: int = 0) -> Path:
    """The same facts as parallel sentences, one document per fact: ``{doc_id, texts: {lang: text}}`` per line."""
    facts = synthetic_facts(n_facts, tuple(languages), seed=seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n_facts):
            texts = {lang: _SENTENCE[lang].format(facts[lang][i]["subject"], facts[lang][i]["answer_text"])
                     for lang in languages}
            handle.write(json.dumps({"doc_id": f"doc{i}", "texts": texts}, ensure_ascii=False) + "\n")
    return path


def tokenizer_texts(data_dir: str | Path) -> list[str]:
    """Texts to train a tiny model's tokenizer on: every question with its answer, and every option."""
    texts: list[str] = []
    for file in sorted(Path(data_dir).glob("*/test.jsonl")):
        for _, row in read_jsonl(file):
            texts.append(f"Question: {row['question']}\nAnswer: {row['answer_text']}")
            texts.extend(row[f"option_{c}"] for c in "abcd")
    return texts


def build_untied_tiny_llama(out_dir: str | Path, texts: list[str], seed: int = 0) -> Path:
    """:func:`xlfact.training.tiny_models.build_tiny_llama` with separate input and output embeddings (same initial
    values).

    The tiny training configs train both embeddings beside LoRA (``modules_to_save``); with tied embeddings PEFT wraps
    one tensor twice, and lm-eval's ``peft=`` loading then fails in ``tie_weights``.
    """
    import torch
    from transformers import AutoModelForCausalLM

    from xlfact.training.tiny_models import build_tiny_llama

    out = build_tiny_llama(out_dir, texts, seed=seed)
    model = AutoModelForCausalLM.from_pretrained(out)
    model.config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(model.get_input_embeddings().weight.detach().clone())
    model.save_pretrained(out)
    return out


def warm_up_on_options(
    model_dir: str | Path,
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    epochs: int = 50,
    batch_size: int = 45,
    learning_rate: float = 5e-3,
    seed: int = 0,
) -> Path:
    """A starting model for GRPO that knows each fact's four options but not which one is right.

    GRPO can only sharpen what the policy already samples: a random tiny model never names an option, so every
    rollout scores the same and there is no advantage to learn from. This fine-tunes ``model_dir`` on every
    (question, option) pair of the synthetic facts in ``data_dir`` — all four options of a fact equally often, the
    loss on the answer tokens only (``" <option>\\n"`` after PolyFact's cloze prompt) — so that afterwards most
    sampled answers are one of the fact's options, spread evenly over them: accuracy near chance (0.25), and a reward
    signal that tells the gold option apart. Full passes in shuffled mini-batches with a linearly decaying learning
    rate; the defaults (50 epochs, batch 45, lr 5e-3) take about 8 s at one thread for 30 facts x 3 languages and
    leave ~90% of samples (temperature 1) naming an option. Writes model and tokenizer to ``out_dir``; returns it.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from xlfact.training.data import cloze_prompt

    rows = [row for file in sorted(Path(data_dir).glob("*/test.jsonl")) for _, row in read_jsonl(file)]
    if not rows:
        raise ValueError(f"{data_dir}: no <lang>/test.jsonl rows to warm up on")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    saved_padding_side, tokenizer.padding_side = tokenizer.padding_side, "right"
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    prompts = [cloze_prompt(row["question"]) for row in rows for _ in "abcd"]
    texts = [f"{cloze_prompt(row['question'])} {row[f'option_{c}']}\n" for row in rows for c in "abcd"]
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    for i, prompt in enumerate(prompts):
        prompt_ids = tokenizer(prompt)["input_ids"]
        if batch["input_ids"][i, : len(prompt_ids)].tolist() != prompt_ids:
            raise ValueError(f"{data_dir}: row {i // 4} ({rows[i // 4]['fact_id']}): the prompt's tokens are not a "
                             "prefix of prompt + answer; cannot mask the prompt out of the loss")
        labels[i, : len(prompt_ids)] = -100
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    steps_per_epoch = max(1, len(texts) // batch_size)
    total = epochs * steps_per_epoch
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / total)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(texts), generator=generator)
        for step in range(steps_per_epoch):
            index = order[step * batch_size:(step + 1) * batch_size]
            loss = model(**{k: v[index] for k, v in batch.items()}, labels=labels[index]).loss
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
    out = Path(out_dir)
    tokenizer.padding_side = saved_padding_side
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
