"""The measures stage: tokens and clean text -> counts, concept rates, TF-IDF, keyness, KWIC.

:mod:`~analysis.measures.dtm` (the one document-term matrix type and its filter),
:mod:`~analysis.measures.concepts` (dictionaries, longest-match counting, rates with intervals),
:mod:`~analysis.measures.tfidf`, :mod:`~analysis.measures.keyness`,
:mod:`~analysis.measures.kwic`, and :mod:`~analysis.measures.build` (the stage's tables).
"""

from analysis.measures.build import build_measures, count_paragraph_concepts
from analysis.measures.dtm import Dropped, Dtm, build_dtm, group_dtm, trim, trim_dtm
from analysis.measures.keyness import keyness, one_vs_rest
from analysis.measures.kwic import kwic
from analysis.measures.tfidf import tfidf_top_terms

__all__ = [
    "Dropped",
    "Dtm",
    "build_dtm",
    "build_measures",
    "count_paragraph_concepts",
    "group_dtm",
    "keyness",
    "kwic",
    "one_vs_rest",
    "tfidf_top_terms",
    "trim",
    "trim_dtm",
]
