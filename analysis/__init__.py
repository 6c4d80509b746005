"""How knowledge is acquired and where it lives: the analysis layer.

``xlfact.analysis.tracing`` follows facts over pretraining checkpoints against their corpus frequency (Liu et al.,
2025); ``xlfact.analysis.mechanistic`` looks inside one network (logit lens, language-specific neurons and heads).
Both read evaluation records and checkpoints that the rest of xlfact produces; neither is imported by the scorers.
"""
