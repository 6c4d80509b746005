"""xlfact: cross-lingual factual knowledge benchmarks for lm-evaluation-harness.

The repository root is this package; its folders are its parts, in floors (README "Architecture"): ``xlfact.core``
(run reader, records, statistics, formatting, figures), ``xlfact.evaluators`` (scoring) and ``xlfact.models``,
``xlfact.tasks`` (one folder per benchmark and the registry), ``xlfact.training`` and ``xlfact.builders``,
``xlfact.analysis`` (tracing, mechanistic analyses) and ``xlfact.gate`` (the release gate), ``xlfact.leaderboard``
(publication) and ``xlfact.cli``.
"""

__version__ = "0.1.0"
