"""Schema-guided generation for local models (builders/adaxeval/structured.py) with a tiny untrained Llama and its
byte-level BPE tokenizer: whatever the weights, the constraints hold — the triple's subject and object are copied
spans of the sentence (word boundaries, a letter or digit at both ends, never the whole sentence, not overlapping),
the cloze has [BLANK] exactly once with the blanked phrase as the answer, the question has no [BLANK], a distractor
is no longer than twice the answer (at least 4 tokens), and judges at a temperature sample their choices by seed."""

from __future__ import annotations

import json

import pytest

from xlfact.builders.adaxeval.schema import FactJudgement, QueryDraft, TripleAnswer, parse_answer
from xlfact.builders.adaxeval.structured import SchemaFiller, vocab_of, word_boundaries
from xlfact.training.tiny_models import build_tiny_llama

SENTENCES = ["The capital of France is Paris.", "Water boils at 100 degrees at sea level.",
             "フランスの首都はパリである。", "水は海面で100度で沸騰する。"]


@pytest.fixture(scope="module")
def filler(tmp_path_factory):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    texts = SENTENCES + ['{"factuality": true, "triple": {"subject": "", "relation": "", "object": ""}}',
                         "fill_in_blank question answer distractors [BLANK]"]
    path = build_tiny_llama(tmp_path_factory.mktemp("tiny"), texts, seed=0, vocab_size=400)
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    return SchemaFiller(model, AutoTokenizer.from_pretrained(path), max_string_tokens=12)


def prompt(filler, text: str) -> list[int]:
    return filler.tokenizer(text, add_special_tokens=False)["input_ids"]


def check_span(sentence: str, phrase: str) -> None:
    assert phrase and phrase in sentence, (sentence, phrase)
    assert phrase != sentence.strip(".。 ") and phrase[0].isalnum() and phrase[-1].isalnum(), phrase
    raw, part = sentence.encode(), phrase.encode()
    at = raw.index(part)
    bounds = word_boundaries(sentence)
    assert at in bounds and at + len(part) in bounds, (sentence, phrase)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_triples_are_copied_spans(filler, sentence):
    for schema, key in ((FactJudgement, "triple"), (TripleAnswer, "triple")):
        text = filler.fill(prompt(filler, f"Sentence: {sentence}\nAnswer: "), schema, {"sentence": sentence})
        answer = parse_answer(text, schema)
        triple = getattr(answer, key)
        if triple is None:  # a judge that says not factual has no triple
            assert answer.factuality is False
            continue
        check_span(sentence, triple.subject)
        check_span(sentence, triple.object)
        s, o = sentence.encode().index(triple.subject.encode()), sentence.encode().index(triple.object.encode())
        assert s + len(triple.subject.encode()) <= o or o + len(triple.object.encode()) <= s, triple


