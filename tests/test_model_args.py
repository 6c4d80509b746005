"""One `--model_args` parser (:func:`xlfact.core.model_args.parse_model_args`), lm-eval's rules, every caller."""

from __future__ import annotations

import pytest
from lm_eval.utils import simple_parse_args_string

from xlfact.analysis.tracing import trace
from xlfact.core.model_args import parse_model_args
from xlfact.leaderboard import identity


def test_text_is_parsed_as_lm_eval_parses_it():
    text = "pretrained=org/m,dtype=float32,trust_remote_code=true,max_length=2048,temperature=0.5,revision=none"
    parsed = parse_model_args(text)
    assert parsed == simple_parse_args_string(text)
    assert parsed == {"pretrained": "org/m", "dtype": "float32", "trust_remote_code": True, "max_length": 2048,
                      "temperature": 0.5, "revision": None}


@pytest.mark.parametrize(("given", "expected"), [
    (None, {}),
    ("", {}),
    ("  ", {}),
    ("a=1,,b=x", {"a": 1, "b": "x"}),
    ("pretrained=a, dtype = float16", {"pretrained": "a", "dtype": "float16"}),  # keys and values stripped
    ("=orphan,k=v", {"k": "v"}),  # an empty key is dropped
    ("path=/data/x=1", {"path": "/data/x=1"}),  # the key ends at the first '='
    ("name='123'", {"name": "123"}),  # quoted: kept as text
])
def test_edge_cases(given, expected):
    assert parse_model_args(given) == expected


def test_a_stored_dict_is_copied():
    stored = {"pretrained": "org/m", "gpu_memory_utilization": 0.8}
    parsed = parse_model_args(stored)
    assert parsed == stored and parsed is not stored


def test_trace_and_leaderboard_use_the_one_parser():
    assert trace.parse_model_args is parse_model_args
    assert identity.parse_model_args is parse_model_args
