# %% [markdown]
# # 2. Keywords and concepts
#
# Which words set a group of reports apart (keyness, TF-IDF), and how strongly each report stresses
# the policy concepts of `data/concepts.toml` (rates per 10,000 characters with 95% bootstrap
# intervals). Tables come from `policyshift measures` (`results/tables/`).

# %%
from analysis import views
from analysis.figures import make_figure

cfg, results = views.open_results()

# %% [markdown]
# ## Did Zhejiang's cities stress something other cities did not?
# Keyness of the seven Zhejiang city and county reports against the 21 other local reports: G2,
# Benjamini-Hochberg q and the log2 ratio of relative frequencies. Place names top the list, as
# expected; below them come the province's own programmes.

# %%
views.keyness_top(results, "zhejiang_local_vs_other_local", n=15)

# %%
make_figure("keyness_bars", results=results, cfg=cfg)

# %% [markdown]
# ## What the provinces said differently in 2026 than in 2025
# The 2026 reports open the 15th Five-Year Plan (十五五), which shows in the target side.

# %%
views.keyness_top(results, "provinces_2026_vs_2025", n=10)

# %% [markdown]
# ## Distinctive terms per place (TF-IDF)

# %%
views.tfidf_terms(results, "place", "嘉兴市")

# %%
make_figure("tfidf_places", results=results, cfg=cfg)

# %% [markdown]
# ## Concept emphasis by place
# Rate per 10,000 characters of each concept in each local report and in each province.

# %%
make_figure("concept_heatmap_local", results=results, cfg=cfg)

# %%
make_figure("concept_heatmap_provinces", results=results, cfg=cfg)

# %% [markdown]
# ## Do reports plan more than they report doing?
# Pooled rates in the review of past work and in the plan sections, for all reports. A concept
# far above zero in `plan_minus_review` is promised more than it is reported.

# %%
views.section_shift(results, group="all")

# %%
make_figure("review_plan_shift", results=results, cfg=cfg)

# %%
make_figure("province_change_2025_2026", results=results, cfg=cfg)
