"""The pyLDAvis page: offline (no external asset), our topic order, Chinese terms, same bytes."""

from __future__ import annotations

import json
import re
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from analysis.topics.ldavis import write_ldavis

K, V, D = 3, 40, 60
CHINESE = ["新能源", "乡村振兴", "高质量发展", "营商环境", "人工智能", "碳达峰", "民生", "教育"]
VOCAB = [*CHINESE, "<num>", *(f"词{i:02d}" for i in range(V - len(CHINESE) - 1))]
TOP = ["新能源", "乡村振兴", "碳达峰"]  # planted top term of topics 0, 1, 2
SHARES = np.array([0.2, 0.5, 0.3])  # not in decreasing order: re-sorting would show
LABELS = ["energy 能源", "rural <乡村> & farms", "climate"]

EXTERNAL = r"""\s*['"]?\s*(?:https?:)?//"""
SCRIPT_LOADS = [
    re.compile(r"require\s*\(\s*\[?" + EXTERNAL),
    re.compile(r"\bimport\s*\(" + EXTERNAL),
    re.compile(r"\bimport\b[^;\n]*\bfrom" + EXTERNAL),
    re.compile(r"\.src\s*=" + EXTERNAL),
    re.compile(r"\b(?:fetch|getScript|d3\.(?:json|csv|tsv|text|xml|html))\s*\(" + EXTERNAL),
    re.compile(r"\bLDAvis_load_lib\b|\brequire\.config\b"),
]
STYLE_LOADS = [re.compile(r"url\(" + EXTERNAL), re.compile(r"@import")]


class _Page(HTMLParser):
    """Tags with their attributes, and the text of each script and style element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open = tag if tag in ("script", "style") else None
        if self._open:
            (self.scripts if tag == "script" else self.styles).append("")

    def handle_endtag(self, tag):
        self._open = None

    def handle_data(self, data):
        if self._open == "script":
            self.scripts[-1] += data
        elif self._open == "style":
            self.styles[-1] += data


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def external_references(text: str) -> list[str]:
    """Everything in an HTML page that would fetch a resource from another host."""
    page = parse(text)
    found = [
        f"<{tag} {name}={value}>"
        for tag, attrs in page.tags
        for name, value in attrs.items()
        if value and re.match(r"\s*(?:https?:)?//", value)
    ]
    found += [m.group(0) for s in page.scripts for rx in SCRIPT_LOADS for m in rx.finditer(s)]
    found += [m.group(0) for s in page.styles for rx in STYLE_LOADS for m in rx.finditer(s)]
    return found


def _data(text: str) -> dict:
    scripts = parse(text).scripts
    match = re.search(r"var (ldavis_[0-9a-f]+)_data = (.*);\n", scripts[-1])
    assert match is not None
    assert f'new LDAvis("#{match.group(1)}", {match.group(1)}_data)' in scripts[-1]
    return json.loads(match.group(2))


@pytest.fixture(scope="module")
def model() -> dict:
    """A small model: each topic peaks on one Chinese term; token shares 0.2/0.5/0.3."""
    rng = np.random.default_rng(3)
    topic_term = rng.dirichlet(np.full(V, 0.5), size=K)
    for t, term in enumerate(TOP):
        topic_term[t, VOCAB.index(term)] += 1.0
    topic_term[1, VOCAB.index("<num>")] += 0.5  # a token placeholder with markup characters
    topic_term /= topic_term.sum(axis=1, keepdims=True)
    doc_topic = rng.dirichlet(20 * SHARES, size=D)
    doc_lengths = rng.integers(50, 150, size=D)
    counts = (doc_lengths @ doc_topic) @ topic_term  # expected corpus count of each term
    return {
        "topic_term": topic_term,
        "doc_topic": doc_topic,
        "doc_lengths": doc_lengths,
        "vocab": VOCAB,
        "term_frequency": np.round(counts) + 1,
    }


@pytest.fixture(scope="module")
def page(model, tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("ldavis") / "ldavis.html"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = write_ldavis(path, labels=LABELS, **model)
    assert [str(w.message) for w in caught] == []
    assert out == path
    return path, path.read_bytes().decode("utf-8")


def test_page_loads_no_external_asset(page):
    _, text = page
    assert external_references(text) == []
    parsed = parse(text)
    assert all("src" not in attrs for tag, attrs in parsed.tags if tag == "script")
    assert not [tag for tag, _ in parsed.tags if tag in ("link", "img", "iframe")]


def test_checker_flags_the_default_pyldavis_page(model):
    """The check can fail: pyLDAvis's own HTML loads d3 and LDAvis from CDNs."""
    import pyLDAvis

    args = [model[k] for k in ("topic_term", "doc_topic", "doc_lengths", "vocab", "term_frequency")]
    prepared = pyLDAvis.prepare(*args, n_jobs=1, sort_topics=False, mds="pcoa")
    found = external_references(pyLDAvis.prepared_data_to_html(prepared, visid="x"))
    assert any("href=https://" in f for f in found)
    assert any("LDAvis_load_lib" in f for f in found)


