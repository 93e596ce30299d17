"""Year series: which reports form a series over the years, and their concept rates by year.

A series is the reports of one ``(collection, level, doc_type)`` (kind ``level``, id
``<collection>/<level>/<doc_type>``) and, separately, of one ``(collection, place, doc_type)``
when that place has 3+ years (kind ``place``, id ``<collection>/place=<place>/<doc_type>``).
Only series with at least :data:`MIN_YEARS` distinct years are kept; a level series with fewer
is listed as a skip, and so (one line per level series) are the places with fewer. A place
whose reports change type from one year to the next among :data:`CONTINUED_DOC_TYPES` (坪山区:
management-committee reports 2014-2016, then work reports) also has one series over both, doc_type
``committee_report+work_report``, when no year has both types (else it is skipped with the years).
A place series holding exactly the reports of a level series (the national series, whose one
place is 全国) is not repeated. Reports without a year, level, place or doc_type belong to no series of
that kind. Because a series names its collection, adding a folder never changes the rows of
another collection's series (their bootstrap seeds are keyed by series id and year).
"""

from __future__ import annotations

import pandas as pd

from analysis.bootstrap import Interval
from analysis.measures.applicability import present
from analysis.measures.concepts import concept_rates
from analysis.skips import Skip

MIN_YEARS = 3
#: Document types that continue one another in a place's series: the annual report of a new
#: district's management committee (no people's congress yet), then its government's work report.
CONTINUED_DOC_TYPES = ("committee_report", "work_report")
SERIES_COLUMNS = [
    "series",
    "kind",
    "collection",
    "level",
    "place",
    "doc_type",
    "year",
    "n_reports",
    "concept",
    "label_en",
    "label_zh",
    "count",
    "chars",
    "rate",
    "ci_low",
    "ci_high",
]
_MEMBER_COLUMNS = ["doc_id", "series", "kind", "collection", "level", "place", "doc_type"]


def series_members(reports: pd.DataFrame) -> tuple[pd.DataFrame, list[Skip]]:
    """The reports of every series with 3+ years, and the series skipped.

    Parameters
    ----------
    reports : DataFrame
        One row per report with ``doc_id, collection, level, place, doc_type, year``.

    Returns
    -------
    members : DataFrame
        One row per report x series: ``doc_id, series, kind, collection, level, place
        (empty for a level series), doc_type``, sorted by kind (level first) and series id.
    skips : list of Skip
    """
    cols = ["collection", "level", "place", "doc_type", "year"]
    docs = reports.drop_duplicates("doc_id")[["doc_id", *cols]].copy()
    frames, skips = [], []
    for kind, key in (("level", "level"), ("place", "place")):
        have = docs[present(docs["collection"]) & present(docs[key]) & present(docs["doc_type"])]
        have = have[present(have["year"])]
        if kind == "place":
            have = pd.concat([have, _continued(have, skips)], ignore_index=True)
        short: dict[tuple[str, str, str], list[str]] = {}
        for (collection, value, doc_type), grp in have.groupby(
            ["collection", key, "doc_type"], sort=True
        ):
            middle = value if kind == "level" else f"place={value}"
            sid = f"{collection}/{middle}/{doc_type}"
            years = sorted({int(y) for y in grp["year"]})
            if len(years) < MIN_YEARS:
                if kind == "level":
                    listed = ", ".join(map(str, years))
                    why = f"{len(years)} distinct year(s) ({listed}); a series needs {MIN_YEARS}"
                    skips.append(Skip("measures", f"year_series/{sid}", why))
                else:
                    levels = "/".join(sorted(set(grp["level"].astype(str))))
                    short.setdefault((collection, levels, doc_type), []).append(str(value))
                continue
            frames.append(
                pd.DataFrame(
                    {
                        "doc_id": grp["doc_id"].to_numpy(),
                        "series": sid,
                        "kind": kind,
                        "collection": collection,
                        "level": grp["level"].to_numpy() if kind == "place" else value,
                        "place": value if kind == "place" else "",
                        "doc_type": doc_type,
                    }
                )
            )
        for (collection, levels, doc_type), places in short.items():
            sid = f"{collection}/place=*/{doc_type} ({levels})"
            shown = ", ".join(places[:3]) + (", ..." if len(places) > 3 else "")
            why = (
                f"{len(places)} place(s) of level {levels} with fewer than {MIN_YEARS} "
                f"distinct years ({shown})"
            )
            skips.append(Skip("measures", f"year_series/{sid}", why))
    if not frames:
        return pd.DataFrame(columns=_MEMBER_COLUMNS), skips
    members = pd.concat(frames, ignore_index=True)
    sets = members.groupby("series", sort=False)["doc_id"].agg(frozenset)
    kinds = members.drop_duplicates("series").set_index("series")["kind"]
    level_sets = {sets[s]: s for s in sets.index if kinds[s] == "level"}
    for sid in [s for s in sets.index if kinds[s] == "place" and sets[s] in level_sets]:
        why = f"the same reports as series {level_sets[sets[sid]]}"
        skips.append(Skip("measures", f"year_series/{sid}", why))
        members = members[members["series"] != sid]
    return members.reset_index(drop=True), skips


