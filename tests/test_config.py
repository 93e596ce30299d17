"""Config loading: defaults, a file that extends another, and every kind of bad config.

The bad configs extend the repo's params.toml and change one value; each must fail in
``config.load`` (or in ``check_docvars``) with a one-line ConfigError naming the key, and on the
command line with exit status 2, a one- or two-line message, no traceback and no output.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT

from analysis import cli
from analysis import config as config_mod
from analysis.config import Comparison, ConfigError, Effect, TopicLabel
from analysis.corpus.metadata import DOCVARS

# Config.hash() of the defaults: a change of a default value or a new key changes every stamp,
# so it must be deliberate. Issue 11 changed them (comparisons select collection == 'bundled';
# [measures] derived, [ingest] restore_reference and mask_min_count, [tokens] keep_duplicates).
# Issue 12 changed them again: the local-trend figures' settings ([figures] local_series,
# district_prefecture, district_concepts, city_vs_national_concepts), the keyness comparisons of
# the city series (2020s vs 2000s) and of the Shenzhen districts, and the two city comparisons in
# [figures] keyness_comparisons. Issue 13 added [ingest] max_file_bytes (which files are read).
# Issue 14: [measures] ci_interval, keyness_q, keyness_max_top_share; [figures] robust_only;
# [ingest] mask_min_confidence 0.95; [topics] tomotopy defaults, stopwords, priors, labels, labels_fit;
# then gibbs_iterations 500 and the labels of that fit. [engine] (issue 15) is not hashed.
BASE_HASHES = {"params.toml": "4261b28f766b8211", "tests/fast.toml": "15b6c081148ad409"}
# Columns of the token cache of the bundled corpus (doc_id, paragraph, section, docvars, tokens).
COLUMNS = ["doc_id", "paragraph", "section", *DOCVARS[1:], "tokens"]


def test_params_toml_repeats_the_defaults():
    cfg = config_mod.load(ROOT / "params.toml")
    defaults = config_mod.Config(root=ROOT)
    assert cfg.to_dict() == defaults.to_dict()
    assert cfg == defaults  # source (the file) is not part of equality


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
    cfg = config_mod.load(ROOT / "params.toml")
    more = dataclasses.replace(cfg, tokens=dataclasses.replace(cfg.tokens, workers=7))
    assert more.hash() == cfg.hash()
    other = dataclasses.replace(cfg, tokens=dataclasses.replace(cfg.tokens, hmm=True))
    assert other.hash() != cfg.hash()


@pytest.mark.parametrize("name", sorted(BASE_HASHES))
def test_hash_is_that_of_the_base_commit(name):
    assert config_mod.load(ROOT / name).hash() == BASE_HASHES[name]


def test_default_hash_and_to_dict_are_plain():
    cfg = config_mod.Config(root=ROOT)
    assert cfg.hash() == BASE_HASHES["params.toml"]
    d = cfg.to_dict()
    assert "root" not in d and "source" not in d
    assert json.loads(json.dumps(d, ensure_ascii=False)) == json.loads(
        json.dumps(config_mod.load(ROOT / "params.toml").to_dict(), ensure_ascii=False)
    )
    # the former shapes: tuples, comparisons as dicts, effects as strings
    assert d["topics"]["k_grid"] == (5, 10, 15, 20, 25, 30, 40)
    assert d["measures"]["comparisons"][1] == {
        "id": "review_vs_plan",
        "label": "Review of past work vs plans (all bundled reports)",
        "target": "collection == 'bundled' and section == 'review'",
        "reference": "collection == 'bundled' and section == 'plan'",
        "unit": "paragraph",
    }
    assert d["topics"]["effects"] == (
        "all: level + section + year",
        "subnational: region + level + section",
    )


def test_section_hash():
    cfg = config_mod.load(ROOT / "params.toml")
    tokens = cfg.section_hash("tokens")
    assert len(tokens) == 16 and tokens != cfg.hash()
    faster = dataclasses.replace(cfg, tokens=dataclasses.replace(cfg.tokens, workers=3))
    assert faster.section_hash("tokens") == tokens
    hmm = dataclasses.replace(cfg, tokens=dataclasses.replace(cfg.tokens, hmm=True))
    assert hmm.section_hash("tokens") != tokens
    assert hmm.section_hash("measures") == cfg.section_hash("measures")
    reseeded = dataclasses.replace(cfg, seed=7)
    assert reseeded.section_hash("topics") == cfg.section_hash("topics")
    assert reseeded.section_hash("topics", seed=True) != cfg.section_hash("topics", seed=True)
    assert cfg.section_hash("topics", "seed") == cfg.section_hash("topics", seed=True)
    assert cfg.section_hash("tokens", "topics") == cfg.section_hash("topics", "tokens")
    with pytest.raises(ValueError, match="topic"):
        cfg.section_hash("topic")


def test_typed_values():
    cfg = config_mod.load(ROOT / "params.toml")
    comp = cfg.measures.comparisons[1]
    assert isinstance(comp, Comparison) and comp.unit == "paragraph"
    assert comp.id == "review_vs_plan"
    assert cfg.topics.effects[1] == Effect("subnational", ("region", "level", "section"))
    assert str(cfg.topics.effects[0]) == "all: level + section + year"
    topics = dataclasses.replace(cfg.topics, labels=("0=甲|Alpha", " 3 = 丁 "), labels_k=5)
    assert topics.labels == (TopicLabel(0, "甲", "Alpha"), TopicLabel(3, "丁", ""))
    assert [lab.spec for lab in topics.labels] == ["0=甲|Alpha", "3=丁|"]
    assert isinstance(cfg.tokens.stopwords, tuple) and isinstance(cfg.figures.wordcloud_size, tuple)
    assert Comparison(id="x", target="year == 1", reference="rest").label == "x"
    assert pickle.loads(pickle.dumps(cfg)) == cfg  # configs travel to worker processes


def test_keyword_construction_and_replace_validate():
    tc = config_mod.TokenConfig(numbers="drop", lexicon=ROOT / "data/lexicon/policy_terms.txt")
    assert tc.numbers == "drop" and isinstance(tc.lexicon, str)
    assert config_mod.TopicsConfig(k_grid=[6, 10]).k_grid == (6, 10)
    cfg = config_mod.Config(root=str(ROOT))
    assert cfg.root == ROOT
    with pytest.raises(ConfigError, match=r"\[topics\] unit = \"doc\""):
        dataclasses.replace(cfg.topics, unit="doc")
    with pytest.raises(ConfigError, match=r"\[tokens\] lexicn .*did you mean 'lexicon'"):
        config_mod.TokenConfig(lexicn="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.topics.unit = "report"  # type: ignore[misc]


def test_condition_names():
    names = config_mod.condition_names
    assert names("province == '浙江省' and level in ['prefecture', 'county-level']") == (
        "province",
        "level",
    )
    assert names('year >= 2e3 and not region == "east or west" and year < 2') == (
        "year",
        "region",
    )
    # pandas-only syntax (locals, backticks, methods) is outside the grammar
    for hostile in ("year > @x", "`doc type` == 'a'", "place.str.startswith('杭')"):
        with pytest.raises(ValueError, match="invalid condition"):
            names(hostile)


def test_several_problems_are_listed_one_per_line(tmp_path):
    bad = _write(tmp_path, "[topics]\npasses = 0\niterations = 0\ntop_n = 0\nn_boot = 0\n")
    with pytest.raises(ConfigError) as info:
        config_mod.load(bad)
    lines = str(info.value).splitlines()
    assert len(info.value.problems) == 4 and len(lines) == config_mod.MAX_PROBLEMS + 1
    assert lines[0].startswith(f"{bad}: [topics] passes = 0: must be >= 1")
    assert lines[-1] == "... and 1 more problem"


def test_missing_config_files(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="no such config file"):
        config_mod.load(tmp_path / "none.toml")
    monkeypatch.setenv("POLICYSHIFT_CONFIG", str(tmp_path / "none.toml"))
    with pytest.raises(ConfigError, match="POLICYSHIFT_CONFIG"):
        config_mod.load()


# ---------------------------------------------------------------------------------------------
# Bad configs: (id, TOML over params.toml, the key the message must name, stage of the docvar
# check or None when load() itself must fail)
# ---------------------------------------------------------------------------------------------
_COMPARISON = '[[measures.comparisons]]\nid = "{id}"\ntarget = "{target}"\nreference = "rest"\n'
BAD = [
    ("unknown key", "[measures]\nn_bootstrap = 5", "[measures] n_bootstrap", None),
    ("misspelled section", "[topic]\nunit = 'report'", "[topic]", None),
    ("unknown top-level key", "sede = 1", "sede", None),
    ("string for int", '[measures]\nn_boot = "200"', "[measures] n_boot", None),
    ("int for list", "[topics]\nk_grid = 20", "[topics] k_grid", None),
    ("bool for int", "[topics]\npasses = true", "[topics] passes", None),
    ("string for float", '[measures]\nci_level = "0.9"', "[measures] ci_level", None),
    ("string for list", '[tokens]\nstopwords = "stopwords/general_zh.txt"', "[tokens] stopwords", None),
    ("float in int list", "[topics]\nseeds = [1, 2.0]", "[topics] seeds[1]", None),
    ("numbers", '[tokens]\nnumbers = "placeholders"', "[tokens] numbers", None),
    ("topics engine", '[topics]\nengine = "gensmi"', "[topics] engine", None),
    ("tokens engine", '[tokens]\nengine = "jeiba"', "[tokens] engine", None),
    ("topics unit", '[topics]\nunit = "document"', "[topics] unit", None),
    ("select metric", '[topics]\nselect_metric = "npmi"', "[topics] select_metric", None),
    ("select rule", '[topics]\nselect_rule = "two_se"', "[topics] select_rule", None),
    (
        "comparison unit",
        _COMPARISON.format(id="a", target="year == 2020") + 'unit = "section"',
        "[measures] comparisons[0].unit",
        None,
    ),
    ("ci_level", "[measures]\nci_level = 1.5", "[measures] ci_level", None),
    ("holdout", "[topics]\nholdout = 1.0", "[topics] holdout", None),
    ("k value", "[topics]\nk_grid = [1, 5]", "[topics] k_grid[0]", None),
    ("empty seeds", "[topics]\nseeds = []", "[topics] seeds", None),
    ("n_boot", "[topics]\nn_boot = 0", "[topics] n_boot", None),
    ("no_above", "[topics]\nno_above = 0.0", "[topics] no_above", None),
    ("dpi", "[figures]\ndpi = 0", "[figures] dpi", None),
    ("formats", '[figures]\nformats = ["pdf"]', "[figures] formats", None),
    ("format", '[figures]\nformats = ["png", "svg"]', "[figures] formats[1]", None),
    ("frex_weight", "[topics]\nfrex_weight = 1.5", "[topics] frex_weight", None),
    ("workers", "[tokens]\nworkers = -1", "[tokens] workers", None),
    ("duplicate_overlap", "[ingest]\nduplicate_overlap = 0.0", "[ingest] duplicate_overlap", None),
    ("repeated K", "[topics]\nk_grid = [5, 10, 5]", "[topics] k_grid[2]", None),
    ("chosen_k 1", "[topics]\nchosen_k = 1", "[topics] chosen_k", None),
    ("seed", "seed = -1", "seed", None),
    ("lexicon", '[tokens]\nlexicon = "data/lexicon/none.txt"', "[tokens] lexicon", None),
    (
        "stopword list",
        '[tokens]\nstopwords = ["stopwords/general_zh.txt", "stopwords/none.txt"]',
        "[tokens] stopwords[1]",
        None,
    ),
    ("concepts", '[measures]\nconcepts = "data/none.toml"', "[measures] concepts", None),
    ("font", '[figures]\nfont = "fonts/none.otf"', "[figures] font", None),
    (
        "comparison id",
        _COMPARISON.format(id="../escape", target="year == 2020"),
        "[measures] comparisons[0].id",
        None,
    ),
    (
        "duplicate comparison id",
        _COMPARISON.format(id="a", target="year == 2020")
        + _COMPARISON.format(id="a", target="year == 2021"),
        "[measures] comparisons[1].id",
        None,
    ),
    (
        "comparison key",
        _COMPARISON.format(id="a", target="year == 2020") + 'refrence = "rest"',
        "[measures] comparisons[0].refrence",
        None,
    ),
    (
        "effect spec",
        '[topics]\neffects = ["all: level", "subnatonal: region + level"]',
        "[topics] effects[1]",
        None,
    ),
    ("label", '[topics]\nlabels = ["0=经济|Economy", "x=科技"]', "[topics] labels[1]", None),
    (
        "label beyond labels_k",
        '[topics]\nlabels = ["0=经济|Economy", "7=科技"]\nlabels_k = 5',
        "[topics] labels[1]",
        None,
    ),
    ("keep_single", '[tokens]\nkeep_single = ["党", "军队"]', "[tokens] keep_single[1]", None),
    (
        "docvar in a comparison",
        _COMPARISON.format(id="a", target="provnce == '浙江省'"),
        "[measures] comparisons[0].target",
        "measures",
    ),
    (
        "paragraph docvar in a report comparison",
        _COMPARISON.format(id="a", target="section == 'review'"),
        "[measures] comparisons[0].target",
        "measures",
    ),
    ("docvar in one_vs_rest", '[measures]\none_vs_rest = "regoin"', "[measures] one_vs_rest", "measures"),
    (
        "docvar in an effect",
        '[topics]\neffects = ["all: level", "subnational: regoin + level"]',
        "[topics] effects[1]",
        "topics",
    ),
    ("docvar in group_by", '[topics]\ngroup_by = ["doc_id", "provnce"]', "[topics] group_by[1]", "topics"),
]  # fmt: skip
assert len(BAD) >= 24


def _write(folder: Path, body: str) -> Path:
    path = folder / "bad.toml"
    path.write_text(f"extends = {json.dumps((ROOT / 'params.toml').as_posix())}\n{body}\n")
    return path


def _files(folder: Path) -> list[tuple[str, int, int]]:
    return sorted(
        (str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    )


@pytest.mark.parametrize(("body", "key", "stage"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_fails_naming_the_key(tmp_path, body, key, stage):
    bad = _write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        cfg = config_mod.load(bad)
        assert stage is not None, "load() accepted a bad config"
        config_mod.check_docvars(cfg, COLUMNS, stage=stage)
    message = str(info.value)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"{bad}: {key}"), message
    assert "; allowed: " in message or "did you mean" in message, message
    if stage:  # the unknown name and the available columns
        assert "docvar '" in message and "doc_id, " in message and "tokens" not in message


@pytest.mark.parametrize(("body", "key", "stage"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_on_the_command_line(tmp_path, capsys, body, key, stage):
    bad = _write(tmp_path, body)
    results = tmp_path / "results"
    (results / "tokens").mkdir(parents=True)
    pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS}).to_parquet(
        results / "tokens" / "tokens.parquet"
    )
    before = _files(results)
    command = stage or "measures"
    assert cli.main([command, "--config", str(bad), "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert 1 <= len(err.splitlines()) <= 2 and "Traceback" not in err, err
    assert err.startswith(f"policyshift {command}: {bad}: {key}"), err
    assert _files(results) == before


def test_command_line_debug_shows_the_traceback(tmp_path):
    bad = _write(tmp_path, "[topics]\nk_grid = 20")
    results = tmp_path / "results"
    base = [sys.executable, "-m", "analysis"]
    args = ["measures", "--config", str(bad), "--results", str(results)]
    run = subprocess.run([*base, *args], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [
        "policyshift measures: bad.toml: [topics] k_grid = 20: expected a list, got an integer; "
        "allowed: a non-empty list of integers >= 2"
    ]
    assert not results.exists()
    run = subprocess.run([*base, *args, "--debug"], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 1 and "Traceback" in run.stderr and "ConfigError" in run.stderr
    with pytest.raises(ConfigError, match="k_grid"):
        cli.main(["--debug", *args])
