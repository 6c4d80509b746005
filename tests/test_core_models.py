"""The one model and tokenizer loader (core/models.py): every refusal is one line in the caller's error class."""

from __future__ import annotations

import pytest

from xlfact.analysis.mechanistic.common import AnalysisInputError
from xlfact.core import models
from xlfact.errors import UsageError
from xlfact.training.config import RecipeError


@pytest.mark.parametrize("error", [UsageError, RecipeError, AnalysisInputError])
def test_refusals_use_the_callers_error_and_flag(tmp_path, error):
    with pytest.raises(error, match=r"^model\.name_or_path: model folder .*missing not found \(no such folder"):
        models.check_model_source(str(tmp_path / "missing"), "model.name_or_path", error)
    (tmp_path / "empty").mkdir()
    with pytest.raises(error, match=r"is not a checkpoint folder \(no config\.json\)"):
        models.check_model_source(str(tmp_path / "empty"), "--model", error)
    with pytest.raises(error, match=r"^--dtype 'float8': expected one of float32, bfloat16, float16, auto$"):
        models.torch_dtype("float8", "--dtype", error)


def test_hub_ids_pass_unloaded_and_odd_names_do_not():
    assert models.check_model_source("HuggingFaceTB/SmolLM2-135M-Instruct") == "HuggingFaceTB/SmolLM2-135M-Instruct"
    for name in ("./model", "a/b/c", "~/m", "org/name-"):
        with pytest.raises(UsageError, match="not found"):
            models.check_model_source(name)


def test_a_folder_without_weights_is_one_line(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "llama"}')
    with pytest.raises(UsageError) as err:
        models.load_causal_lm(str(tmp_path), dtype="float32")
    assert "\n" not in str(err.value) and str(err.value).startswith(f"--model {tmp_path}: cannot load it (")


def test_loads_a_tiny_model_with_its_tokenizer(tiny_model_dir):
    model = models.load_causal_lm(str(tiny_model_dir), dtype="float32", device="cpu")
    tokenizer = models.load_tokenizer(str(tiny_model_dir), padding_side="left")
    assert not model.training and str(next(model.parameters()).dtype) == "torch.float32"
    assert tokenizer.pad_token is not None and tokenizer.padding_side == "left"


def test_a_home_relative_folder_is_expanded(tiny_model_dir, monkeypatch):
    """``~/model`` reaches from_pretrained expanded (a recipe's model.name_or_path is checked and loaded as written)."""
    monkeypatch.setenv("HOME", str(tiny_model_dir.parent))
    source = f"~/{tiny_model_dir.name}"
    assert models.check_model_source(source) == str(tiny_model_dir)
    assert models.load_tokenizer(source).pad_token is not None
    assert not models.load_causal_lm(source, dtype=None).training  # None: the installed transformers' default


def test_tokenizer_only_folder_message(tmp_path):
    with pytest.raises(UsageError, match=r"no config\.json or tokenizer_config\.json"):
        models.check_model_source(str(tmp_path), "model.tokenizer", tokenizer_only=True)