def test_d3_and_ldavis_inline(page):
    import pyLDAvis.urls

    _, text = page
    parsed = parse(text)
    d3 = Path(pyLDAvis.urls.D3_LOCAL).read_text(encoding="utf-8")
    ldavis = Path(pyLDAvis.urls.LDAVIS_LOCAL).read_text(encoding="utf-8")
    css = Path(pyLDAvis.urls.LDAVIS_CSS_LOCAL).read_text(encoding="utf-8")
    assert any(d3.strip() == s.strip() for s in parsed.scripts)
    assert any(ldavis.strip() == s.strip() for s in parsed.scripts)
    assert any(css.strip() == s.strip() for s in parsed.styles)
    assert "var LDAvis = function" in ldavis and "d3js.org v5" in d3


def test_topic_order_is_ours(page, model):
    _, text = page
    data = _data(text)
    assert data["topic.order"] == [1, 2, 3]
    assert data["mdsDat"]["topics"] == [1, 2, 3]
    shares = model["doc_lengths"] @ model["doc_topic"]
    np.testing.assert_allclose(data["mdsDat"]["Freq"], 100 * shares / shares.sum(), rtol=1e-9)
    tinfo = data["tinfo"]
    for t, term in enumerate(TOP):
        rows = [i for i, c in enumerate(tinfo["Category"]) if c == f"Topic{t + 1}"]
        best = max(rows, key=lambda i: tinfo["logprob"][i])
        assert tinfo["Term"][best] == term
    # The id table maps page topic t + 1 to our topic t, with the labels escaped.
    cells = re.findall(r"<tr><td>(\d+)</td><td>(\d+)</td><td>(.*?)</td></tr>", text)
    assert cells == [
        ("1", "0", "energy 能源"),
        ("2", "1", "rural &lt;乡村&gt; &amp; farms"),
        ("3", "2", "climate"),
    ]


def test_chinese_terms_utf8_and_markup_escaped(page):
    _, text = page
    assert '<meta charset="utf-8">' in text
    data = _data(text)
    assert {*TOP, "<num>"} <= set(data["tinfo"]["Term"])
    assert '"新能源"' in text  # raw UTF-8 in the JSON, not \\u escapes
    raw = re.search(r"_data = (.*);\n", text)
    assert raw is not None and "<" not in raw.group(1)  # "<num>" cannot close the script


def test_two_writes_identical_bytes(page, model, tmp_path):
    path, _ = page
    again = write_ldavis(tmp_path / "again.html", labels=LABELS, **model)
    assert again.read_bytes() == path.read_bytes()


def test_rejects_zero_probabilities(model, tmp_path):
    topic_term = model["topic_term"].copy()
    topic_term[0, 0] = 0.0
    topic_term /= topic_term.sum(axis=1, keepdims=True)
    with pytest.raises(ValueError, match="zero"):
        write_ldavis(tmp_path / "x.html", **{**model, "topic_term": topic_term})
    assert not (tmp_path / "x.html").exists()