def _continued(docs: pd.DataFrame, skips: list[Skip]) -> pd.DataFrame:
    """The reports of each ``(collection, place)`` with every type of :data:`CONTINUED_DOC_TYPES`,
    as rows of the joined doc_type (``committee_report+work_report``); a place with both types
    in one year gets a skip instead."""
    pooled = "+".join(CONTINUED_DOC_TYPES)
    part = docs[docs["doc_type"].isin(CONTINUED_DOC_TYPES)]
    frames = []
    for (collection, place), grp in part.groupby(["collection", "place"], sort=True):
        if grp["doc_type"].nunique() < len(CONTINUED_DOC_TYPES):
            continue
        types_per_year = grp.groupby(grp["year"].astype(int))["doc_type"].nunique()
        both = sorted(types_per_year.index[types_per_year > 1])
        if both:
            sid = f"{collection}/place={place}/{pooled}"
            listed = ", ".join(map(str, both))
            why = f"both a {' and a '.join(CONTINUED_DOC_TYPES)} in year(s) {listed}"
            skips.append(Skip("measures", f"year_series/{sid}", why))
            continue
        frames.append(grp.assign(doc_type=pooled))
    return pd.concat(frames, ignore_index=True) if frames else docs.iloc[:0]


def year_series(
    table: pd.DataFrame,
    members: pd.DataFrame,
    concepts: pd.DataFrame,
    *,
    n_boot: int,
    seed: int,
    level: float,
    interval: Interval = "percentile",
) -> pd.DataFrame:
    """Concept rates per series x year, pooled over the series' reports of that year.

    Parameters
    ----------
    table : DataFrame
        One row per paragraph (``ParagraphConcepts.table``): ``doc_id, year, chars, tokens``
        and one count column per concept.
    members : DataFrame
        :func:`series_members`.
    concepts : DataFrame
        ``concept, label_en, label_zh`` in dictionary order.

    Returns
    -------
    DataFrame
        :data:`SERIES_COLUMNS` and ``ci_method``; ``rate`` per 10,000 characters (whole
        report), with a bootstrap interval seeded by series id and year: the reports of a
        series-year are resampled when it has more than one (report-cluster bootstrap), else the
        paragraphs of its one report.
    """
    if members.empty:
        return pd.DataFrame(columns=[*SERIES_COLUMNS, "ci_method"])
    ids = concepts["concept"].tolist()
    paras = table[["doc_id", "year", "chars", "tokens", *ids]].merge(
        members[["doc_id", "series"]], on="doc_id"
    )
    paras["year"] = paras["year"].astype("int64")
    rates = concept_rates(
        paras, ids, ["series", "year"], n_boot=n_boot, seed=seed, level=level, interval=interval
    )
    info = members.drop(columns="doc_id").drop_duplicates("series")
    out = rates.merge(info, on="series").merge(
        concepts[["concept", "label_en", "label_zh"]], on="concept"
    )
    order = {s: i for i, s in enumerate(info["series"])}
    out["_s"] = out["series"].map(order)
    out["_c"] = out["concept"].map({c: i for i, c in enumerate(ids)})
    out = out.sort_values(["_s", "year", "_c"], kind="stable")
    return out[[*SERIES_COLUMNS, "ci_method"]].reset_index(drop=True)
