"""Benchmark builders: turn a user's own data into lm-eval task folders (``xlfact build``, ``xlfact make-task``)."""
