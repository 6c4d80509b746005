"""lm-eval model backends shipped with xlfact. Importing this package registers them with lm-eval's model registry.

``--model xlfact-hf`` (:class:`xlfact.models.shared_prefix.SharedPrefixHFLM`): lm-eval's ``hf`` backend that runs each
distinct context once, packed into one row with all of its continuations (no padding, no repeated context).

Registration is lazy (a ``module:Class`` placeholder, as lm-eval registers its own backends), so importing
``xlfact.models`` costs no torch import. The same target is declared under the ``lm_eval.models`` entry-point group in
pyproject.toml for lm-eval releases after 0.4.13, which read that group; lm-eval 0.4.13 needs this import, which
``xlfact eval`` and xlfact's task folders do.
"""

from __future__ import annotations

BACKENDS = {"xlfact-hf": "xlfact.models.shared_prefix:SharedPrefixHFLM"}


def register() -> None:
    """Add xlfact's backends to lm-eval's model registry (idempotent; keeps an entry lm-eval already has)."""
    import lm_eval.models  # noqa: F401 - fills the registry with lm-eval's own backends first
    from lm_eval.api.registry import model_registry

    for name, target in BACKENDS.items():
        if name not in model_registry:
            model_registry.register(name, target=target)


register()
