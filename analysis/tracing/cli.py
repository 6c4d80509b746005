"""``xlfact trace frequency`` and ``xlfact trace similarity``: the analyses of a finished trace."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from xlfact.analysis.tracing import TracingInputError
from xlfact.analysis.tracing.trace import checkpoint_folders
from xlfact.core import models
from xlfact.core.atomic import write_json_atomic
from xlfact.core.jsonl import read_utf8
from xlfact.core.values import ArgumentParser, arg_size


def record_checks(table, checkpoints) -> dict:
    """What the analysis left out of the records, reported rather than dropped without a word: repeated records
    (counted once) and records whose fact index is in no frequency list of their language."""
    duplicates = {c.name: c.duplicates for c in checkpoints if c.duplicates}
    unmatched: dict[str, dict[str, list[int]]] = {}
    for c in checkpoints:
        for lang, asked in c.asked.items():
            known = {int(i) for i in table.languages[lang].indices} if lang in table.languages else set()
            if missing := sorted(asked - known):
                unmatched.setdefault(c.name, {})[lang] = missing
    notes = [f"checkpoint {name}: {n} repeated record(s) counted once" for name, n in duplicates.items()]
    notes += [f"checkpoint {name} ({lang}): {len(ix)} record(s) whose fact index is in no frequency list, left out "
              f"(e.g. {ix[0]})" for name, per in unmatched.items() for lang, ix in per.items()]
    return {"duplicates": duplicates, "not_in_frequencies": unmatched, "notes": notes}


def frequency_main(argv: list[str]) -> int:
    parser = ArgumentParser(
        prog="xlfact trace frequency",
        description="Recall against fact frequency per checkpoint, as Liu et al. (2025) analyse it: P(correct | "
        "frequency) in 29 log bins (pooled and per language), the per-language frequency-threshold classifier, and "
        "the cross-lingual attribution of facts recalled although rare. Reads --records (an 'xlfact trace' output "
        "folder with klar_trace tasks, or a JSONL of {checkpoint, lang, relation, index, correct} rows) and "
        "--frequencies (MFT's {lang: {relation: [{subject, object, index, frequency}]}}, e.g. from 'xlfact "
        "frequency'); writes --out (JSON; per checkpoint under checkpoints.<name>) and, with --plots, figures.",
    )
    parser.add_argument("--records", required=True)
    parser.add_argument("--frequencies", required=True)
    parser.add_argument("--output_path", "--out", dest="out", required=True)
    parser.add_argument("--plots", default=None, help="folder for recall_vs_frequency.png and transfer_share.png")
    parser.add_argument("--mft_strict_languages", action="store_true",
                        help="every language and fact of the frequency file, unasked ones counted incorrect (MFT)")
    parser.add_argument("--mft-strict-languages", dest="mft_strict_languages", action="store_true",
                   help=argparse.SUPPRESS)  # old spelling
    args = parser.parse_args(argv)
    from xlfact.analysis.tracing.analyses import analyse
    from xlfact.analysis.tracing.frequencies import read_frequencies
    from xlfact.analysis.tracing.records import read_records
    from xlfact.core.output_dir import check_output_file
    from xlfact.errors import UsageError

    try:
        check_output_file(args.out, inputs=[args.records, args.frequencies])
        table = read_frequencies(args.frequencies)
        checkpoints = read_records(args.records)
        result = analyse(table, checkpoints, strict=args.mft_strict_languages)
    except (TracingInputError, UsageError) as err:
        print(f"xlfact trace frequency: {err}", file=sys.stderr)
        return 2
    result["record_checks"] = checks = record_checks(table, checkpoints)
    for note in checks["notes"]:
        print(f"xlfact trace frequency: warning: {note}", file=sys.stderr)
    write_json_atomic(args.out, result)
    written = []
    if args.plots:
        from xlfact.analysis.tracing.plots import plot_analysis

        written = plot_analysis(result, Path(args.plots))
    last = result["checkpoints"][result["order"][-1]]
    print(f"{len(result['order'])} checkpoints; final {result['order'][-1]}: overall acc "
          f"{last['recall']['overall_acc']:.3f}, CLC {last['clc']['overall']:.3f}; wrote {args.out}"
          + (f", {', '.join(map(str, written))}" if written else ""))
    return 0


def similarity_main(argv: list[str]) -> int:
    parser = ArgumentParser(
        prog="xlfact trace similarity",
        description="Per checkpoint and layer, the mean cosine (clipped to [0, 1]) of each language's last-token "
        "hidden state of the parallel fact sentences with English's, per fact class (fn/tp/tn/fp/all from the final "
        "checkpoint's classifier in --analysis, identical-object facts removed). Writes --out JSON "
        "{checkpoints: {name: {lang: {class: {n: facts, by_layer: {layer: value or null}}}}}} (null: no fact in the "
        "class) and, with --plots, similarity_by_layer.png.",
    )
    parser.add_argument("--checkpoints", nargs="+", required=True, help="checkpoint folders (or folders of them)")
    parser.add_argument("--analysis", required=True, help="the JSON written by 'xlfact trace frequency'")
    parser.add_argument("--frequencies", required=True)
    parser.add_argument("--klar_dir", "--klar-dir", required=True)
    parser.add_argument("--output_path", "--out", dest="out", required=True)
    parser.add_argument("--batch_size", type=arg_size, default=64)
    parser.add_argument("--batch-size", dest="batch_size", type=arg_size,
                   help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--plots", default=None, help="folder for similarity_by_layer.png")
    args = parser.parse_args(argv)
    from xlfact.analysis.tracing.frequencies import read_frequencies
    from xlfact.analysis.tracing.similarity import class_members, fact_lines, last_token_states, similarity_by_class
    from xlfact.core.output_dir import check_output_file

    try:
        check_output_file(args.out, inputs=[args.analysis, args.frequencies, args.klar_dir, *args.checkpoints])
        table = read_frequencies(args.frequencies)
        analysis = json.loads(read_utf8(args.analysis, error=TracingInputError))
        try:
            final = analysis["checkpoints"][analysis["order"][-1]]
            classifier = final["threshold_classifier"]
            if not isinstance(classifier, dict):
                raise TypeError
        except (KeyError, IndexError, TypeError):
            raise TracingInputError(f"--analysis {args.analysis}: not the JSON of 'xlfact trace frequency' (expected "
                                    "order and checkpoints.<last>.threshold_classifier)") from None
        identical = analysis.get("identical_object_indices", {})
        langs = [lang for lang in classifier if lang in table.languages]
        lines = {lang: fact_lines(table, lang, args.klar_dir) for lang in langs}
        folders = [f for path in args.checkpoints for f in checkpoint_folders(path)]
    except json.JSONDecodeError as err:
        print(f"xlfact trace similarity: --analysis {args.analysis}: not valid JSON ({err.msg} at line {err.lineno})",
              file=sys.stderr)
        return 2
    except (TracingInputError, FileNotFoundError, KeyError, ValueError) as err:
        print(f"xlfact trace similarity: {err}", file=sys.stderr)
        return 2
    members = {lang: class_members(classifier[lang], identical.get(lang, [])) for lang in langs}
    out: dict = {"classes_from": analysis["order"][-1], "checkpoints": {}}
    for folder in folders:
        tokenizer = models.load_tokenizer(str(folder), flag="--checkpoints", error=TracingInputError,
                                          padding_side="right")
        tokenizer.pad_token = tokenizer.eos_token
        model = models.load_causal_lm(str(folder), dtype=None, flag="--checkpoints", error=TracingInputError)
        states, position = {}, {}
        for lang in langs:
            ids = list(lines[lang])
            states[lang] = last_token_states(model, tokenizer, [lines[lang][i] for i in ids], args.batch_size)
            position[lang] = {i: k for k, i in enumerate(ids)}
        out["checkpoints"][folder.name] = similarity_by_class(states, position, members)
        write_json_atomic(args.out, out)
    written = []
    if args.plots and out["checkpoints"]:
        from xlfact.analysis.tracing.plots import plot_similarity

        written = plot_similarity(out, Path(args.plots))
    print(f"{len(folders)} checkpoints, {len(langs)} languages; wrote {args.out}"
          + (f", {', '.join(map(str, written))}" if written else ""))
    for line in similarity_summary(out):
        print(line)
    return 0


def similarity_summary(out: dict) -> list[str]:
    """What the last checkpoint shows, one line per language: each class's mean over layers and its fact count."""
    if not out["checkpoints"]:
        return []
    last = list(out["checkpoints"])[-1]
    lines = [f"{last}: mean cosine with English over layers, by fact class (n facts)"]
    for lang, classes in out["checkpoints"][last].items():
        cells = []
        for cls, entry in classes.items():
            values = [v for v in entry["by_layer"].values() if v is not None]
            cells.append(f"{cls} {sum(values) / len(values):.3f} (n={entry['n']})" if values else f"{cls} - (n=0)")
        lines.append(f"  {lang}: " + ", ".join(cells))
    return lines
