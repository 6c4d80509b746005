"""``training.save_every`` end to end on CPU: ``xlfact train cpt`` with the shipped data-mix example
(``cpt_mix_tiny_cpu``: English JSON lines, Japanese plain text, en-ja pairs) on a tiny Llama writes merged checkpoints
``OUTPUT/checkpoints/step<N>/`` that lm-eval's ``hf`` model loads, in step order, the first equal to the base model,
the last equal to the final merged model, and the corpus loss falling between them."""

from __future__ import annotations

import json

import pytest

from xlfact.training.checkpoints import INFO_FILE, list_checkpoints
from xlfact.training.cli import main as train
from xlfact.training.synthetic import build_untied_tiny_llama

pytestmark = pytest.mark.slow
RIVERS = ["Amber", "Basalt", "Cedar", "Delta", "Ember", "Flint", "Garnet", "Harbor", "Iris", "Juniper"]
TOWNS = ["Oslo", "Lima", "Kyiv", "Doha", "Baku", "Riga", "Male", "Suva", "Apia", "Bern"]
JA_TOWNS = ["オスロ", "リマ", "キーウ", "ドーハ", "バクー", "リガ", "マレ", "スバ", "アピア", "ベルン"]


def write_corpus(root):
    root.mkdir()
    en = [{"doc_id": f"en{i}", "lang": "en", "text": f"The {r} river flows through {t}. It is long and cold."}
          for i, (r, t) in enumerate(zip(RIVERS, TOWNS))]
    (root / "en.jsonl").write_text("".join(json.dumps(x) + "\n" for x in en), encoding="utf-8")
    ja = [f"{r}川は{t}を流れる。長くて冷たい川だ。" for r, t in zip(RIVERS, JA_TOWNS)]
    (root / "ja.txt").write_text("\n\n".join(ja), encoding="utf-8")
    pairs = [{"doc_id": f"p{i}", "texts": {"en": f"{r} river, {t}.", "ja": f"{r}川、{j}。"}}
             for i, (r, t, j) in enumerate(zip(RIVERS, TOWNS, JA_TOWNS))]
    (root / "pairs.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in pairs),
                                      encoding="utf-8")
    texts = [x["text"] for x in en] + (root / "ja.txt").read_text(encoding="utf-8").split("\n\n")
    return texts + [f"{k}: {v}" for p in pairs for k, v in p["texts"].items()]


def corpus_loss(model_dir, texts) -> float:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    with torch.no_grad():
        return sum(float(model(**(b := tokenizer(t, return_tensors="pt")), labels=b["input_ids"]).loss)
                   for t in texts) / len(texts)


def test_cpt_data_mix_saves_merged_checkpoints_in_step_order(tmp_path):
    import torch
    from safetensors.torch import load_file

    texts = write_corpus(tmp_path / "corpus")
    base = build_untied_tiny_llama(tmp_path / "base", texts, seed=0)
    out = tmp_path / "run"
    sources = (f"data.sources=[{{name: en, path: {tmp_path}/corpus/en.jsonl, weight: 1.0}}, "
               f"{{name: ja, path: {tmp_path}/corpus/ja.txt, lang: ja, weight: 1.0}}, "
               f"{{name: pairs, path: {tmp_path}/corpus/pairs.jsonl, weight: 0.5}}]")
    assert train(["cpt", "--config", "cpt_mix_tiny_cpu", f"model.name_or_path={base}", f"output_dir={out}",
                  sources, "training.num_train_epochs=5"]) == 0
    saved = list_checkpoints(out)
    card = (out / "README.md").read_text(encoding="utf-8")
    final_step = int(card.split("global_step: ")[1].split()[0])
    assert [s for s, _ in saved] == list(range(0, final_step + 1, 5)) and final_step % 5 == 0 and len(saved) >= 3
    assert list_checkpoints(out / "checkpoints") == saved
    for step, folder in saved:
        info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
        assert info["step"] == step and info["recipe"] == "cpt" and info["base_model"] == str(base)
    assert "sha256" in card and "train_chunks_per_language" in card

    first = load_file(saved[0][1] / "model.safetensors")
    last = load_file(saved[-1][1] / "model.safetensors")
    merged = load_file(out / "model.safetensors")
    original = load_file(base / "model.safetensors")
    assert set(first) == set(original) == set(last) == set(merged)  # plain model keys, no lora_/base_layer
    assert all(torch.equal(first[k], original[k]) for k in original)
    assert all(torch.allclose(last[k], merged[k], atol=1e-6) for k in merged)
    assert any(not torch.equal(last[k], original[k]) for k in original)

    import lm_eval.models.huggingface

    lm = lm_eval.models.huggingface.HFLM(pretrained=str(saved[1][1]), device="cpu", batch_size=1)
    assert lm.tokenizer.eos_token_id is not None
    losses = [corpus_loss(folder, texts) for _, folder in (saved[0], saved[-1])]
    print("save_every checkpoints", [s for s, _ in saved], "corpus loss first/last", losses)
    assert losses[1] < 0.7 * losses[0]


def _loglikelihood(model, tokenizer, context: str, continuation: str) -> float:
    """Plain transformers: log P(continuation | context), split into tokens as lm-eval's ``_encode_pair`` does."""
    import torch

    from xlfact.evaluators.multiple_choice import split_like_lm_eval

    context, whole = split_like_lm_eval(context, continuation)
    ctx_ids, whole_ids = tokenizer(context)["input_ids"], tokenizer(whole)["input_ids"]
    cont_ids = whole_ids[len(ctx_ids):]
    with torch.no_grad():
        logits = model(torch.tensor([whole_ids[:-1]])).logits[0, -len(cont_ids):].float()
    return float(torch.log_softmax(logits, -1).gather(-1, torch.tensor(cont_ids)[:, None]).sum())


