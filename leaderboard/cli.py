"""``xlfact leaderboard build RUN_DIR... --output_path site/``: a static leaderboard from lm-eval output folders.

Reads each RUN_DIR (an lm-eval ``--output_path``, a model folder in it, or a ``results_<date>.json``; every run found
below a folder is taken, one row per run) and writes ``index.html`` (open it from disk; no server needed),
``leaderboard.json``, ``leaderboard.csv`` and ``leaderboard.md``. ``--push-to-hub ORG/DATASET`` then uploads those
files and each run's results file to a Hugging Face dataset, the usual input of a leaderboard Space.
"""

from __future__ import annotations

import argparse
import sys

from xlfact.core.runs import load_runs
from xlfact.core.values import ArgumentParser, arg_count
from xlfact.errors import EXIT_BAD_INPUT, XlfactError, one_line
from xlfact.leaderboard.identity import LabelError, check_labels, parse_labels
from xlfact.leaderboard.site import HubError, hub_payload, push_to_hub, write_site
from xlfact.leaderboard.table import build_table
from xlfact.tasks import registry


def build_main(argv: list[str]) -> int:
    parser = ArgumentParser(
        prog="xlfact leaderboard build",
        description="Collect lm-eval runs (results_<date>.json, and --log_samples files for per-language and "
        "cross-lingual figures with bootstrap CIs) and write a static site: index.html, leaderboard.json, "
        "leaderboard.csv, leaderboard.md. Runs that differ in task version, prompts, --limit or tasks are flagged.",
    )
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR", help="lm-eval output folders or results files")
    parser.add_argument("--output_path", help="folder to write the site into (required)")
    parser.add_argument("--out", dest="output_path", help=argparse.SUPPRESS)  # the old spelling
    parser.add_argument("--run", metavar="DATE_ID", help="in folders that hold several runs, the one to read (the "
                        "date id of its results_<DATE_ID>.json); without it such a folder is refused")
    parser.add_argument("--title", default="xlfact leaderboard")
    parser.add_argument("--label", action="append", default=[], metavar="RUN=NAME",
                        help="name a run's row (RUN: its folder, results file or model folder name); repeatable. "
                        "Default: the hub id, or a local checkpoint's folder name")
    parser.add_argument("--bootstrap", type=arg_count, default=1000, help="bootstrap resamples for the CIs (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--push_to_hub", metavar="ORG/DATASET", help="upload the table and results files")
    parser.add_argument("--push-to-hub", dest="push_to_hub",
                   help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--with_samples", action="store_true", help="also upload the --log_samples files")
    parser.add_argument("--with-samples", dest="with_samples", action="store_true",
                   help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--private", action="store_true", help="create the dataset as private")
    parser.add_argument("--overwrite", action="store_true",
                        help="write into --output_path even when it is a non-empty folder xlfact did not make")
    args = parser.parse_args(argv)
    if not args.output_path:
        parser.error("the following argument is required: --output_path")

    try:
        from xlfact.core.output_dir import prepare_output_dir

        prepare_output_dir(args.output_path, command="leaderboard build", inputs=args.runs, overwrite=args.overwrite)
        labels = parse_labels(args.label)
        runs = load_runs(args.runs, run=args.run, adapters=registry.record_adapters())
        check_labels(runs, labels)
        table = build_table(runs, n_resamples=args.bootstrap, seed=args.seed, labels=labels)
    except (XlfactError, LabelError) as err:  # also when called without the xlfact entry point
        print(f"xlfact leaderboard: {one_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for run in runs:
        for note in run.skipped:
            print(f"skipped: {run.folder}: {note}", file=sys.stderr)
    written = write_site(table, args.output_path, title=args.title)
    print(f"{len(runs)} run(s); wrote {', '.join(str(p) for p in written)}")
    for flag in table["flags"]:
        print(f"warning: {flag['label']}: {flag['message']}", file=sys.stderr)
    if args.push_to_hub:
        try:
            url = push_to_hub(args.push_to_hub, hub_payload(args.output_path, runs, with_samples=args.with_samples),
                              private=args.private)
        except HubError as err:
            print(f"xlfact leaderboard: {err}", file=sys.stderr)
            return 2
        print(f"pushed to {url}")
    return 0


COMMANDS = {"build": build_main}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__.strip() + "\n\nusage: xlfact leaderboard build RUN_DIR... --output_path SITE "
              "[--push-to-hub ORG/DATASET]\n\nRun 'xlfact leaderboard build --help' for the options.")
        return 0
    if argv[0] not in COMMANDS:
        print(f"xlfact leaderboard: unknown command {argv[0]!r} (expected: {', '.join(COMMANDS)})", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
