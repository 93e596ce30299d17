"""An offline, deterministic pyLDAvis page (Sievert and Shirley 2014, LDAvis).

:func:`write_ldavis` runs ``pyLDAvis.prepare`` with our topic order kept (``sort_topics=False``),
PCoA of the Jensen-Shannon distances for the topic map (deterministic, no extra package) and one
job, then writes a standalone HTML page with d3, the LDAvis script and its CSS copied inline from
the files pyLDAvis ships (``pyLDAvis/js/``), so the page loads no external asset and works
offline. The visualization's element id is derived from a hash of its data, so the same inputs
give identical bytes.

Topic numbers: LDAvis reserves topic 0 for "no topic selected" and indexes topics from 1, so
topic ``t + 1`` on the page is our topic ``t`` (0..K-1, the ids of ``topics/topics.csv``). The page
prints this correspondence, with the labels, above the visualization.

The only absolute URLs left in the page are inside the vendored scripts: SVG/XHTML namespace
names in d3, comments, and two links to the LDAvis and Termite papers that open only when clicked.
"""

from __future__ import annotations

import hashlib
import html
import json
import warnings
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from analysis.io import write_text

__all__ = ["ldavis_page", "write_ldavis"]

_PAGE = """<!DOCTYPE html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="generator" content="policyshift analysis.topics.ldavis; pyLDAvis {version}">
<title>{title}</title>
<style>
{css}
</style>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
table.topic-ids {{ border-collapse: collapse; font-size: 12px; margin-bottom: 1em; }}
table.topic-ids td, table.topic-ids th {{ border: 1px solid #ccc; padding: 2px 6px; }}
</style>
<script>
{d3}
</script>
<script>
{ldavis}
</script>
</head>
<body>
<h1>{title}</h1>
<p>Topic <i>t</i>&nbsp;+&nbsp;1 in the visualization is our topic <i>t</i>
(LDAvis numbers topics from 1); topics keep our order (not re-sorted by size).
Circle area: share of tokens; distances: Jensen-Shannon, principal coordinates.</p>
<table class="topic-ids">
<thead><tr><th>LDAvis topic</th><th>our topic</th><th>label</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<div id="{visid}" style="background-color:white;"></div>
<script>
var {visid}_data = {data};
new LDAvis("#{visid}", {visid}_data);
</script>
</body>
</html>
"""


def _pyldavis() -> ModuleType:
    """Import pyLDAvis without its import-time ``simplefilter("always", DeprecationWarning)``,
    which would otherwise change the warning filters of the whole process."""
    with warnings.catch_warnings():
        import pyLDAvis
        import pyLDAvis.urls
    return pyLDAvis


def _asset(path: str, closing: str) -> str:
    """Text of a vendored asset; it must not contain its own closing tag."""
    text = Path(path).read_text(encoding="utf-8")
    if closing in text.lower():
        raise RuntimeError(f"{path} contains {closing!r} and cannot be inlined")
    return text


