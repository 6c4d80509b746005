"""Each rule of ``xlfact analyze`` on a tiny random Llama (spec ../shared/specs/mechanistic-analyses.md)."""

from __future__ import annotations

import json
import math

import pytest

torch = pytest.importorskip("torch")

from xlfact.analysis.mechanistic import failures, lahis, lape, lens  # noqa: E402
from xlfact.analysis.mechanistic.cli import main as analyze  # noqa: E402

TEXTS = [
    "The capital of France is Paris.", "La capital de Francia es París.", "Die Hauptstadt von Frankreich ist Paris.",
    "Столица Франции — Париж.", "法国的首都是巴黎。", "Mark Strong was born in London.",
    "Mark Strong nació en Londres.",
    "The official language of French Polynesia is French.", "El idioma oficial es el inglés.",
] * 4


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from xlfact.training.tiny_models import build_tiny_llama

    path = build_tiny_llama(tmp_path_factory.mktemp("tiny"), TEXTS, hidden_size=32, num_layers=2, num_heads=4,
                            vocab_size=300)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(path)
    with torch.no_grad():  # a non-trivial final norm, so that applying it twice is visible
        model.model.norm.weight.uniform_(0.2, 3.0)
    model.save_pretrained(path)
    model.eval()
    return path, model, AutoTokenizer.from_pretrained(path)


# ----------------------------------------------------------------------------------------------- LAPE
def test_lape_hook_is_gate_preactivation_not_act_times_up(tiny):
    _, model, tok = tiny
    ids = torch.tensor([tok("The capital of France is Paris. Столица Франции", add_special_tokens=False)["input_ids"]])
    captured = []
    handles = [layer.mlp.register_forward_pre_hook(lambda m, a: captured.append(a[0].detach()))
               for layer in model.model.layers]
    counts = lape.count_active(model, [ids])
    for h in handles:
        h.remove()
    # count_active ran one forward and our pre-hooks saw the MLP inputs of the same forward
    gate_counts, act_up_counts = [], []
    for layer, x in zip(model.model.layers, captured[: len(model.model.layers)]):
        gate = x @ layer.mlp.gate_proj.weight.T
        up = x @ layer.mlp.up_proj.weight.T
        gate_counts.append((gate > 0).reshape(-1, gate.shape[-1]).sum(0))
        act_up_counts.append((layer.mlp.act_fn(gate) * up > 0).reshape(-1, gate.shape[-1]).sum(0))
    assert torch.equal(counts, torch.stack(gate_counts))
    assert not torch.equal(counts, torch.stack(act_up_counts))
    assert int(counts.max()) <= ids.numel()


def test_lape_token_stream_is_bosless_and_windowed(tiny):
    _, _, tok = tiny
    ids = lape.token_stream(tok, ["Paris.", "París."], max_tokens=1000)
    assert tok.bos_token_id not in ids
    assert ids == tok("Paris.", add_special_tokens=False)["input_ids"] + tok("París.", add_special_tokens=False)[
        "input_ids"]
    w = lape.windows(list(range(10)), 4)
    assert w.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert lape.token_stream(tok, TEXTS, max_tokens=7) == lape.token_stream(tok, TEXTS, 100)[:7]


def test_lape_entropy_exact_and_dead_neurons_infinite():
    counts = torch.tensor([[[4, 0, 2, 0]], [[0, 0, 2, 1]]])  # 2 languages, 1 layer, 4 neurons
    h, q = lape.entropy(counts, [4, 2])
    p = [[1.0, 0.0, 0.5, 0.0], [0.0, 0.0, 1.0, 0.5]]
    for j in (0, 2, 3):
        s = p[0][j] + p[1][j]
        qs = [p[0][j] / (s + 1e-9), p[1][j] / (s + 1e-9)]
        assert h[0, j].item() == pytest.approx(-sum(x * math.log(x + 1e-9) for x in qs), abs=1e-12)
    assert math.isinf(h[0, 1].item())  # never active
    assert q[1, 0, 2].item() == pytest.approx(2 / 3)  # normalised by tokens: 2/2 vs 2/4


