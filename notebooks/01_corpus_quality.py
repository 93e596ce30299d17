# %% [markdown]
# # 1. The corpus and its quality
#
# What the bundled corpus holds, what ingest did to each input file, and which reports carry a
# quality flag (truncated, abridged, censored, numbers deleted ...). Every table here is read from
# the results of `make all` (`results/corpus/`); nothing is computed in the notebook.

# %%
from analysis import views
from analysis.figures import make_figure

cfg, results = views.open_results()
print(f"results: {results.name}/, config {cfg.hash()}")

# %% [markdown]
# ## Reports by level
# National State Council reports (1954-2025, with gaps), the 31 provincial reports of 2025 and 2026,
# and city (prefecture) and county-level reports from 2020-2023.

# %%
views.corpus_summary(results)

# %%
make_figure("corpus_overview", results=results, cfg=cfg)

# %% [markdown]
# ## Every input file is accounted for
# One row per file found under `data/raw/`: accepted, split (the compilation of 24 city reports),
# skipped (the provenance notes) or rejected, with the reason.

# %%
report = views.ingest_report(results)
report["status"].value_counts()

# %% [markdown]
# ## Reports with a quality flag
# Flags combine detection (a report that ends mid-sentence, number gaps such as 突破亿元, masked
# characters) with the curated `known_issues` of `data/metadata.csv`. Restored masked characters
# are listed one by one in `results/corpus/restorations.csv`.

# %%
views.quality_flags(results)
