# %% [markdown]
# # 4. Policy shifts, with the passages behind each number
#
# Three shifts in the national reports, each as a rate per 10,000 characters with its 95%
# bootstrap interval, the counts of the terms that carry it, and KWIC passages a reader can check.
# Counts follow the longest-match rule of `data/concepts.toml`: 新能源 inside 新能源汽车 counts
# for 新能源汽车 only (`in_term` says so in the passages). The national trend figure draws the
# bundled national work reports (`bundled/national/work_report`); every other level or place with
# reports of three or more years has its own series, drawn in the last figure.

# %%
from analysis import views

v = views.open_results()
v.describe()

# %%
v.figure("concept_trends_national")

# %% [markdown]
# ## 1. New energy
# From 新能源 as a research field (1978, 1980) to 光伏, 风电, 储能 and 新能源汽车 as industries.

# %%
v.concept_trend("new_energy", last=15)

# %%
v.term_counts(["新能源", "新能源汽车", "光伏", "风电", "储能", "氢能"], last=15)

# %%
v.evidence("新能源", where="level == 'national'")

# %% [markdown]
# ## 2. Rural revitalization
# When did 乡村振兴 replace 新农村建设? In the bundled national reports the term first appears
# in 2018 (after the 19th Party Congress of October 2017) and in every national report since;
# 新农村建设 and 美丽乡村 belong to the years before.

# %%
v.term_counts(["新农村建设", "社会主义新农村", "美丽乡村", "乡村振兴"], last=22)

# %%
v.evidence("乡村振兴", where="level == 'national'")

# %%
v.evidence("新农村建设", where="level == 'national'")

# %% [markdown]
# ## 3. Digital government and the digital economy
# From 信息化 (2000s) to 互联网+ (2015), 数字经济 and 人工智能.

# %%
v.term_counts(["信息化", "互联网+", "数字经济", "人工智能", "数字化转型"], last=20)

# %%
v.evidence("数字经济", where="level == 'national'")

# %% [markdown]
# ## Plans vs reported work in the provinces
# Plan minus review per concept in the provincial reports, paired by report (only reports with
# both sections), with the report-cluster bootstrap interval of the difference itself
# (`ci_method`); `zero_in_ci` marks the concepts whose shift the interval does not establish.

# %%
v.section_diff(group="province")

# %% [markdown]
# The pooled rates of each section (all reports of the group, reports resampled):

# %%
v.section_shift(group="province")

# %% [markdown]
# ## Every other year series
# The levels and places of this corpus with reports of three or more years (other than the
# bundled national series), and their concept trends.

# %%
v.year_series()

# %%
v.figure("year_series")