def _script_json(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element: UTF-8 text kept, ``<``, ``>``, ``&`` escaped."""
    from pyLDAvis.utils import NumPyEncoder

    text = json.dumps(obj, cls=NumPyEncoder, ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _rows(matrix: np.ndarray, name: str) -> np.ndarray:
    """Float64 copy of ``matrix`` with each row renormalized to sum to 1."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or not np.all(np.isfinite(m)) or np.any(m < 0):
        raise ValueError(f"{name} must be a finite, non-negative 2-D array")
    sums = m.sum(axis=1, keepdims=True)
    if np.any(np.abs(sums - 1.0) > 1e-3):
        raise ValueError(f"{name} rows must sum to 1")
    return m / sums


def write_ldavis(path: str | Path, **model: Any) -> Path:
    """Write :func:`ldavis_page` of ``model`` to ``path`` (atomically, UTF-8)."""
    return write_text(path, ldavis_page(**model))


def ldavis_page(
    *,
    topic_term: np.ndarray,
    doc_topic: np.ndarray,
    doc_lengths: np.ndarray,
    vocab: Sequence[str],
    term_frequency: np.ndarray,
    labels: Sequence[str] | None = None,
    lambda_step: float = 0.01,
    R: int = 30,
    title: str = "Topics of the government work reports (LDAvis)",
) -> str:
    """A self-contained, offline pyLDAvis page (HTML) for one fitted topic model.

    Parameters
    ----------
    topic_term : array (K, V)
        Topic-term probabilities, rows sum to 1, every entry > 0 (as LDA's smoothed estimates
        are; a zero would make LDAvis's log-lift infinite).
    doc_topic : array (D, K)
        Document-topic proportions, rows sum to 1 (renormalized in float64).
    doc_lengths : array (D,)
        Tokens per document.
    vocab : sequence of V str
        Terms, in the column order of ``topic_term``.
    term_frequency : array (V,)
        Corpus count of each term.
    labels : sequence of K str, optional
        Topic labels shown in the id table (default ``"topic t"``).
    lambda_step, R
        LDAvis relevance grid step and number of terms in the bar chart.
    title : str
        Page title.

    Returns
    -------
    str
        The page. Topic ``t + 1`` in the page is our topic ``t``.
    """
    topic_term = _rows(topic_term, "topic_term")
    doc_topic = _rows(doc_topic, "doc_topic")
    n_topics, n_terms = topic_term.shape
    if np.any(topic_term <= 0):
        raise ValueError("topic_term has zero probabilities; pass smoothed (posterior) estimates")
    if doc_topic.shape[1] != n_topics:
        raise ValueError(f"doc_topic has {doc_topic.shape[1]} topics, topic_term {n_topics}")
    doc_lengths = np.asarray(doc_lengths, dtype=np.float64)
    term_frequency = np.asarray(term_frequency, dtype=np.float64)
    if doc_lengths.shape != (len(doc_topic),):
        raise ValueError(
            f"doc_lengths must have shape ({len(doc_topic)},), got {doc_lengths.shape}"
        )
    if term_frequency.shape != (n_terms,):
        raise ValueError(f"term_frequency must have shape ({n_terms},), got {term_frequency.shape}")
    vocab = [str(v) for v in vocab]
    if len(vocab) != n_terms or len(set(vocab)) != n_terms:
        raise ValueError(f"vocab must hold {n_terms} distinct terms")
    labels = [f"topic {t}" for t in range(n_topics)] if labels is None else list(labels)
    if len(labels) != n_topics:
        raise ValueError(f"labels has {len(labels)} entries for {n_topics} topics")

    pyldavis = _pyldavis()
    prepared = pyldavis.prepare(
        topic_term,
        doc_topic,
        doc_lengths,
        np.asarray(vocab, dtype=object),
        term_frequency,
        R=R,
        lambda_step=lambda_step,
        mds="pcoa",
        n_jobs=1,
        sort_topics=False,
        start_index=1,
    )
    data = prepared.to_dict()
    if [int(t) for t in data["topic.order"]] != list(range(1, n_topics + 1)):
        raise RuntimeError(f"pyLDAvis re-ordered the topics: {data['topic.order']}")
    data_json = _script_json(data)
    visid = "ldavis_" + hashlib.sha256(data_json.encode("utf-8")).hexdigest()[:16]

    rows = "\n".join(
        f"<tr><td>{t + 1}</td><td>{t}</td><td>{html.escape(str(label))}</td></tr>"
        for t, label in enumerate(labels)
    )
    page = _PAGE.format(
        version=metadata.version("pyLDAvis"),
        title=html.escape(title),
        css=_asset(pyldavis.urls.LDAVIS_CSS_LOCAL, "</style"),
        d3=_asset(pyldavis.urls.D3_LOCAL, "</script"),
        ldavis=_asset(pyldavis.urls.LDAVIS_LOCAL, "</script"),
        rows=rows,
        visid=visid,
        data=data_json,
    )
    return page
