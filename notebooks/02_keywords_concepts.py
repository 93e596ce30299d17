# %% [markdown]
# # 2. Keywords and concepts
#
# Which words set a group of reports apart (keyness, TF-IDF), and how strongly each report stresses
# the policy concepts of `data/concepts.toml` (rates per 10,000 characters with 95% bootstrap
# intervals). Tables come from `policyshift measures` (`tables/` of the results folder).

# %%
from analysis import views

v = views.open_results()
v.describe()

# %% [markdown]
# ## The comparisons of this corpus
# The configured comparisons that apply to the corpus, and those derived from its docvars.

# %%
v.keyness_comparisons()

# %% [markdown]
# ## Did Zhejiang's cities stress something other cities did not?
# On the bundled corpus: keyness of the seven Zhejiang city and county reports against the 21
# other local reports (G2, Benjamini-Hochberg q and the log2 ratio of relative frequencies).
# Place names top the list, as expected; below them come the province's own programmes.

# %%
v.keyness_top("zhejiang_local_vs_other_local", n=15)

# %%
v.figure("keyness_bars")

# %% [markdown]
# ## What the provinces said differently in 2026 than in 2025
# On the bundled corpus, the 2026 reports open the 15th Five-Year Plan (十五五), which shows in
# the target side.

# %%
v.keyness_top("provinces_2026_vs_2025", n=10)

# %% [markdown]
# ## Distinctive terms per place (TF-IDF)
# The first place of the corpus (嘉兴市 on the bundled corpus).

# %%
v.tfidf_terms("place")

# %%
v.figure("tfidf_places")

# %% [markdown]
# ## Concept emphasis by place
# Rate per 10,000 characters of each concept in each local report and in each province.

# %%
v.figure("concept_heatmap_local")

# %%
v.figure("concept_heatmap_provinces")

# %% [markdown]
# ## Do reports plan more than they report doing?
# Pooled rates in the review of past work and in the plan sections, for all reports. A concept
# far above zero in `plan_minus_review` is promised more than it is reported.

# %%
v.section_shift(group="all")

# %%
v.figure("review_plan_shift")

# %%
v.figure("province_change_2025_2026")
