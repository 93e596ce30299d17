"""Config loading: defaults, unknown keys, and a file that extends another."""

from __future__ import annotations

import pytest
from conftest import ROOT

from analysis import config as config_mod


def test_params_toml_repeats_the_defaults():
    cfg = config_mod.load(ROOT / "params.toml")
    defaults = config_mod.Config(root=ROOT)
    assert cfg.to_dict() == defaults.to_dict()


def test_fast_config_extends_params(monkeypatch):
    fast = config_mod.load(ROOT / "tests" / "fast.toml")
    base = config_mod.load(ROOT / "params.toml")
    assert fast.root == base.root == ROOT
    assert fast.results == "build/fast" and fast.measures.n_boot == 200
    assert fast.measures.concepts == base.measures.concepts
    assert fast.tokens == base.tokens
    assert fast.hash() != base.hash()
    monkeypatch.setenv("POLICYSHIFT_CONFIG", str(ROOT / "tests" / "fast.toml"))
    assert config_mod.load().hash() == fast.hash()


def test_unknown_key_and_missing_base_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[measures]\nn_bootstrap = 5\n")
    with pytest.raises(ValueError, match=r"bad\.toml.*n_bootstrap"):
        config_mod.load(bad)
    bad.write_text('extends = "nowhere.toml"\n')
    with pytest.raises(ValueError, match=r"nowhere\.toml"):
        config_mod.load(bad)


def test_hash_ignores_workers_only():
    import dataclasses

    cfg = config_mod.load(ROOT / "params.toml")
    more = dataclasses.replace(cfg, tokens=dataclasses.replace(cfg.tokens, workers=7))
    assert more.hash() == cfg.hash()
    other = dataclasses.replace(cfg, tokens=dataclasses.replace(cfg.tokens, hmm=True))
    assert other.hash() != cfg.hash()