def test_lape_bottom_k_is_global_not_per_layer_and_skips_dead():
    # layer 0: five one-language neurons (H ~ 0); layer 1: five evenly shared neurons (H = ln 2); one dead neuron
    counts = torch.zeros(2, 2, 6, dtype=torch.int64)
    counts[0, 0, :3] = 5
    counts[1, 0, 3:5] = 5
    counts[:, 1, :5] = 3
    result = lape.select(counts, [10, 10], ["en", "de"], frac=0.34)  # k = int(2*6*0.34) = 4
    assert result["k"] == 4
    chosen = sorted(tuple(n) for lang in result["neurons"] for n in result["neurons"][lang])
    assert all(layer == 0 for layer, _ in chosen)  # a per-layer rule would take some from layer 1
    assert result["per_layer"] == {"en": [3, 0], "de": [1, 0]}  # zero-filled, ties by flat index (stable)
    # with k above the number of ever-active neurons the dead one (H = inf) is still never selected
    all_active = lape.select(counts, [10, 10], ["en", "de"], frac=1.0)
    assert all_active["k_requested"] == 12 and all_active["k"] == 10
    assert [0, 5] not in all_active["neurons"]["en"] + all_active["neurons"]["de"]
    assert lape.n_selected(32, 11008) == 3522 and lape.n_selected(32, 11008, rounding="round") == 3523


def test_lape_argmax_assignment_ties_to_first_language():
    counts = torch.tensor([[[2, 3, 1]], [[2, 1, 1]], [[0, 0, 5]]])  # en, de, ru: tie en=de, en wins, ru wins
    result = lape.select(counts, [10, 10, 10], ["en", "de", "ru"], frac=1.0)
    owner = {tuple(n): lang for lang, ns in result["neurons"].items() for n in ns}
    assert owner == {(0, 0): "en", (0, 1): "en", (0, 2): "ru"}
    swapped = lape.select(counts[[1, 0, 2]], [10, 10, 10], ["de", "en", "ru"], frac=1.0)
    assert [0, 0] in swapped["neurons"]["de"]  # the earliest language in the list order


def test_d_ks_zero_fills_missing_layers_and_equals_ks_statistic():
    from scipy.stats import ks_2samp

    base = {"3": {"en": [1, 2, 3]}, "4": {"de": [5]}}  # run_lape.py omits layers 1-2 (empty)
    model = {"1": {"en": [7]}, "3": {"en": [1]}, "4": {"de": [5, 6]}}
    a, b = lape.per_layer_from_authors(base, 4), lape.per_layer_from_authors(model, 4)
    assert a["en"] == [0, 0, 3, 0] and b["en"] == [1, 0, 1, 0]
    layers_a = [i for v in a.values() for i, c in enumerate(v) for _ in range(c)]
    layers_b = [i for v in b.values() for i, c in enumerate(v) for _ in range(c)]
    assert lape.d_ks(a, b) == pytest.approx(ks_2samp(layers_a, layers_b).statistic)
    assert lape.d_ks(a, b) == pytest.approx(0.25)
    counts_format = {"1": {"en": 0, "de": 0}, "2": {"en": 0, "de": 0}, "3": {"en": 3, "de": 0}, "4": {"en": 0, "de": 1}}
    assert lape.per_layer_from_authors(counts_format, 4) == a | {"de": [0, 0, 0, 1]}


# ----------------------------------------------------------------------------------------------- logit lens
def test_rank_counts_strictly_higher_logits():
    logits = torch.tensor([[1.0, 3.0, 3.0, 0.0], [5.0, 5.0, 5.0, 5.0]])
    assert lens.ranks_of(logits, torch.tensor([1, 2, 0, 3])).tolist() == [[0, 0, 2, 3], [0, 0, 0, 0]]


def test_last_and_first_sub_token_rules(tiny):
    _, _, tok = tiny
    ids = tok.encode(" inglés", add_special_tokens=False)
    assert len(ids) > 1
    assert lens.target_token_ids(tok, "  inglés ") == (ids[-1], ids[0])


def _manual_points(model, tok, prompt):
    ids = tok(prompt, return_tensors="pt")
    with torch.no_grad():
        out = model(**ids, output_hidden_states=True)
    head, norm = model.get_output_embeddings(), model.model.norm
    return out, [head(norm(h[0, -1])) for h in out.hidden_states]


