"""Tests of analysis.tokens.segment on the bundled corpus (ingested once per session by conftest)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.config import DEFAULT_KEEP_SINGLE, TokenConfig
from analysis.tokens import build_tokens
from analysis.tokens.lexicon import read_wordlist
from analysis.tokens.segment import (
    NUM,
    PCT,
    YEAR,
    Tokenizer,
    lexicon_check,
    tokenize_lines,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = TokenConfig()


@pytest.fixture(scope="module")
def paragraphs(corpus) -> pd.DataFrame:
    return corpus[1]


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer(CONFIG, ROOT).fit()


@pytest.fixture(scope="module")
def built(paragraphs, tokenizer, tmp_path_factory) -> tuple[pd.DataFrame, Path]:
    cache = tmp_path_factory.mktemp("tokens_a")
    return build_tokens(paragraphs, config=CONFIG, root=ROOT, cache_dir=cache), cache


def test_policy_phrases_stay_one_token(tokenizer):
    phrases = pd.read_csv(ROOT / "tests" / "data" / "policy_phrases.csv")
    whole = {p for p, s in zip(phrases.phrase, phrases.sentence, strict=True)
             if p in tokenizer.tokenize(s)}  # fmt: skip
    missed = sorted(set(phrases.phrase) - whole)
    assert len(whole) >= 60, f"only {len(whole)} phrases kept whole; missed {missed}"
    # every phrase of the list is a lexicon entry, so all must survive
    assert not missed, missed


def test_phrase_sentences_come_from_the_corpus():
    phrases = pd.read_csv(ROOT / "tests" / "data" / "policy_phrases.csv")
    found = 0
    for sentence, source in zip(phrases.sentence, phrases.source_file, strict=True):
        text = (ROOT / "data" / "raw" / source).read_text(encoding="utf-8")
        found += sentence[:12] in text
    assert found >= 60


def test_top_tokens_are_not_boilerplate(built):
    tokens, _ = built
    counts = Counter(t for toks in tokens["tokens"] for t in toks)
    top = [t for t, _ in counts.most_common(30)]
    boilerplate = set(read_wordlist(ROOT / "stopwords" / "boilerplate_gov.txt"))
    assert not {"推进", "加快", "坚持", "全面", "加强", "推动", "实施"} & set(top), top
    assert not boilerplate & set(top), top
    assert "发展" in top  # content words the boilerplate list deliberately keeps


def test_stopwords_punctuation_single_chars_removed(built, tokenizer):
    tokens, _ = built
    vocab = {t for toks in tokens["tokens"] for t in toks}
    assert not vocab & tokenizer.stopwords_
    placeholders = {NUM, PCT, YEAR}
    assert all(any(c.isalpha() for c in t) for t in vocab - placeholders)
    assert {t for t in vocab if len(t) == 1} <= set(DEFAULT_KEEP_SINGLE)
    assert not {t for t in vocab if any(c.isspace() for c in t)}
    assert tokenizer.tokenize("，。、；：“”（）！？ \u3000,.;") == []


def test_numbers_map_to_placeholders(tokenizer):
    text = "2023年GDP增长5.2%，城镇新增就业1,200万人，到二〇三五年基本实现，2035远景，增长8%"
    # 基本, 实现 are stopwords
    expected = [YEAR, "GDP", "增长", PCT, "城镇新增就业", NUM, YEAR, YEAR, "远景", "增长", PCT]
    assert tokenizer.tokenize(text) == expected
    drop = Tokenizer(TokenConfig(numbers="drop"), ROOT)
    assert drop.tokenize(text) == ["GDP", "增长", "城镇新增就业", "远景", "增长"]


def test_docvars_stay_aligned(built, paragraphs):
    tokens, _ = built
    assert len(tokens) == len(paragraphs)
    assert list(tokens.columns[:4]) == ["doc_id", "paragraph", "section", "tokens"]
    assert "text" not in tokens.columns
    for col in ("doc_id", "paragraph", "section", "year", "place", "doc_type"):
        assert tokens[col].tolist() == paragraphs[col].tolist()
    assert all(isinstance(t, list) for t in tokens["tokens"].head(50))


def test_two_builds_write_identical_bytes(built, paragraphs, tmp_path):
    _, cache_a = built
    build_tokens(paragraphs, config=CONFIG, root=ROOT, cache_dir=tmp_path)
    a = (cache_a / "tokens.parquet").read_bytes()
    assert a == (tmp_path / "tokens.parquet").read_bytes()


def test_cache_is_reused_without_segmenting(built, paragraphs, monkeypatch):
    tokens, cache = built

    def fail(*args, **kwargs):
        raise AssertionError("segmenter called although the cache key matches")

    monkeypatch.setattr(Tokenizer, "tokenize_many", fail)
    monkeypatch.setattr(Tokenizer, "fit", fail)
    again = build_tokens(paragraphs, config=CONFIG, root=ROOT, cache_dir=cache)
    pd.testing.assert_frame_equal(again, tokens)
    # a changed setting or text changes the key, so the cache is not used
    with pytest.raises(AssertionError, match="segmenter called"):
        build_tokens(paragraphs, config=TokenConfig(numbers="drop"), root=ROOT, cache_dir=cache)
    edited = paragraphs.copy()
    edited.loc[0, "text"] = edited.loc[0, "text"] + "。"
    with pytest.raises(AssertionError, match="segmenter called"):
        build_tokens(edited, config=CONFIG, root=ROOT, cache_dir=cache)


def test_rjieba_agrees_with_jieba(paragraphs, tokenizer):
    rng = np.random.default_rng(20261124)
    texts = paragraphs["text"].tolist()
    sample = set(rng.choice(len(texts), size=600, replace=False).tolist())
    sample |= {i for i, t in enumerate(texts) if "用足用好" in t}  # the former tie (see lexicon)
    reference = Tokenizer(TokenConfig(engine="jieba"), ROOT)
    differ = [
        i for i in sorted(sample) if tokenizer.raw_cut(texts[i]) != reference.raw_cut(texts[i])
    ]
    assert not differ, [texts[i][:40] for i in differ]


def test_batched_cut_equals_single_cut(paragraphs, tokenizer):
    texts = paragraphs["text"].tolist()[:2000]
    assert tokenizer._cut_many(texts) == [tokenizer.raw_cut(t) for t in texts]


def test_lexicon_check_finds_no_split_entries(paragraphs, tokenizer):
    report = lexicon_check(paragraphs, tokenizer)
    assert report.empty, report.head(20).to_string()
    overlaps = lexicon_check(paragraphs, tokenizer, include_overlaps=True)
    assert set(overlaps["kind"]) <= {"overlap_word", "overlap_lexicon"}
    assert "工业增加值" not in set(overlaps["term"])  # fixed in the lexicon (规上工业 removed)


def test_lexicon_check_detects_a_split(tmp_path, paragraphs):
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("乡村振兴\trural\n兴战\ttest\n", encoding="utf-8")
    # 兴战 cannot be emitted whole where 乡村振兴 is also possible: both at the same frequency,
    # the route with fewer tokens wins and 兴战 is crossed
    tk = Tokenizer(TokenConfig(lexicon=str(lexicon)), ROOT)
    df = pd.DataFrame(
        {"doc_id": ["x"], "paragraph": [0], "section": ["other"], "text": ["推进乡村振兴战略"]}
    )
    assert lexicon_check(df, tk).empty
    rows = lexicon_check(df, tk, include_overlaps=True)
    assert rows["term"].tolist() == ["兴战"] and rows["kind"].tolist() == ["overlap_lexicon"]
    # an entry the segmenter does not know is cut inside: a split
    tk.lexicon_ = {**tk.lexicon_, "乡村振兴战略": "test"}
    rows = lexicon_check(df, tk)
    assert rows["term"].tolist() == ["乡村振兴战略"] and rows["kind"].tolist() == ["split"]
    assert rows["tokens"].iloc[0] == "推进/乡村振兴/战略"


def test_tokenize_lines_one_output_per_line(tokenizer):
    out = list(tokenize_lines(["全面推进乡村振兴。\n", "", "实现碳达峰碳中和"], tokenizer))
    assert len(out) == 3
    assert "乡村振兴" in out[0].split(" ") and out[1] == ""
    assert out[2].split(" ") == ["碳达峰", "碳中和"]


def test_fingerprint_tracks_settings_and_files(tmp_path):
    base = Tokenizer(CONFIG, ROOT).fingerprint()
    assert base == Tokenizer(TokenConfig(workers=1), ROOT).fingerprint()
    assert base != Tokenizer(TokenConfig(hmm=True), ROOT).fingerprint()
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_bytes((ROOT / CONFIG.lexicon).read_bytes() + "新词条\ttest\n".encode())
    assert base != Tokenizer(TokenConfig(lexicon=str(lexicon)), ROOT).fingerprint()


def test_cli_tokenize_one_line_per_input_line(capsys, monkeypatch):
    import io as _io

    from analysis.cli import main

    assert main(["tokenize", "推进乡村振兴，发展新能源汽车"]) == 0
    assert capsys.readouterr().out == "乡村振兴 发展 新能源汽车\n"
    monkeypatch.setattr("sys.stdin", _io.StringIO("实施家庭联产承包责任制\n\n碳达峰碳中和\n"))
    assert main(["tokenize"]) == 0
    assert capsys.readouterr().out == "家庭联产承包责任制\n\n碳达峰 碳中和\n"
