"""TF-IDF: the most distinctive terms of each city and county (small multiples, one per place).

With ``[figures] robust_only`` (the default) a panel draws only the terms whose ``robust`` column
is true (a place of one report: all; of two: used by both; else used by 2+ reports and no
report holding more than ``[measures] keyness_max_top_share`` of the place's count,
:func:`analysis.measures.tfidf.group_spread`), and the title says so; a place left with no term
says so in its panel.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import NO_INTERVAL, FigureSkipped, FigureSpec, method_line, read_table
from analysis.figures.draw import group_color, panel_grid, term_bars

TFIDF = "tables/tfidf_top_terms.csv"
DOCUMENTS = "corpus/documents.parquet"
NCOLS = 6


def make(results: Path, cfg: Config) -> Figure:
    """One panel per place of the configured levels: its top TF-IDF terms by score."""
    robust_only = cfg.figures.robust_only
    columns = ("scope", "group", "rank", "term", "score", "count")
    tfidf = read_table(results, TFIDF, columns=(*columns, "robust") if robust_only else columns)
    docs = read_table(results, DOCUMENTS, columns=("place", "level", "province", "collection"))
    if "collection" not in tfidf:  # a table of one collection
        tfidf = tfidf.assign(collection=docs["collection"].iloc[0] if len(docs) else "")
    places = docs[docs["level"].isin(cfg.figures.tfidf_levels)]
    places = places.drop_duplicates(["collection", "place"])
    places = places.assign(province=places["province"].fillna(""))
    places = places.sort_values(["collection", "province", "level", "place"], kind="stable")
    keys = set(zip(places["collection"], places["place"], strict=True))
    tfidf = tfidf[tfidf["scope"] == "place"]
    pairs = zip(tfidf["collection"], tfidf["group"].astype(str), strict=True)
    tfidf = tfidf[[k in keys for k in pairs]]
    if tfidf.empty:
        levels = ", ".join(cfg.figures.tfidf_levels)
        raise FigureSkipped(
            f"the corpus has no place of the levels {levels} with TF-IDF terms (scope place)",
            "[figures] tfidf_levels",
        )
    found = set(zip(tfidf["collection"], tfidf["group"].astype(str), strict=True))
    places = places[[k in found for k in zip(places["collection"], places["place"], strict=True)]]
    several = places["collection"].nunique() > 1
    n = cfg.figures.tfidf_terms
    nrows = -(-len(places) // NCOLS)
    fig = Figure(figsize=(11, 0.8 + nrows * (0.45 + 0.15 * n)))
    axes = panel_grid(fig, len(places), ncols=NCOLS)
    for ax, p in zip(axes, places.itertuples(), strict=True):
        mine = (tfidf["collection"] == p.collection) & (tfidf["group"] == p.place)
        keep = mine & tfidf["robust"].astype(bool) if robust_only else mine
        top = tfidf[keep].nsmallest(n, "rank")
        term_bars(ax, top["term"].tolist(), top["score"].to_numpy(), color=group_color(p.level))
        if top.empty:
            ax.annotate(
                "no robust term", (0.5, 0.5), xycoords="axes fraction", ha="center", fontsize=6
            )
        title = f"{p.place} ({p.province})" if p.province else p.place
        ax.set_title(f"{title} [{p.collection}]" if several else title, fontsize=7.5)
        ax.tick_params(axis="x", labelsize=5.5)
        ax.tick_params(axis="y", labelsize=6.5)
    rule = ""
    if robust_only:
        share = cfg.measures.keyness_max_top_share
        rule = (
            "\nrobust terms only ([figures] robust_only): a place of one report all, of two "
            f"reports those both use,\nelse used by 2+ reports with none holding > {share:.0%} "
            "of the place's count"
        )
    fig.suptitle(
        f"Most distinctive terms of each city and county (TF-IDF over places, top {n}; "
        f"orange: prefecture, green: county-level){rule}",
        fontsize=9,
    )
    return fig


SPEC = FigureSpec(
    id="tfidf_places",
    question="What does each city or county write about that other places do not?",
    inputs=(TFIDF, DOCUMENTS),
    make=make,
    method=method_line(
        counting="token count (segmented tokens)",
        denominator="none: TF-IDF score, (1 + log tf) x smoothed idf, L2-normalised",
        interval=NO_INTERVAL,
    ),
    settings=("tfidf_levels", "tfidf_terms", "robust_only"),
)