@pytest.mark.parametrize("mode", ["model", "authors"])
def test_lens_ranks_points_and_final_norm(tiny, mode):
    _, model, tok = tiny
    item = {"id": "x", "lang": "es", "prompt": "Mark Strong nació en ", "answer": "Londres", "answer_en": "London",
            "decoy": "París"}
    res = lens.lens_batch(model, tok, [item], mode)[0]
    out, manual = _manual_points(model, tok, item["prompt"])
    n_points = model.config.num_hidden_layers + 1
    assert len(res["answer_rank_last"]) == n_points == len(manual)
    last, first = lens.target_token_ids(tok, "Londres")
    for p in range(n_points):
        logits = out.logits[0, -1] if (p == n_points - 1 and mode == "model") else manual[p]
        assert res["answer_rank_last"][p] == int((logits > logits[last]).sum())
        assert res["answer_rank_first"][p] == int((logits > logits[first]).sum())
    # the last hidden state is already normed: lm_head(hs[-1]) are the model's logits, norm again is not
    assert torch.allclose(model.get_output_embeddings()(out.hidden_states[-1][0, -1]), out.logits[0, -1], atol=1e-5)
    assert not torch.allclose(manual[-1], out.logits[0, -1], atol=1e-3)
    own_logits = out.logits[0, -1]
    assert res["answer_model_rank_last"] == int((own_logits > own_logits[last]).sum())
    if mode == "model":
        assert res["answer_rank_last"][-1] == res["answer_model_rank_last"]


def test_lens_batch_with_left_padding_equals_one_by_one(tiny):
    _, model, tok = tiny
    items = [{"id": str(i), "lang": "en", "prompt": p, "answer": "Paris", "answer_en": "Paris"}
             for i, p in enumerate(["The capital of France is ", "Die Hauptstadt von Frankreich ist die Stadt "])]
    batched = lens.lens_batch(model, tok, items)
    for item, res in zip(items, batched):
        assert lens.lens_batch(model, tok, [item])[0]["answer_rank_first"] == res["answer_rank_first"]
    assert batched[0]["collisions"]["answer_en"] is True
    agg = lens.aggregate(batched)
    assert agg["en"]["last"]["n"] == 0 and agg["en"]["last"]["n_collided"] == 2  # nat == en left out


# ----------------------------------------------------------------------------------------------- LAHIS
def test_head_mask_equals_zeroing_o_proj_columns(tiny):
    _, model, tok = tiny
    ids = tok("The capital of France is Paris.", return_tensors="pt")["input_ids"]
    n_heads, d = model.config.num_attention_heads, model.config.hidden_size // model.config.num_attention_heads
    mask = torch.ones(2, n_heads)
    mask[1, 2] = 0.0
    handles = lahis.attach_head_mask(model, mask)
    with torch.no_grad():
        masked = model(ids).logits
    for h in handles:
        h.remove()
    o_proj = model.model.layers[1].self_attn.o_proj
    saved = o_proj.weight.detach().clone()
    with torch.no_grad():
        o_proj.weight[:, 2 * d:3 * d] = 0
        zeroed = model(ids).logits
        o_proj.weight.copy_(saved)
    assert torch.allclose(masked, zeroed, atol=1e-5)


def _mask_grad_via_o_proj(model, ids):
    """dL/dm at m = 1 from the o_proj weight gradients: sum over a head's columns of W.grad * W."""
    for p in model.parameters():
        p.requires_grad_(False)
    weights = [layer.self_attn.o_proj.weight for layer in model.model.layers]
    for w in weights:
        w.requires_grad_(True)
        w.grad = None
    model(input_ids=ids, labels=ids).loss.backward()
    n_heads = model.config.num_attention_heads
    out = torch.stack([(w.grad * w).sum(0).reshape(n_heads, -1).sum(-1) for w in weights]).detach()
    for w in weights:
        w.requires_grad_(False)
        w.grad = None
    return out


def test_lahis_score_formula_first_step_and_mask_drift(tiny):
    _, model, tok = tiny
    text = "The capital of France is Paris. La capital de Francia es París."
    ids = tok(text, return_tensors="pt")["input_ids"]
    g = _mask_grad_via_o_proj(model, ids)
    one = lahis.language_scores(model, tok, [text])
    assert torch.allclose(one, g.abs() * 1000 * (g < 0).float(), rtol=1e-3, atol=1e-6)
    # the second step sees the AdamW-updated mask: not the mean of two one-shot scores at m = 1
    drifting = lahis.language_scores(model, tok, [text, text])
    frozen = lahis.language_scores(model, tok, [text, text], lr=0.0)
    assert torch.allclose(frozen, one, rtol=1e-4, atol=1e-7)
    assert not torch.allclose(drifting, frozen, rtol=1e-4, atol=1e-7)


