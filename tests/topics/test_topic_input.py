"""Issue 14: place names and discourse words out of the topic input (only there), typical
paragraphs for labelling, automatic labels without places or stoplisted words, human labels
of the default model."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

from analysis import stamps
from analysis.config import TopicsConfig
from analysis.topics import label_terms, place_names, read_stoplist_groups, topic_labels
from analysis.topics.preprocessing import gazetteer_names, topic_stoplist

ROOT = Path(__file__).resolve().parents[2]
DISCOURSE = ROOT / "stopwords" / "topic_discourse.txt"


@pytest.fixture(scope="module")
def listed(cfg) -> tuple[dict[str, str], dict[str, str]]:
    """The place names and the stoplisted words the default config drops from topic input."""
    return place_names(cfg.topics, cfg.root), topic_stoplist(cfg.topics, cfg.root)


def test_place_names_cover_every_gazetteer_name_short_name_and_parent(cfg, listed):
    places, _ = listed
    gazetteer = gazetteer_names(ROOT / "data" / "gazetteer.csv")
    # full and short names of every level, other names, parents
    for name in (
        "宁夏回族自治区",
        "宁夏",
        "青海",
        "新疆",
        "珠海",
        "天津",
        "铜川",
        "咸阳市",
        "咸阳",
    ):
        assert name in gazetteer
    assert {"坪山新区", "陕西省", "嘉兴市", "海宁", "驻马店", "深圳"} <= set(gazetteer)
    assert gazetteer["铜川"] == "铜川市" and gazetteer["宁夏"] == "宁夏回族自治区"
    # and the place list beyond the gazetteer (other cities, districts)
    assert set(gazetteer) <= set(places)
    assert {"嘉兴", "香港", "北京"} <= set(places)
    assert places["宁夏"] == "gazetteer 宁夏回族自治区"


def test_topic_stoplist_has_groups_with_reasons(listed):
    _, stops = listed
    groups = read_stoplist_groups(DISCOURSE)
    assert stops == groups
    for word in ("应该", "不少", "表示", "感谢", "诚挚", "部分", "不足"):
        assert word in groups
    assert groups["应该"] == "topic_discourse.txt: hedges"
    assert groups["诚挚"] == "topic_discourse.txt: courtesy formulas"
    assert groups["不少"] == "topic_discourse.txt: vague quantifiers"
    assert groups["不足"] == "topic_discourse.txt: evaluation words"
    # every group line states its reason after the colon
    heads = [
        line for line in DISCOURSE.read_text(encoding="utf-8").splitlines() if ": " in line[:40]
    ]
    named = {g.split(": ", 1)[1] for g in groups.values()}
    for name in named:
        (head,) = [h for h in heads if h.startswith(f"# {name}:")]
        assert len(head.split(":", 1)[1].strip()) > 20, head


def test_every_stoplisted_word_occurs_in_the_token_cache(fast_build, listed):
    _, stops = listed
    vocab = set(fast_build.tokens()["tokens"].explode())
    assert sorted(set(stops) - vocab) == []


def test_filtering_is_for_topics_only_other_stages_keep_places_and_discourse_words(fast_build):
    tokens = fast_build.tokens()
    vocab = set(tokens["tokens"].explode())
    assert {"深圳", "宁夏", "驻马店", "不少", "感谢", "应该"} <= vocab
    # the measures keep them: TF-IDF's top terms of the reports name their places
    tfidf = pd.read_csv(fast_build.tables_dir / "tfidf_top_terms.csv")
    assert {"深圳", "驻马店", "宁夏"} <= set(tfidf["term"])
    topics_vocab = set(pd.read_csv(fast_build.topics_dir / "topic_terms.csv")["term"])
    assert not {"深圳", "驻马店", "不少"} & topics_vocab
    dropped = pd.read_csv(fast_build.topics_dir / "dropped_terms.csv", keep_default_na=False)
    by_term = dropped.set_index("term")
    assert by_term.loc["深圳", "reason"] == "place"
    assert by_term.loc["深圳", "source"] == "gazetteer 深圳市"
    assert by_term.loc["不少", "reason"] == "stoplist"
    assert by_term.loc["不少", "source"] == "topic_discourse.txt: vague quantifiers"
    log = pd.read_csv(fast_build.topics_dir / "preprocessing.csv")
    assert {"place names", "topic stoplist"} <= set(log["step"])


def test_no_place_or_stoplisted_word_among_any_topics_top_10(fast_build, listed):
    places, stops = listed
    terms = pd.read_csv(fast_build.topics_dir / "topic_terms.csv")
    top = terms[terms["rank"] <= 10]
    assert len(top) == 10 * terms["topic"].nunique()
    assert sorted(set(top["term"]) & set(places)) == []
    assert sorted(set(top["term"]) & set(stops)) == []
    topics = pd.read_csv(fast_build.topics_dir / "topics.csv", keep_default_na=False)
    for col in ("top_terms", "frex_terms", "relevance_terms"):
        words = {w for row in topics[col] for w in row.split()}
        assert not words & (set(places) | set(stops)), col


def test_typical_paragraphs_are_the_top_three_training_paragraphs(fast_build):
    out = fast_build.topics_dir
    typical = pd.read_csv(out / "typical_paragraphs.csv", keep_default_na=False)
    k = len(pd.read_csv(out / "topics.csv"))
    assert list(typical.columns[:4]) == ["topic", "rank", "doc_id", "section"]
    assert {"paragraph", "proportion", "text", "label_zh", "stable"} <= set(typical.columns)
    assert typical.groupby("topic")["rank"].apply(list).tolist() == [[1, 2, 3]] * k
    # the texts are the corpus's paragraphs
    paras = fast_build.paragraphs(columns=["doc_id", "paragraph", "text"])
    joined = typical.merge(paras, on=["doc_id", "paragraph"], suffixes=("", "_corpus"))
    assert len(joined) == 3 * k and (joined["text"] == joined["text_corpus"]).all()
    # they are the training paragraphs with the highest proportion of the topic
    doc_topics = pd.read_parquet(out / "doc_topics.parquet")
    train = doc_topics[~doc_topics["heldout"]]
    for t, grp in typical.groupby("topic"):
        best = train[f"topic_{t}"].nlargest(3).to_numpy()
        assert grp["proportion"].to_numpy() == pytest.approx(best, abs=1e-12)
    assert "typical_paragraphs.csv" in json.loads((out / "stamp.json").read_text())["outputs"]


def test_automatic_labels_never_use_a_place_or_stoplisted_word(listed):
    places, stops = listed
    top = ["深圳", "不少", "乡村振兴", "农村", "宁夏", "农民", "粮食"]
    excluded = places.keys() | stops.keys()
    assert label_terms(top, excluded=excluded) == ["乡村振兴", "农村", "农民"]
    # policy phrases of the lexicon first, each group in relevance order
    assert label_terms(top, excluded=excluded, preferred={"粮食", "乡村振兴"}) == [
        "乡村振兴",
        "粮食",
        "农村",
    ]
    zh, en = topic_labels([top, top], TopicsConfig(), 2, excluded=excluded)
    assert zh == ["乡村振兴/农村/农民"] * 2 and en == ["Topic 0", "Topic 1"]


def test_automatic_labels_of_the_fast_build_avoid_places(fast_build, listed):
    places, stops = listed
    topics = pd.read_csv(fast_build.topics_dir / "topics.csv", keep_default_na=False)
    for label in topics["label_zh"]:
        assert not set(label.split("/")) & (places.keys() | stops.keys()), label


def test_the_default_model_has_a_human_label_for_every_topic(cfg):
    tc = cfg.topics
    assert tc.labels_k >= 2
    assert sorted(lab.topic for lab in tc.labels) == list(range(tc.labels_k))
    assert all(lab.zh and lab.en for lab in tc.labels)
    # the labelled K is the default K: the rule's choice on the bundled corpus, fixed in the config
    assert tc.chosen_k in (0, tc.labels_k)


def test_make_alls_chosen_k_is_the_labelled_k_when_its_results_exist(cfg):
    """Reads `make all`'s results of the default config only if they are there."""
    sel = ROOT / "results" / "topics" / "selection.json"
    if not sel.is_file():
        pytest.skip("no results/ of `make all`")
    stamp = json.loads((ROOT / "results" / "topics" / "stamp.json").read_text())
    # as the stamp holds it (JSON: lists, not the config's tuples)
    current = json.loads(json.dumps(stamps.config_values(cfg, ["topics"], seed=True)))
    if stamp.get("config") != current:
        pytest.skip("results/ are of another config")
    k = json.loads(sel.read_text(encoding="utf-8"))["k"]
    assert k == cfg.topics.labels_k
    topics = pd.read_csv(ROOT / "results" / "topics" / "topics.csv")
    assert topics["label_en"].str.startswith("Topic ").sum() == 0


