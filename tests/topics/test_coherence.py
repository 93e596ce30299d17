"""The vectorized coherence equals gensim's CoherenceModel on the same tokens."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.corpora import Dictionary
from gensim.models import CoherenceModel

from analysis.topics import build_corpus, fit_lda, top_terms
from analysis.topics.coherence import MEASURES, coherence, coherence_many, count_cooccurrence


def _gensim(texts: list[list[str]], topics: list[list[str]], measure: str) -> np.ndarray:
    dictionary = Dictionary(texts)
    cm = CoherenceModel(
        topics=topics,
        texts=texts,
        corpus=[dictionary.doc2bow(t) for t in texts],
        dictionary=dictionary,
        coherence=measure,
        topn=len(topics[0]),
        processes=1,
    )
    return np.array(cm.get_coherence_per_topic())


@pytest.fixture(scope="module")
def paragraph_case(tokens):
    """900 paragraphs of the bundled corpus and the topics of a quick K=8 fit on them."""
    corpus = build_corpus(tokens.iloc[:900], unit="paragraph", no_below=3)
    fit = fit_lda(corpus.dtm.counts, k=8, random_state=1, passes=1)
    return corpus, top_terms(fit.topic_term, 10)


@pytest.mark.parametrize("measure", MEASURES)
def test_matches_gensim_on_paragraphs(paragraph_case, measure):
    corpus, top = paragraph_case
    ours = coherence_many(corpus.docs, [top], measures=[measure])[0][measure]
    texts = [corpus.vocab[d].tolist() for d in corpus.docs]
    ref = _gensim(texts, [corpus.vocab[t].tolist() for t in top], measure)
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("measure", MEASURES)
def test_matches_gensim_on_long_documents(tokens, measure):
    """Whole reports (thousands of tokens, words repeated inside one window) plus an empty and a
    short document: gensim's window update that drops a still-present word is reproduced."""
    corpus = build_corpus(
        tokens[tokens["doc_id"].isin(["jiaxing_2022", "haining_2023"])], unit="report", no_below=1
    )
    texts = [corpus.vocab[d].tolist() for d in corpus.docs] + [
        [],
        corpus.vocab[corpus.docs[0][:7]].tolist(),
    ]
    docs = [*corpus.docs, np.zeros(0, np.int64), corpus.docs[0][:7]]
    freq = corpus.dtm.term_totals()
    rng = np.random.default_rng(3)
    top = np.array([rng.choice(np.argsort(-freq)[:150], 10, replace=False) for _ in range(6)])
    ours = coherence_many(docs, [top], measures=[measure])[0][measure]
    ref = _gensim(texts, [corpus.vocab[t].tolist() for t in top], measure)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


def test_window_counts_follow_gensim_update():
    """Tokens a b a b, window 3: windows [a b a] and [b a b]. When the first a leaves, gensim
    marks a absent although the second a is still inside, so a counts in 1 window, b in 2."""
    counts = count_cooccurrence([np.array([0, 1, 0, 1])], np.array([0, 1]), window=3)
    assert counts.num_docs == 2
    assert counts.counts.tolist() == [[1, 1], [1, 2]]


def test_short_and_empty_documents_count_as_one_window():
    docs = [np.array([0, 1]), np.array([], dtype=np.int64), np.array([1, 2, 2, 0, 1])]
    counts = count_cooccurrence(docs, np.array([0, 1, 2]), window=10)
    assert counts.num_docs == 3
    assert np.diag(counts.counts).tolist() == [2, 2, 1]
    assert counts.counts[0, 2] == 1


def test_document_counts_and_measure_window_check():
    docs = [np.array([0, 1, 1]), np.array([1, 2]), np.array([2])]
    counts = count_cooccurrence(docs, np.array([0, 1, 2]), window=None)
    assert counts.num_docs == 3
    assert counts.counts.tolist() == [[1, 1, 0], [1, 2, 1], [0, 1, 2]]
    # u_mass of topic (1, 0): log((D(1, 0) / D + eps) / (D(1) / D)), one pair: w_i = 0, w_j = 1
    value = coherence(np.array([[1, 0]]), counts, measure="u_mass")[0]
    assert value == pytest.approx(np.log((1 / 3 + 1e-12) / (2 / 3)))
    with pytest.raises(ValueError, match="window"):
        coherence(np.array([[1, 0]]), counts, measure="c_v")