def test_causal_and_noncausal_attention(tiny):
    from transformers import AutoModelForCausalLM

    path, _, tok = tiny
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    a = tok("The capital of France is Paris.", return_tensors="pt")["input_ids"]
    b = a.clone()
    b[0, -1] = (b[0, -1] + 1) % model.config.vocab_size  # change only the last token
    assert lahis.set_attention(model, noncausal=False) == "causal"
    with torch.no_grad():
        assert torch.allclose(model(a).logits[0, 0], model(b).logits[0, 0], atol=1e-6)
        causal_first = model(a).logits[0, 0]
    assert lahis.set_attention(model, noncausal=True) == "noncausal"
    with torch.no_grad():
        assert not torch.allclose(model(a).logits[0, 0], model(b).logits[0, 0], atol=1e-4)  # sees the future
        assert not torch.allclose(model(a).logits[0, 0], causal_first, atol=1e-4)
    text = "The capital of France is Paris. La capital de Francia es París."
    assert not torch.allclose(lahis.language_scores(model, tok, [text]),
                              lahis.language_scores(AutoModelForCausalLM.from_pretrained(path).eval(), tok, [text]))


def test_top_heads_overlap_profile_and_stable_changed():
    assert lahis.n_top(32, 32) == 20 and lahis.n_top(30, 9) == 5
    a = torch.zeros(3, 4)
    a[0, 1], a[0, 3], a[2, 0] = 3.0, 2.0, 1.0
    b = torch.zeros(3, 4)
    b[0, 1], b[1, 1], b[2, 2] = 3.0, 2.0, 1.0
    assert lahis.top_heads(a, 3) == [1, 3, 8]
    s = lahis.summarise({"de": a, "fr": b}, 3, 4, "causal")
    assert s["n_top"] == 1 and s["top_heads"] == {"de": [[0, 1]], "fr": [[0, 1]]}
    assert s["overlap"] == [[100.0, 100.0], [100.0, 100.0]]
    assert lahis.overlap([1, 3, 8], [1, 5, 10], 3) == pytest.approx(100 / 3)
    assert lahis.layer_profile([1, 3, 8], 4, 3) == pytest.approx([200 / 3, 0.0, 100 / 3])
    assert lahis.stable_changed([[0, 1], [0, 3]], [[0, 1], [2, 2]]) == (1, 1)
    assert lahis.sample_texts(list("abcdef"), 3) == [list("abcdef")[i] for i in
                                                     __import__("numpy").random.default_rng(86).permutation(6)[:3]]


# ----------------------------------------------------------------------------------------------- failures
def test_failure_classes():
    assert failures.classify("London", "Londres", "London", False) == "english_leak"
    assert failures.classify("London", "London", "London", False) == "other"  # object_en == target: no leak
    assert failures.classify("", "Londres", "London", False) == "incoherent"
    assert failures.classify("١٩٩٠", "لندن", "London", False) == "incoherent"  # Arabic-Indic digits
    assert failures.classify("London", "Londres", "London", True) == "correct"
    recs = [{"lang": "es", "relation": r, "item": str(i), "prediction": p, "target": "Londres", "correct": c}
            for i, (r, p, c) in enumerate([("place_of_birth", "London", False), ("occupation", "12", False),
                                           ("place_of_birth", "Londres", True)])]
    a = failures.analyse(recs, {("es", r["relation"], r["item"]): "London" for r in recs})
    assert a["per_language"]["es"]["english_leak"] == 1 and a["per_language"]["es"]["numeric"] == 1
    assert a["per_noun_type"]["es"]["proper"]["n"] == 2
    b = failures.analyse([{**r, "correct": False, "prediction": "London"} for r in recs],
                         {("es", r["relation"], r["item"]): "London" for r in recs})
    assert failures.regressions(a, b) == {"es": {"n": 1, "english_leak": 1, "incoherent": 0, "other": 0,
                                                 "proper": 1, "common": 0, "proper_pct": 100.0}}