def _trace_requests(run_folder) -> list[tuple[str, str, float]]:
    """``(context, continuation, log-likelihood)`` of every loglikelihood request lm-eval logged for one checkpoint."""
    out = []
    for file in sorted(run_folder.rglob("samples_*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            sample = json.loads(line)
            for args, resp in zip(sample["arguments"].values(), sample["resps"]):
                out.append((args["arg_0"], args["arg_1"], float(resp[0][0])))
    return out


def test_checkpoints_are_the_trained_model_under_every_loader(tmp_path, polyfact_fixture_dir):
    """A tied tiny Llama trained with its embeddings and head apart (``modules_to_save: [embed_tokens, lm_head]``):
    every checkpoint is saved tied or untied as trained, the last step is under ``checkpoints/``, and ``xlfact trace``
    (lm-eval ``hf``, which re-ties a tied config), plain transformers and the final model give the same
    log-likelihoods on the same items; re-tying the last checkpoint would give other numbers."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from xlfact.cli import main as xlfact
    from xlfact.models.tied_weights import config_contradiction
    from xlfact.training.tiny_models import build_tiny_llama

    rows = [json.loads(x) for x in (polyfact_fixture_dir / "en" / "test.jsonl").read_text().splitlines()]
    texts = [f"Question: {r['question']}\nAnswer: {r['answer_text']}" for r in rows]
    base = build_tiny_llama(tmp_path / "base", texts + [r[f"option_{c}"] for r in rows for c in "abcd"], seed=0)
    assert json.loads((base / "config.json").read_text())["tie_word_embeddings"] is True
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"doc_id": f"d{i}", "lang": "en", "text": t}) + "\n"
                              for i, t in enumerate(texts)), encoding="utf-8")
    out = tmp_path / "run"
    assert train(["cpt", "--config", "cpt_mix_tiny_cpu", f"model.name_or_path={base}", f"output_dir={out}",
                  f"data.sources=[{{path: {corpus}}}]", "training.save_every=4", "training.max_steps=6",
                  "lora.modules_to_save=[embed_tokens, lm_head]"]) == 0
    saved = list_checkpoints(out)
    assert [s for s, _ in saved] == [0, 4, 6]  # the last step (6, not a multiple of 4) is among the checkpoints
    first, last = saved[0][1], saved[-1][1]
    assert json.loads((first / "config.json").read_text())["tie_word_embeddings"] is True
    assert "lm_head.weight" not in load_file(first / "model.safetensors")  # tied: the head is not written twice
    for folder in (last, out):
        assert json.loads((folder / "config.json").read_text())["tie_word_embeddings"] is False
        assert config_contradiction(folder) is None
    last_w, final_w = load_file(last / "model.safetensors"), load_file(out / "model.safetensors")
    assert set(last_w) == set(final_w) and all(torch.equal(last_w[k], final_w[k]) for k in final_w)
    assert not torch.equal(last_w["lm_head.weight"], last_w["model.embed_tokens.weight"])

    trace_out = tmp_path / "trace"
    assert xlfact(["trace", "--checkpoints", str(out / "checkpoints"), "--model_args", "dtype=float32",
                   "--tasks", "polyfact_en", "--output_path", str(trace_out), "--limit", "4", "--batch_size", "1",
                   "--metadata", json.dumps({"data_dir": str(polyfact_fixture_dir)}), "--device", "cpu",
                   "--bootstrap", "0"]) == 0
    traced = _trace_requests(trace_out / "checkpoints" / "step6")
    assert len(traced) == 16
    tokenizer = AutoTokenizer.from_pretrained(last)
    as_saved = AutoModelForCausalLM.from_pretrained(last, dtype=torch.float32).eval()
    final = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    retied = AutoModelForCausalLM.from_pretrained(last, dtype=torch.float32, tie_word_embeddings=True).eval()
    retied.tie_weights()
    gap = 0.0
    for context, continuation, value in traced:
        plain = _loglikelihood(as_saved, tokenizer, context, continuation)
        assert plain == pytest.approx(value, abs=1e-4)
        assert _loglikelihood(final, tokenizer, context, continuation) == plain
        gap = max(gap, abs(_loglikelihood(retied, tokenizer, context, continuation) - value))
    assert gap > 1e-2  # the head matters: a re-tied load is another model


def test_trace_refuses_a_tied_config_over_untied_weights(tmp_path, polyfact_fixture_dir, capsys):
    """A checkpoint whose config ties the embeddings while its saved head differs: one line, exit 2, nothing run."""
    import torch
    from transformers import AutoModelForCausalLM

    from xlfact.cli import main as xlfact
    from xlfact.training.tiny_models import build_tiny_llama

    folder = build_tiny_llama(tmp_path / "step5", ["Question: where?\nAnswer: Oslo"] * 4, seed=0)
    model = AutoModelForCausalLM.from_pretrained(folder)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["lm_head.weight"] = state["model.embed_tokens.weight"] + 0.5
    model.save_pretrained(folder, state_dict=state)
    assert json.loads((folder / "config.json").read_text())["tie_word_embeddings"] is True
    capsys.readouterr()
    code = xlfact(["trace", "--checkpoints", str(folder), "--tasks", "polyfact_en", "--output_path",
                   str(tmp_path / "out"), "--metadata", json.dumps({"data_dir": str(polyfact_fixture_dir)})])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "tie_word_embeddings" in err[0] and "lm_head.weight" in err[0]
    assert not (tmp_path / "out" / "checkpoints").exists()
    assert torch.equal(state["lm_head.weight"], state["model.embed_tokens.weight"] + 0.5)
