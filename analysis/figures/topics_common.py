"""Shared by the topic figures: topic labels from ``topics/topics.csv``."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.figures.base import read_table

TOPICS = "topics/topics.csv"
DEFAULT_LABEL = re.compile(r"Topic \d+")


def read_topics(results: Path) -> pd.DataFrame:
    """``topics/topics.csv`` indexed by topic number, with a ``label`` column for axes.

    ``label`` is ``"T3 Rural revitalisation (乡村振兴)"``, or ``"T3 就业/建设/发展"`` when the
    English label is only the default ``Topic 3``; an unstable topic (``stable`` false) gets a
    trailing ``*``.
    """
    topics = read_table(results, TOPICS, columns=("topic", "label_en")).set_index("topic")
    zh = (
        topics["label_zh"].fillna("") if "label_zh" in topics else pd.Series("", index=topics.index)
    )
    stable = (
        topics["stable"].astype(bool) if "stable" in topics else pd.Series(True, index=topics.index)
    )
    labels = []
    for t, en, z, s in zip(topics.index, topics["label_en"].fillna(""), zh, stable, strict=True):
        name = z if (not en or DEFAULT_LABEL.fullmatch(en)) and z else f"{en} ({z})" if z else en
        labels.append(f"T{t} {name}" + ("" if s else " *"))
    topics["label"] = labels
    return topics.sort_index()
