"""Keyword in context: every occurrence of a term in the clean text, with its docvars.

One row per occurrence of the plain string in a paragraph of the clean text (what a text search
finds), so the rows can go into a validation appendix. With a concept dictionary, ``in_term``
names the longer dictionary term an occurrence sits in (so it is not counted for the term under
the longest-match rule of :mod:`analysis.measures.concepts`); it is empty when the occurrence counts.
"""

from __future__ import annotations

import pandas as pd

from analysis.conditions import select
from analysis.measures.concepts import ConceptMatcher

KWIC_COLUMNS = ["doc_id", "place", "year", "section", "left", "match", "right"]


def kwic(
    paragraphs: pd.DataFrame,
    term: str,
    *,
    window: int = 20,
    where: str | None = None,
    matcher: ConceptMatcher | None = None,
) -> pd.DataFrame:
    """Contexts of ``term`` in ``paragraphs`` (``corpus/paragraphs.parquet``).

    Parameters
    ----------
    term : str
        Searched as a plain string (no regex), overlapping occurrences included.
    window : int
        Characters of context on each side, within the paragraph.
    where : str, optional
        docvar condition (:mod:`analysis.conditions`) over the paragraph docvars (e.g. ``"level == 'national'"``).
    matcher : ConceptMatcher, optional
        Adds ``in_term`` (see the module docstring).

    Returns
    -------
    DataFrame
        ``doc_id, place, year, section, left, match, right, paragraph, offset`` (+ ``in_term``),
        in corpus order; ``offset`` is the character position of the match in its paragraph.
    """
    if not term:
        raise ValueError("empty search term")
    if window < 0:
        raise ValueError(f"window must be >= 0, not {window}")
    paras = paragraphs if where is None else paragraphs[select(paragraphs, where)]
    hits = paras[paras["text"].str.contains(term, regex=False)]
    rows = []
    for row in hits.itertuples(index=False):
        text = row.text
        taken = [(m.start(), m.end(), m.group()) for m in matcher.finditer(text)] if matcher else []
        start = text.find(term)
        while start >= 0:
            end = start + len(term)
            rec = {
                "doc_id": row.doc_id,
                "place": row.place,
                "year": row.year,
                "section": row.section,
                "left": text[max(0, start - window) : start],
                "match": term,
                "right": text[end : end + window],
                "paragraph": row.paragraph,
                "offset": start,
            }
            if matcher is not None:
                cover = [t for s, e, t in taken if s < end and e > start]
                rec["in_term"] = "" if cover == [term] else "+".join(cover)
            rows.append(rec)
            start = text.find(term, start + 1)
    columns = [*KWIC_COLUMNS, "paragraph", "offset"] + (["in_term"] if matcher else [])
    out = pd.DataFrame(rows, columns=columns)
    out["year"] = out["year"].astype("Int64")
    return out
