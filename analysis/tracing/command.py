"""``xlfact trace``: one entry for evaluating checkpoints (:mod:`.trace`) and the analyses of a finished trace
(``summarize`` in :mod:`.trace`; ``frequency`` and ``similarity`` in :mod:`.cli`). Routing here keeps the two modules
free of each other's entry points (the analyses read checkpoint folders through :mod:`.trace`, never the reverse)."""

from __future__ import annotations

import sys

from xlfact.analysis.tracing import cli, trace

SUBCOMMANDS = {"summarize": trace.summarize_main, "frequency": cli.frequency_main, "similarity": cli.similarity_main}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        return SUBCOMMANDS[argv[0]](argv[1:])
    return trace.main(argv)
