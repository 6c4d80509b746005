"""``xlfact analyze``: the PolyFact paper's mechanistic analyses on any Hugging Face causal LM.

Subcommands (each writes ``<out>/<name>.json`` plus PNG figures; ``--help`` on each says what it reads):
  logit-lens  ranks of the native / English answer (and a decoy) at every layer, last prompt position
  lape        language-specific MLP neurons (activation-probability entropy)
  lahis       language-important attention heads (learnable head mask)
  failures    English leak / incoherent answers / proper- vs common-noun relations in KLAR-CLC outputs
  compare     two output folders side by side (D_KS, neuron counts, stable/changed heads, delta maps, lens overlay)

The long passes (lape, lahis, logit-lens) keep per-language (per-batch for the lens) results under ``<out>/cache/``
keyed by a fingerprint of model and settings, so a rerun after an interruption resumes where it stopped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlfact.analysis.mechanistic.common import AnalysisInputError
from xlfact.core.jsonl import read_jsonl
from xlfact.core.values import ArgumentParser, arg_count, arg_positive_number, arg_size
from xlfact.tasks.polyfact.spec import LANGUAGES as POLYFACT_LANGUAGES

PAPER_LANGS = POLYFACT_LANGUAGES  # the PolyFact paper's 12 languages, from its spec


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:16]


def _langs(value: str) -> list[str]:
    langs = [x.strip() for x in value.split(",") if x.strip()]
    if not langs:
        raise argparse.ArgumentTypeError("expected a comma-separated list of language codes")
    return langs


def _model_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="local checkpoint folder or Hugging Face hub id")
    p.add_argument("--output_path", "--out", dest="out", required=True,
                   help="output folder (JSON, PNG figures, cache/)")
    p.add_argument("--device", default="cpu", help="torch device (cpu, cuda, cuda:1, ...); default cpu")
    p.add_argument("--dtype", default="float32", choices=("float32", "bfloat16", "float16", "auto"))
    p.add_argument("--no_progress", action="store_true", help="no progress bars")
    p.add_argument("--no-progress", dest="no_progress", action="store_true",
                   help=argparse.SUPPRESS)  # old spelling


def _text_flags(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--text_dir", help="folder of <lang>.txt, one text unit (sentence) a line")
    src.add_argument("--text-dir", dest="text_dir",
                   help=argparse.SUPPRESS)  # old spelling
    src.add_argument("--ted_jsonl", help="TED2025 multi_way.jsonl (the paper's corpus), the authors' chunking")
    src.add_argument("--ted-jsonl", dest="ted_jsonl",
                   help=argparse.SUPPRESS)  # old spelling
    src.add_argument("--hub_dataset", help="Hugging Face dataset repo holding TED2025 multi_way.jsonl")
    src.add_argument("--hub-dataset", dest="hub_dataset",
                   help=argparse.SUPPRESS)  # old spelling
    src.add_argument("--klar_dir", help="KLAR-CLC folder: sentences built from its facts (the default source, with "
                                        "$XLFACT_KLAR_DIR or ./KLAR-CLC)")
    src.add_argument("--klar-dir", dest="klar_dir",
                   help=argparse.SUPPRESS)  # old spelling


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="xlfact analyze", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("logit-lens", help="layer-wise ranks of native/English answers (paper Fig. 3)")
    _model_flags(p)
    items = p.add_mutually_exclusive_group()
    items.add_argument("--items", help="JSONL of {lang, prompt, answer, answer_en[, decoy]}")
    items.add_argument("--polyfact_dir", help="PolyFact folder <dir>/<lang>/test.jsonl: items from its questions")
    items.add_argument("--polyfact-dir", dest="polyfact_dir",
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--klar_dir", help="KLAR-CLC folder (the default item source)")
    p.add_argument("--klar-dir", dest="klar_dir",
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--langs", type=_langs, default=None, help="languages (KLAR default: es,fr,ru,zh,ja,ar)")
    p.add_argument("--per_relation", type=arg_count, default=1,
                   help="KLAR: first N samples of each relation and language")
    p.add_argument("--per-relation", dest="per_relation", type=arg_count,
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--specimen", action="append", default=None,
                   help="KLAR LANG/RELATION#INDEX to include first (default: the paper's Figure 3 facts)")
    p.add_argument("--limit", type=arg_count, default=None, help="at most N items")
    p.add_argument("--final_norm", choices=("model", "authors"), default="model",
                   help="model: the model's own logits at the last point (default); authors: re-apply the final norm "
                        "to every point as the notebook did")
    p.add_argument("--final-norm", dest="final_norm", choices=("model", "authors"),
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--batch_size", type=arg_size, default=8)
    p.add_argument("--batch-size", dest="batch_size", type=arg_size,
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--plot_items", type=arg_count, default=6, help="specimen figures for the first N items")
    p.add_argument("--plot-items", dest="plot_items", type=arg_count,
                   help=argparse.SUPPRESS)  # old spelling

    p = sub.add_parser("lape", help="language-specific MLP neurons (paper Figs. 5, 14)")
    _model_flags(p)
    _text_flags(p)
    p.add_argument("--langs", type=_langs, default=list(PAPER_LANGS))
    p.add_argument("--tokens_per_lang", type=arg_size, default=2_000_000)
    p.add_argument("--tokens-per-lang", dest="tokens_per_lang", type=arg_size,
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--seq_len", type=arg_size, default=1024)
    p.add_argument("--seq-len", dest="seq_len", type=arg_size,
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--batch_size", type=arg_size, default=8)
    p.add_argument("--batch-size", dest="batch_size", type=arg_size,
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--frac", type=arg_positive_number, default=0.01,
                   help="selected share of all neurons (k = int(L*I*frac))")
    p.add_argument("--k_rounding", choices=("int", "round"), default="int",
                   help="int: run_lape.py (default); round: the paper-era notebook")
    p.add_argument("--k-rounding", dest="k_rounding", choices=("int", "round"),
                   help=argparse.SUPPRESS)  # old spelling

    p = sub.add_parser("lahis", help="language-important attention heads (paper Figs. 7, 8)")
    _model_flags(p)
    _text_flags(p)
    p.add_argument("--langs", type=_langs, default=list(PAPER_LANGS))
    p.add_argument("--chunks", type=arg_size, default=500, help="chunks per language (seed-86 shuffle, first N)")
    p.add_argument("--join", type=arg_size, default=5, help="text-dir / KLAR units joined N at a time into one chunk")
    p.add_argument("--max_length", type=arg_size, default=512)
    p.add_argument("--max-length", dest="max_length", type=arg_size,
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--lr", type=arg_positive_number, default=1e-2)
    p.add_argument("--mask_dtype", choices=("model", "bfloat16", "float32"), default="model",
                   help="dtype of the head mask (the authors: bfloat16)")
    p.add_argument("--mask-dtype", dest="mask_dtype", choices=("model", "bfloat16", "float32"),
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--noncausal", "--lahis-noncausal", dest="noncausal", action="store_true",
                   help="bidirectional attention, to reproduce the authors' published tensors (spec 0.10); labelled "
                        "'noncausal' in every output and never comparable with causal runs")

    p = sub.add_parser("failures", help="failure modes of KLAR-CLC outputs (paper App. C)")
    p.add_argument("runs", nargs="*", help="one or two lm-eval --output_path folders of klar_* runs (A [B])")
    p.add_argument("--authors_json", action="append", default=[],
                   help="the authors' results/klar/<model>_klar.json instead of a run (repeatable)")
    p.add_argument("--authors-json", dest="authors_json", action="append",
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--klar_dir", help="KLAR-CLC folder (for object_en)")
    p.add_argument("--klar-dir", dest="klar_dir",
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--proper_relations", default=None, help="comma-separated proper-noun relations (default: the "
                                                            "spec's 12)")
    p.add_argument("--proper-relations", dest="proper_relations",
                   help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--labels", default=None, help="names of the runs in titles and summaries, comma-separated, one "
                   "per run (default: each run folder's or file's name)")
    p.add_argument("--output_path", "--out", dest="out", required=True)

    p = sub.add_parser("compare", help="two analysis output folders side by side (paper App. E)")
    p.add_argument("a", help="output folder of the base model")
    p.add_argument("b", help="output folder of the tuned model")
    p.add_argument("--labels", default="base,tuned", help="two labels, comma-separated")
    p.add_argument("--output_path", "--out", dest="out", required=True)
    return parser


# ----------------------------------------------------------------------------------------------- logit lens
def cmd_lens(args: argparse.Namespace) -> dict[str, Any]:
    from xlfact.analysis.mechanistic import lens, plots, sources
    from xlfact.analysis.mechanistic.common import load_model, progress

    if args.items:
        items = sources.read_lens_jsonl(args.items)
    elif args.polyfact_dir:
        items = sources.polyfact_lens_items(args.polyfact_dir, args.langs or list(sources.KLAR_LENS_LANGS))
    else:
        items = sources.klar_lens_items(args.klar_dir, args.langs or sources.KLAR_LENS_LANGS, args.per_relation,
                                        specimens=args.specimen if args.specimen is not None
                                        else sources.FIGURE3_SPECIMENS)
    items = items[: args.limit] if args.limit is not None else items
    out = Path(args.out)
    model, tokenizer = load_model(args.model, args.device, args.dtype)
    cache = out / "cache" / f"lens-{_fingerprint(args.model, args.dtype, args.final_norm, items)}.jsonl"
    done: dict[int, dict[str, Any]] = {}
    if cache.is_file():
        for _, row in read_jsonl(cache, error=AnalysisInputError, unit="line"):
            done[row["position"]] = row["result"]
    todo = [i for i in range(len(items)) if i not in done]
    batches = [todo[s:s + args.batch_size] for s in range(0, len(todo), args.batch_size)]
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.open("a", encoding="utf-8") as handle:
        for batch in progress(batches, "logit lens", len(batches), not args.no_progress):
            for i, res in zip(batch, lens.lens_batch(model, tokenizer, [items[i] for i in batch], args.final_norm,
                                                     args.device)):
                done[i] = res
                handle.write(json.dumps({"position": i, "result": res}, ensure_ascii=False) + "\n")
            handle.flush()
    results = [done[i] for i in range(len(items))]
    aggregate = lens.aggregate(results)
    figures = [str(plots.lens_languages(aggregate, rule, out / f"lens_languages_{rule}.png")) for rule in lens.RULES]
    for item in results[: args.plot_items]:
        safe = "".join(c if c.isalnum() else "_" for c in item["id"])
        figures += [str(plots.lens_specimen(item, rule, out / "lens_items" / f"{safe}_{rule}.png"))
                    for rule in lens.RULES]
    return {"name": "lens.json", "model": args.model, "final_norm": args.final_norm, "n_points":
            len(results[0]["answer_rank_last"]) if results else 0, "items": results, "aggregate": aggregate,
            "figures": figures}


# ----------------------------------------------------------------------------------------------- LAPE
def cmd_lape(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from xlfact.analysis.mechanistic import lape, plots, sources
    from xlfact.analysis.mechanistic.common import load_model, progress

    source, units = sources.text_units(args, args.langs)
    out = Path(args.out)
    model, tokenizer = load_model(args.model, args.device, args.dtype)
    key = _fingerprint(args.model, args.dtype, args.seq_len, args.tokens_per_lang, source,
                       {lang: hashlib.sha256("\n".join(u).encode()).hexdigest() for lang, u in units.items()})
    cache = out / "cache" / f"lape-{key}"
    counts, n_tokens = [], []
    for lang in args.langs:
        path = cache / f"{lang}.pt"
        if path.is_file():
            saved = torch.load(path)
        else:
            ids = lape.token_stream(tokenizer, units[lang], args.tokens_per_lang)
            wins = lape.windows(ids, args.seq_len)
            if wins.shape[0] == 0:
                raise AnalysisInputError(f"LAPE {lang} ({source}): {len(ids)} tokens, fewer than one --seq-len "
                                         f"{args.seq_len} window; give more text or a shorter --seq-len")
            batches = list(wins.split(args.batch_size))
            bar = f"LAPE {lang}"
            n_batches = len(batches)
            c = lape.count_active(model, batches, args.device,
                                  lambda b: progress(b, bar, n_batches, not args.no_progress))  # noqa: B023
            saved = {"counts": c, "n_tokens": int(wins.numel())}
            cache.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            torch.save(saved, tmp)
            tmp.replace(path)
        counts.append(saved["counts"])
        n_tokens.append(saved["n_tokens"])
    result = lape.select(torch.stack(counts), n_tokens, args.langs, args.frac, args.k_rounding)
    figures = [str(plots.lape_totals({Path(args.model).name: result["totals"]}, out / "lape_totals.png")),
               str(plots.lape_per_layer(result["per_layer"], out / "lape_per_layer.png"))]
    n_layers, n_inter = counts[0].shape
    return {"name": "lape.json", "model": args.model, "source": source, "languages": list(args.langs),
            "tokens_per_lang": dict(zip(args.langs, n_tokens)), "seq_len": args.seq_len, "frac": args.frac,
            "k_rounding": args.k_rounding, "n_layers": n_layers, "intermediate_size": n_inter, **result,
            "figures": figures}


# ----------------------------------------------------------------------------------------------- LAHIS
def cmd_lahis(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from xlfact.analysis.mechanistic import lahis, plots, sources
    from xlfact.analysis.mechanistic.common import load_model, progress, torch_dtype

    source, units = sources.text_units(args, args.langs)
    if not (args.ted_jsonl or args.hub_dataset):
        units = {lang: sources.join_chunks(u, args.join) for lang, u in units.items()}
    out = Path(args.out)
    model, tokenizer = load_model(args.model, args.device, args.dtype)
    mode = lahis.set_attention(model, args.noncausal)
    mask_dtype = None if args.mask_dtype == "model" else torch_dtype(args.mask_dtype)
    chosen = {lang: lahis.sample_texts(units[lang], args.chunks) for lang in args.langs}
    key = _fingerprint(args.model, args.dtype, mode, args.lr, args.max_length, args.mask_dtype, chosen)
    cache = out / "cache" / f"lahis-{key}"
    scores = {}
    for lang in args.langs:
        path = cache / f"{lang}.pt"
        if path.is_file():
            scores[lang] = torch.load(path)
            continue
        if not chosen[lang]:
            raise AnalysisInputError(f"LAHIS {lang} ({source}): no chunks; give more text or a smaller --join")
        scores[lang] = lahis.language_scores(
            model, tokenizer, chosen[lang], lr=args.lr, max_length=args.max_length, device=args.device,
            mask_dtype=mask_dtype,
            progress=lambda t, lang=lang: progress(t, f"LAHIS {lang} ({mode})", len(chosen[lang]),
                                                   not args.no_progress))
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save(scores[lang], tmp)
        tmp.replace(path)
    n_layers, n_heads = model.config.num_hidden_layers, model.config.num_attention_heads
    result = lahis.summarise(scores, n_layers, n_heads, mode)
    langs = result["languages"]
    figures = [str(plots.heatmap(result["overlap"], langs, langs, out / "lahis_overlap.png",
                                 f"top-{result['n_top']} head overlap % ({mode})")),
               str(plots.layer_profiles(result["layer_profile"], out / "lahis_layer_profile.png",
                                        f"% of top-{result['n_top']} heads per layer ({mode})"))]
    return {"name": "lahis.json", "model": args.model, "source": source, "chunks": {k: len(v) for k, v in
            chosen.items()}, **result, "figures": figures}


# ----------------------------------------------------------------------------------------------- failures
def cmd_failures(args: argparse.Namespace) -> dict[str, Any]:
    from xlfact.analysis.mechanistic import failures, plots

    runs = [(r, failures.records_from_run(r)) for r in args.runs]
    runs += [(r, failures.records_from_authors(r)) for r in args.authors_json]
    if not 1 <= len(runs) <= 2:
        raise AnalysisInputError(f"failures: give one or two runs (got {len(runs)})")
    labels = run_labels(args.labels, [r for r, _ in runs])
    proper = (tuple(x.strip() for x in args.proper_relations.split(",") if x.strip()) if args.proper_relations
              else failures.PROPER_NOUN_RELATIONS)
    analysed = []
    for _, records in runs:
        object_en = failures.english_objects(args.klar_dir, {r["lang"] for r in records},
                                             {r["relation"] for r in records})
        analysed.append(failures.analyse(records, object_en, proper))
    out = Path(args.out)
    result: dict[str, Any] = {"name": "failures.json", "runs": [r for r, _ in runs], "labels": labels,
                              "analyses": analysed, "figures": []}
    for n, a in enumerate(analysed):
        per = a["per_language"]
        result["figures"].append(str(plots.grouped_bars(
            {c: {lang: v[f"{c}_pct"] for lang, v in per.items()} for c in ("english_leak", "empty", "numeric",
                                                                           "other")},
            out / f"failures_{'ab'[n]}.png", f"wrong answers by class: {labels[n]}", "% of samples", stacked=True,
            empty_text=f"no wrong answers in {labels[n]}")))
    if len(analysed) == 2:
        result["regressions"] = reg = failures.regressions(analysed[0], analysed[1])
        result["figures"].append(str(plots.grouped_bars(
            {c: {lang: v[c] for lang, v in reg.items()} for c in ("english_leak", "incoherent", "other")},
            out / "failures_regressions.png", f"regressions ({labels[0]} correct, {labels[1]} wrong) by "
            f"{labels[1]}'s class", "items", stacked=True,
            empty_text=f"no regressions: no item correct in {labels[0]} is wrong in {labels[1]}")))
    return result


def run_labels(text: str | None, runs: Sequence[str]) -> list[str]:
    """The runs' names for titles and summaries: ``--labels`` (one per run), else each folder's or file's name
    (``runs/base-klar`` -> ``base-klar``), never a machine path."""
    if text is None:
        names = [Path(r).name or str(r) for r in runs]
        return names if len(set(names)) == len(names) else [f"{'AB'[n]}: {name}" for n, name in enumerate(names)]
    labels = [x.strip() for x in text.split(",")]
    if len(labels) != len(runs) or not all(labels):
        raise AnalysisInputError(f"--labels {text!r}: expected {len(runs)} non-empty comma-separated labels, one per "
                                 "run")
    return labels


def cmd_compare(args: argparse.Namespace) -> dict[str, Any]:
    from xlfact.analysis.mechanistic import compare

    labels = tuple(x.strip() for x in args.labels.split(","))
    if len(labels) != 2:
        raise AnalysisInputError(f"--labels {args.labels!r}: expected two comma-separated labels")
    return {"name": "compare.json", **compare.run(args.a, args.b, args.out, labels)}  # type: ignore[arg-type]


COMMANDS = {"logit-lens": cmd_lens, "lape": cmd_lape, "lahis": cmd_lahis, "failures": cmd_failures,
            "compare": cmd_compare}


def main(argv: Sequence[str] | None = None) -> int:
    from xlfact.core.atomic import write_json_atomic
    from xlfact.core.output_dir import prepare_output_dir
    from xlfact.errors import XlfactError
    from xlfact.tasks.klar.data import KlarDataError

    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    inputs = [getattr(args, name, None) for name in ("model", "items", "polyfact_dir", "klar_dir", "text_dir",
                                                     "ted_jsonl", "a", "b")]
    inputs += [*getattr(args, "runs", []), *getattr(args, "authors_json", [])]
    try:
        prepare_output_dir(args.out, command=f"analyze {args.command}", inputs=[p for p in inputs if p and
                                                                                Path(p).exists()])
        result = COMMANDS[args.command](args)
    except (AnalysisInputError, KlarDataError, XlfactError, FileNotFoundError) as err:
        print(f"xlfact analyze {args.command}: {err}", file=sys.stderr)
        return 2
    path = write_json_atomic(Path(args.out) / result.pop("name"), result)
    print(f"wrote {path} and {len(result.get('figures', []))} figures")
    from xlfact.analysis.mechanistic.summary import SUMMARIES

    for line in SUMMARIES[args.command](result):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