@pytest.mark.parametrize("sentence", SENTENCES)
def test_cloze_question_and_distractors(filler, sentence):
    whole = sentence.rstrip(".。")
    head = whole[:len(whole) // 2].rstrip()
    # a reference triple whose object is the sentence's second half: the crafted triple is regenerated as spans
    payload = {"sentence": sentence, "triple": {"subject": head, "relation": "is", "object": whole[len(head):].strip()}}
    text = filler.fill(prompt(filler, json.dumps(payload, ensure_ascii=False)), QueryDraft, payload)
    data = json.loads(text)
    draft = parse_answer(text, QueryDraft)  # [BLANK] once, 3 distinct distractors, question without [BLANK]
    assert draft.fill_in_blank.replace("[BLANK]", draft.answer) == sentence
    assert "[" not in draft.question
    answer_tokens = len(filler._encode(draft.answer))
    for d in data["distractors"]:
        assert len(filler._encode(d)) <= max(4, 2 * answer_tokens), (d, draft.answer)


def test_judges_sample_by_seed(filler):
    sentence = SENTENCES[0]
    ids = prompt(filler, sentence)
    greedy = {filler.fill(ids, FactJudgement, {"sentence": sentence}, seed=s) for s in range(6)}
    assert len(greedy) == 1, "temperature 0: one answer whatever the seed"
    votes = [json.loads(filler.fill(ids, FactJudgement, {"sentence": sentence}, temperature=5.0, seed=s))
             ["factuality"] for s in range(12)]
    assert set(votes) == {True, False}, votes
    again = [json.loads(filler.fill(ids, FactJudgement, {"sentence": sentence}, temperature=5.0, seed=s))
             ["factuality"] for s in range(12)]
    assert again == votes, "a seed gives the same sample"


def test_vocab_bytes_and_boundaries(filler):
    vocab = vocab_of(filler.tokenizer)
    assert vocab_of(filler.tokenizer) is vocab
    for text in SENTENCES:
        ids = filler._encode(text)
        assert b"".join(vocab.token_bytes[i] for i in ids) == text.encode()
    assert all(vocab.token_bytes[i].startswith(b'"') for i in vocab.quote_ids) and vocab.quote_ids
    assert word_boundaries("Go to Paris.") == {0, 2, 3, 5, 6, 11, 12}
    assert word_boundaries("首都はパリ") == {0, 3, 6, 9, 12, 15}


def test_blank_fills_are_the_models_other_fills(filler):
    filler.payload, filler.temperature = {}, 0.0
    filler._start(prompt(filler, "The prompt of the call."))
    before = filler.cache.get_seq_length()
    fills = filler.blank_fills("The capital of France is [BLANK].", "Paris", 3, 4)
    assert filler.cache.get_seq_length() == before, "the call's own cache is left as it was"
    assert fills, "a tiny model still proposes fills"
    for i, fill in enumerate(fills):
        assert fill[0].isalnum() and "paris" not in fill.casefold() and len(filler._encode(fill)) <= 4
        assert all(fill.casefold() not in other.casefold() for other in fills[:i] + fills[i + 1:])
    assert filler.blank_fills("[BLANK] is the capital of France.", "Paris", 3, 4) == []  # nothing before the blank


class Biased:
    """The tiny model with fixed logit biases: makes the model's preference for a bracket or an ending certain."""

    def __init__(self, inner, bias) -> None:
        self.inner, self.bias = inner, bias
        self.forward = inner.forward  # the signature the generator reads (which argument takes the cache)

    def __call__(self, **kwargs):
        out = self.inner(**kwargs)
        out.logits = out.logits + self.bias
        return out


def test_translated_cloze_holds_one_blank(filler):
    import torch

    vocab = filler.vocab
    opening = [t for t in vocab.bracket_start_ids if vocab.token_bytes[t] == b"["]
    assert opening and vocab.quote_ids

    def run(bias_ids: list[tuple[list[int], float]], cloze: bool) -> str:
        bias = torch.zeros(len(filler.tokenizer))
        for ids, value in bias_ids:
            bias[ids] = value
        biased = SchemaFiller(Biased(filler.model, bias), filler.tokenizer, max_string_tokens=12)
        biased.payload, biased.temperature, biased.lead = {}, 0.0, ""
        with torch.no_grad():
            biased._start(prompt(filler, "Translate the cloze."))
            return biased.string(cloze=cloze)

    # the model opens a bracket first: the blank is written there, and no other bracket follows
    value = run([(opening, 50.0)], cloze=True)
    assert value.startswith("[BLANK]") and value.count("[") == 1
    # ... then wants to end: the string is the blank alone
    assert run([(opening, 50.0), (vocab.quote_ids, 40.0)], cloze=True) == "[BLANK]"
    # without the cloze rule the bracket is just a character: it repeats
    assert run([(opening, 50.0)], cloze=False).count("[") > 1
    # a model that never opens a bracket ends without a blank (left to the step-3 repair or a counted drop)
    assert "[" not in run([(vocab.quote_ids, 40.0)], cloze=True)


class ByPrompt:
    """The tiny model biased for " true" when its prompt holds ``marker`` and for " false" otherwise: a judge that
    can tell a fact from a filler sentence."""

    def __init__(self, inner, tokenizer, marker: str, true_id: int, false_id: int, strength: float) -> None:
        self.inner, self.tokenizer, self.marker, self.strength = inner, tokenizer, marker, strength
        self.ids = (true_id, false_id)
        self.forward = inner.forward
        self.fact = False

    def __call__(self, **kwargs):
        cache = kwargs.get("cache", kwargs.get("past_key_values"))
        if cache.get_seq_length() == 0:  # the prompt
            self.fact = self.marker in self.tokenizer.decode(kwargs["input_ids"][0])
        out = self.inner(**kwargs)
        sign = 1.0 if self.fact else -1.0
        out.logits[..., self.ids[0]] += sign * self.strength
        out.logits[..., self.ids[1]] -= sign * self.strength
        return out


def test_judge_votes_follow_the_sentence(filler):
    """Greedy (the default for --llm hf): a fact and a filler sentence get different votes, the same at every seed.
    Sampled: the draw depends on the sentence, not on the seed alone (it used to give every sentence the votes of its
    seed), and the same (sentence, seed) gives the same vote."""
    fact, other = "The capital of France is Paris.", "We visited it with friends last summer."
    true_id, false_id = filler._encode(" true")[0], filler._encode(" false")[0]
    judge = SchemaFiller(ByPrompt(filler.model, filler.tokenizer, "Paris", true_id, false_id, 20.0), filler.tokenizer,
                         max_string_tokens=4)

    def vote(f, sentence: str, seed: int, temperature: float) -> bool:
        text = f.fill(prompt(filler, f"Sentence: {sentence}\nAnswer: "), FactJudgement, {"sentence": sentence},
                      temperature=temperature, seed=seed)
        return json.loads(text)["factuality"]

    for temperature in (0.0, 0.7):
        assert [vote(judge, fact, s, temperature) for s in range(3)] == [True] * 3
        assert [vote(judge, other, s, temperature) for s in range(3)] == [False] * 3
    # an undecided (unbiased) model sampled hot: votes vary over sentences at one seed, and are stable per sentence
    sentences = [f"Sentence number {i} of the list." for i in range(12)]
    votes = [vote(filler, s, 0, 5.0) for s in sentences]
    assert set(votes) == {True, False}, votes
    assert [vote(filler, s, 0, 5.0) for s in sentences] == votes
