"""The figure registry: figure id -> :class:`~analysis.figures.base.FigureSpec`, in build order."""

from __future__ import annotations

from analysis.figures import (
    city_vs_national,
    concept_heatmap_local,
    concept_heatmap_provinces,
    concept_trends_local,
    concept_trends_national,
    corpus_overview,
    district_panel_shenzhen,
    keyness_bars,
    province_change_2025_2026,
    review_plan_shift,
    tfidf_places,
    topic_prevalence_groups,
    topic_prevalence_national,
    topic_selection,
    topic_terms,
    wordclouds_level,
    wordclouds_region,
    year_series,
)
from analysis.figures.base import FigureSpec

REGISTRY: dict[str, FigureSpec] = {
    spec.id: spec
    for spec in (
        corpus_overview.SPEC,
        concept_heatmap_local.SPEC,
        concept_heatmap_provinces.SPEC,
        concept_trends_national.SPEC,
        year_series.SPEC,
        concept_trends_local.SPEC,
        district_panel_shenzhen.SPEC,
        city_vs_national.SPEC,
        review_plan_shift.SPEC,
        province_change_2025_2026.SPEC,
        keyness_bars.SPEC,
        tfidf_places.SPEC,
        topic_selection.SPEC,
        topic_terms.SPEC,
        topic_prevalence_groups.SPEC,
        topic_prevalence_national.SPEC,
        wordclouds_region.SPEC,
        wordclouds_level.SPEC,
    )
}
