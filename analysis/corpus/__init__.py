"""The corpus stage: raw report files -> clean documents and labelled paragraphs with docvars.

Modules, in the order a file goes through them: :mod:`~analysis.corpus.decode` (bytes -> text),
:mod:`~analysis.corpus.clean` (normalisation and removal rules), :mod:`~analysis.corpus.split`
(compilations -> reports, titles), :mod:`~analysis.corpus.restore` (masked characters),
:mod:`~analysis.corpus.metadata` and :mod:`~analysis.corpus.infer` (docvars from tables or the
text), :mod:`~analysis.corpus.sections` (paragraphs and their sections),
:mod:`~analysis.corpus.ingest` (the stage) and :mod:`~analysis.corpus.report` (its report).
"""

from analysis.corpus.ingest import Corpus, IngestFailed, discover, ingest, load_corpus
from analysis.corpus.metadata import DOCVARS, MetadataError

__all__ = [
    "DOCVARS",
    "Corpus",
    "IngestFailed",
    "MetadataError",
    "discover",
    "ingest",
    "load_corpus",
]
