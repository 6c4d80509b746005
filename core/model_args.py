"""lm-eval's ``--model_args`` as a dict, parsed once, by lm-eval's own rules.

Why lm-eval's rules: the dict must be what lm-eval hands the model, so that a trace passes on exactly what the user
typed and a leaderboard row shows (and groups runs by) the settings the model really ran with. The text form
``key=value,key=value`` goes through :func:`lm_eval.utils.simple_parse_args_string`: parts split at ``,`` (empty parts
dropped), the key is the text before the first ``=``, and the value is typed as lm-eval types it (``true``/``false``
-> bool, ``none`` -> None, digits -> int, else float if it is one, quoted text kept as a string). On top of that keys
are stripped of spaces and an empty key is dropped (``"a=1, b=2"`` is ``{"a": 1, "b": 2}``; lm-eval would pass a
``" b"`` keyword no model accepts). A results file stores ``model_args`` either as that text or as the dict lm-eval
already made; a dict is returned as a copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def parse_model_args(args: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """``--model_args`` (text, an already-parsed mapping, or None) as a new dict."""
    if isinstance(args, Mapping):
        return dict(args)
    if args is None:
        return {}
    from lm_eval.utils import simple_parse_args_string

    parsed = simple_parse_args_string(str(args))
    return {key.strip(): value for key, value in parsed.items() if key.strip()}
