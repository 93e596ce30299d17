# %% [markdown]
# # 4. Policy shifts, with the passages behind each number
#
# Three shifts in the national reports, each as a rate per 10,000 characters with its 95%
# bootstrap interval, the counts of the terms that carry it, and KWIC passages a reader can check.
# Counts follow the longest-match rule of `data/concepts.toml`: 新能源 inside 新能源汽车 counts
# for 新能源汽车 only (`in_term` says so in the passages).

# %%
from analysis import views
from analysis.figures import make_figure

cfg, results = views.open_results()

# %%
make_figure("concept_trends_national", results=results, cfg=cfg)

# %% [markdown]
# ## 1. New energy
# From 新能源 as a research field (1978, 1980) to 光伏, 风电, 储能 and 新能源汽车 as industries.

# %%
views.concept_trend(results, "new_energy").tail(15)

# %%
views.term_counts(results, ["新能源", "新能源汽车", "光伏", "风电", "储能", "氢能"]).tail(15)

# %%
views.evidence(results, cfg, "新能源", where="level == 'national'")

# %% [markdown]
# ## 2. Rural revitalization
# When did 乡村振兴 replace 新农村建设? The term first appears in the 2018 report (after the 19th
# Party Congress of October 2017) and in every national report since; 新农村建设 and 美丽乡村
# belong to the years before.

# %%
views.term_counts(results, ["新农村建设", "社会主义新农村", "美丽乡村", "乡村振兴"]).tail(22)

# %%
views.evidence(results, cfg, "乡村振兴", where="level == 'national'")

# %%
views.evidence(results, cfg, "新农村建设", where="level == 'national'")

# %% [markdown]
# ## 3. Digital government and the digital economy
# From 信息化 (2000s) to 互联网+ (2015), 数字经济 and 人工智能.

# %%
views.term_counts(results, ["信息化", "互联网+", "数字经济", "人工智能", "数字化转型"]).tail(20)

# %%
views.evidence(results, cfg, "数字经济", where="level == 'national'")

# %% [markdown]
# ## Plans vs reported work in the provinces
# Review vs plan rates per concept in the 62 provincial reports.

# %%
views.section_shift(results, group="province").head(10)
