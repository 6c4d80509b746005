"""Mechanistic analyses of the PolyFact paper (logit lens, LAPE neurons, LAHIS heads, failure modes, comparisons).

``xlfact analyze {logit-lens,lape,lahis,failures,compare}``: rules from ``../shared/specs/mechanistic-analyses.md``
(the authors' Lost-in-Mistranslation code) and the deviations are listed in this folder's README. Each module keeps
its computation in pure functions over tensors (tested on tiny models) and leaves plotting to :mod:`.plots`.
"""
