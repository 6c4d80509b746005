"""SFT option scoring keeps memory to the batch: sequences are left-padded with explicit positions and the model
computes vocabulary logits only for the continuation (``logits_to_keep``), with the same option log-probabilities as
scoring each sequence alone on its full logits; the before/after pass streams a fixed number of facts per call."""

from __future__ import annotations

import pytest
import torch

from xlfact.training.synthetic import build_untied_tiny_llama, tokenizer_texts, write_synthetic_facts


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from xlfact.training.data import load_parallel_facts
    from xlfact.training.sft import FactCollator, build_dataset

    root = tmp_path_factory.mktemp("scoring")
    data = write_synthetic_facts(root / "facts", n_facts=12)
    model_dir = build_untied_tiny_llama(root / "model", tokenizer_texts(data), seed=0)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    facts = load_parallel_facts({"data_dir": str(data), "split": "test", "languages": ["en", "de", "ru"]})
    dataset = build_dataset(facts, tokenizer, "cloze")
    return model, dataset, FactCollator(tokenizer.pad_token_id or 0)


def test_continuation_logits_only_and_equal_to_unpadded_scoring(setup):
    from xlfact.training.sft import forward_options

    model, dataset, collator = setup
    batch = collator([dataset[i] for i in range(4)])
    with torch.no_grad():
        log_p, ce, outputs = forward_options(model, batch, "cloze", None)
    longest = int((batch["labels"] != -100).sum(1).max())
    assert outputs.logits.shape[1] == longest + 1 < batch["input_ids"].shape[1]  # not the whole sequence
    expected = torch.full_like(log_p, float("-inf"))
    with torch.no_grad():
        for i in range(batch["input_ids"].shape[0]):
            keep = batch["attention_mask"][i].bool()
            ids, labels = batch["input_ids"][i][keep], batch["labels"][i][keep]
            token_lp = torch.log_softmax(model(input_ids=ids[None]).logits[0, :-1].float(), -1)
            cont = labels[1:] != -100
            mean_lp = token_lp[cont].gather(-1, labels[1:][cont][:, None]).mean()
            expected[batch["fact_index"][i], batch["lang_index"][i], batch["slot"][i]] = mean_lp
    expected = torch.log_softmax(expected, -1)
    assert torch.allclose(log_p, expected, atol=1e-4)
    assert torch.isfinite(ce).all()


def test_before_after_pass_streams_batches(setup):
    from xlfact.training.sft import measure

    model, dataset, collator = setup
    seen = []
    original = model.forward

    def recording(*args, **kwargs):
        seen.append(kwargs["input_ids"].shape[0])
        return original(*args, **kwargs)

    model.forward = recording
    try:
        scores = measure(model, dataset, collator, "cloze", None, batch_facts=5)
    finally:
        model.forward = original
    assert seen == [5 * 3 * 4, 5 * 3 * 4, 2 * 3 * 4]  # facts x languages x options per call, never the whole set
    assert 0.0 <= scores["option_accuracy"] <= 1.0


@pytest.mark.parametrize("prompt_format", ["cloze", "mcq"])
def test_training_path_scores_only_continuation_rows_with_the_same_result(setup, prompt_format):
    """With grad on (training), the head is applied to the continuation rows only (no [sequences, K, vocab] block);
    log p, CE and their gradients equal the scoring path's (the model's forward with ``logits_to_keep``), for a plain
    and a LoRA-wrapped model."""
    import copy

    from xlfact.training import sft
    from xlfact.training.model_io import apply_lora

    base, dataset, collator = setup
    batch = collator([dataset[i] for i in range(4)])
    if prompt_format == "mcq":  # one-token letters of the tiny tokenizer are not needed: any four token ids do
        letter_ids = [5, 6, 7, 8]
    else:
        letter_ids = None
    for model in (copy.deepcopy(base), apply_lora(copy.deepcopy(base), {"r": 4, "lora_alpha": 8, "lora_dropout": 0.0})):
        model.eval()  # no dropout: both paths see the same function
        calls = []
        head = model.get_output_embeddings()
        hook = head.register_forward_hook(lambda module, args, out, seen=calls: seen.append(tuple(args[0].shape)))
        log_p, ce, _ = sft.forward_options(model, batch, prompt_format, letter_ids)
        hook.remove()
        n_cont = int((batch["labels"] != -100).sum())
        assert calls[-1] == (n_cont, head.in_features)  # continuation rows only
        (ce.sum() + log_p.exp().sum()).backward()
        lean_grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        model.zero_grad()
        with torch.no_grad():
            ref_p, ref_ce, _ = sft.forward_options(model, batch, prompt_format, letter_ids)
        assert torch.allclose(log_p, ref_p, atol=1e-5) and torch.allclose(ce, ref_ce, atol=1e-5)
        outputs = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                        position_ids=batch["position_ids"],
                        logits_to_keep=int((batch["labels"] != -100).sum(1).max()) + 1)
        ref_p, ref_ce = sft.option_log_probs(outputs.logits, batch, prompt_format, letter_ids)
        (ref_ce.sum() + ref_p.exp().sum()).backward()
        for name, param in model.named_parameters():
            if param.grad is not None:
                assert torch.allclose(lean_grads[name], param.grad, atol=1e-5), name
