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