# ----------------------------------------------------------------------------------------------- command line
def test_bad_items_file_exits_2_naming_file_row_field(tiny, tmp_path, capsys):
    path, _, _ = tiny
    items = tmp_path / "items.jsonl"
    items.write_text('{"lang": "es", "prompt": "x ", "answer": "y", "answer_en": "z"}\n'
                     '{"lang": "es", "prompt": "x ", "answer": ""}\n')
    assert analyze(["logit-lens", "--model", str(path), "--items", str(items), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "items.jsonl row 2" in err[0] and "'answer'" in err[0]
    assert not (tmp_path / "o" / "lens.json").exists()


def test_cli_lape_lahis_resume_and_compare(tiny, tmp_path, monkeypatch):
    path, _, _ = tiny
    texts = tmp_path / "texts"
    texts.mkdir()
    for lang, sel in (("en", slice(0, 9, 1)), ("es", slice(1, 9, 1))):
        (texts / f"{lang}.txt").write_text("\n".join(TEXTS[sel] * 3) + "\n")
    base = ["--model", str(path), "--text-dir", str(texts), "--langs", "en,es", "--no-progress"]
    out = tmp_path / "a"
    assert analyze(["lape", *base, "--out", str(out), "--seq-len", "16", "--tokens-per-lang", "200",
                    "--frac", "0.1"]) == 0
    first = json.loads((out / "lape.json").read_text())
    assert first["k"] == int(2 * 64 * 0.1) and set(first["neurons"]) == {"en", "es"}
    assert all(len(v) == 2 for v in first["per_layer"].values())
    monkeypatch.setattr(lape, "count_active", lambda *a, **k: (_ for _ in ()).throw(AssertionError("not cached")))
    assert analyze(["lape", *base, "--out", str(out), "--seq-len", "16", "--tokens-per-lang", "200",
                    "--frac", "0.1"]) == 0  # resumed from cache/
    assert json.loads((out / "lape.json").read_text())["neurons"] == first["neurons"]
    assert analyze(["lahis", *base, "--out", str(out), "--chunks", "2", "--join", "3", "--noncausal"]) == 0
    lah = json.loads((out / "lahis.json").read_text())
    assert lah["mode"] == "noncausal" and lah["n_top"] == 1 and "noncausal" in open(out / "lahis.json").read()
    assert (out / "lahis_overlap.png").stat().st_size > 0
    cmp_out = tmp_path / "cmp"
    assert analyze(["compare", str(out), str(out), "--out", str(cmp_out)]) == 0
    cmp = json.loads((cmp_out / "compare.json").read_text())
    assert cmp["lape"]["d_ks"] == 0.0 and cmp["lahis"]["stable_changed"]["en"] == {"stable": 1, "changed": 0}
    causal = tmp_path / "c"
    assert analyze(["lahis", *base, "--out", str(causal), "--chunks", "2", "--join", "3"]) == 0
    assert analyze(["compare", str(out), str(causal), "--out", str(tmp_path / "x")]) == 2  # never across modes


# ----------------------------------------------------------------------------------------------- inputs
def test_polyfact_items_and_ted_chunking(tmp_path):
    from xlfact.analysis.mechanistic import sources
    from xlfact.cli.demo import bundled_polyfact_dir
    from xlfact.tasks.polyfact.data import load_polyfact

    items = sources.polyfact_lens_items(bundled_polyfact_dir(), ["de"], limit=3)
    en = {r["fact_id"]: r["answer_text"] for r in load_polyfact("en", data_dir=bundled_polyfact_dir())}
    de = load_polyfact("de", data_dir=bundled_polyfact_dir())[:3]
    assert [i["answer"] for i in items] == [r["answer_text"] for r in de]
    assert [i["answer_en"] for i in items] == [en[r["fact_id"]] for r in de]
    assert all(i["prompt"].endswith(" ") and not i["prompt"].endswith("  ") for i in items)
    long_zh = "这是一个足够长的中文句子，用来测试过滤规则。"
    rows = [{"para_data": {"en": f"English sentence number {i}\nwith a break", "zh-cn": "短" if i % 2 else long_zh}}
            for i in range(12)]
    path = tmp_path / "multi_way.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    units = sources.ted_units(path, ["en", "zh"])
    assert len(units["en"]) == 2 and units["en"][0].startswith("English sentence number 0 with a break English")
    assert units["zh"] == [" ".join([long_zh] * 5)]  # 6 kept (under 20 characters dropped), 1 left over
    query = sources.lens_query("<subject> 的官方语言是什么？答案是：<mask>.", "St. Lucia")
    assert query == "St. Lucia 的官方语言是什么？答案是："  # template dots deleted, the subject's kept