# One of the top 10 terms of each topic of the default model, read when its labels were written
# (params.toml): a label put on another topic (as happened when labels of one fit were shipped for
# another) fails here.
ANCHORS = {
    0: "招商", 1: "产业集群", 2: "农村", 3: "地区生产总值", 4: "习近平", 5: "财政", 6: "科技",
    7: "挑战", 8: "安全生产", 9: "旅游", 10: "计划", 11: "贸易", 12: "消费", 13: "监督",
    14: "教育", 15: "就业", 16: "和平", 17: "交通", 18: "生态", 19: "审批",
}  # fmt: skip


def test_make_alls_topics_carry_their_labels(cfg):
    """Reads `make all`'s results of the default config only if they are there (not in CI)."""
    path = ROOT / "results" / "topics" / "topics.csv"
    if not path.is_file():
        pytest.skip("no results/ of `make all`")
    sel = json.loads((ROOT / "results" / "topics" / "selection.json").read_text("utf-8"))
    if sel["fit_key"] != cfg.topics.labels_fit:
        pytest.skip("results/ are of another fit than the labelled one")
    topics = pd.read_csv(path, keep_default_na=False).set_index("topic")
    assert sorted(ANCHORS) == sorted(topics.index) == sorted(lab.topic for lab in cfg.topics.labels)
    for lab in cfg.topics.labels:
        row = topics.loc[lab.topic]
        assert row["label_zh"] == lab.zh and row["label_en"] == lab.en
        assert ANCHORS[lab.topic] in row["top_terms"].split()[:10], (lab.topic, row["top_terms"])


def _default_fit_key(cfg, tokens, *, k: int = 20, **change) -> str:
    from analysis.topics.build import fit_key
    from analysis.topics.preprocessing import corpus_from_config

    tc = dataclasses.replace(cfg.topics, **change)
    seeds = list(range(1, tc.n_stability_seeds + 1))
    return fit_key(corpus_from_config(tokens, tc, cfg.root), tc, k, seeds, cfg.seed)


def test_default_labels_are_pinned_to_the_default_fit(cfg, fast_build):
    """The shipped labels name the topics of one fit: the default config on the bundled corpus.
    Its key is labels_fit (a change of ingest, tokens or topic settings that changes the fit
    fails here, so the labels are checked again rather than silently put on other topics)."""
    bundled = fast_build.tokens()  # the token table the topics stage reads (same [tokens])
    key = _default_fit_key(cfg, bundled)
    assert cfg.topics.labels_fit == key
    # another corpus or another setting is another fit: automatic labels there
    assert _default_fit_key(cfg, bundled[bundled["level"] != "national"]) != key
    assert _default_fit_key(cfg, bundled, gibbs_iterations=100) != key
    assert _default_fit_key(cfg, bundled, k=21) != key
