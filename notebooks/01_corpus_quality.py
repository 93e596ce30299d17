# %% [markdown]
# # 1. The corpus and its quality
#
# What the corpus holds, what ingest did to each input file, and which reports carry a quality
# flag (truncated, abridged, censored, numbers deleted ...). Every table here is read from a
# results folder (`results/` after `make all`, or the folder in `POLICYSHIFT_RESULTS`); nothing
# is computed in the notebook. A section that does not apply to the corpus says so in one line.

# %%
from analysis import views

v = views.open_results()
v.describe()

# %% [markdown]
# ## Reports by collection and level
# The bundled corpus (`collection` = `bundled`) holds the national State Council reports
# (1954-2025, with gaps), the 31 provincial reports of 2025 and 2026, and city (prefecture) and
# county-level reports from 2020-2023. A user's folder is its own collection.

# %%
v.corpus_summary()

# %%
v.figure("corpus_overview")

# %% [markdown]
# ## Every input file is accounted for
# One row per input file: accepted, split (a compilation of several reports), skipped (notes
# such as provenance files) or rejected, with the reason.

# %%
v.ingest_report()

# %% [markdown]
# ## Reports with a quality flag
# Flags combine detection (a report that ends mid-sentence, number gaps such as 突破亿元, masked
# characters) with the curated `known_issues` of `data/metadata.csv`. Restored masked characters
# are listed one by one in `corpus/restorations.csv`.

# %%
v.quality_flags()

# %% [markdown]
# ## What was skipped on this corpus, and why
# Analyses and figures that do not apply (a comparison that matches no report, a docvar with one
# value, a series with fewer than three years) are listed by every stage.

# %%
v.skipped()
