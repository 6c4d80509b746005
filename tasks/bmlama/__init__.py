"""BMLAMA-17 / -53 (Qi et al., EMNLP 2023): cloze with candidate sets, ranked by log-likelihood; P@1, RankC and
COverlap as the reference scripts compute them (:mod:`xlfact.evaluators.bmlama`); data from the user's path only."""
