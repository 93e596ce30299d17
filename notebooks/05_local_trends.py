# %% [markdown]
# # 5. Local trends: Shenzhen and Zhumadian against the national series
#
# Two city series of a quarter century each: 深圳市 (Guangdong) 2001-2026 and 驻马店市 (Henan)
# 2002-2026, one work report a year, beside the national work reports of the same years and the
# panel of the ten Shenzhen districts (2014-2025, with gaps). Three shifts: new energy, rural
# revitalization and digitalisation. Each number is a rate per 10,000 characters with its 95%
# bootstrap interval (paragraphs resampled), the counts of the terms behind it (longest match, as
# in `data/concepts.toml`) and KWIC passages a reader can find with a text search.
# On a results folder without these series, each section says what it lacks.

# %%
from analysis import views

v = views.open_results()
v.describe()

# %% [markdown]
# The year series of this corpus: every level, and every place with reports of three or more
# years. 坪山区 and 光明区 also have a series of doc_type `committee_report+work_report`: their
# management committee reported before the district had a people's congress.

# %%
v.year_series()

# %%
v.figure("concept_trends_local")

# %% [markdown]
# ## 1. New energy
# In Shenzhen 新能源汽车 first appears in 2011 and is counted 7, 8, 7 and 8 times in the reports
# of 2023-2026 (output, exports, the city's share of the country's production). In Zhumadian
# 新能源 and 风电 enter in 2011 and 储能 in 2023.

# %%
v.place_trend("new_energy", ["深圳市", "驻马店市"])

# %%
v.figure("city_vs_national")

# %%
v.term_counts(
    ["新能源", "新能源汽车", "光伏", "风电", "储能", "氢能"],
    level=None,
    where="place == '深圳市' and year >= 2008",
)

# %%
v.evidence("新能源汽车", where="place == '深圳市' and year >= 2023")

# %%
v.term_counts(
    ["新能源", "新能源汽车", "光伏", "风电", "储能", "氢能"],
    level=None,
    where="place == '驻马店市'",
)

# %%
v.evidence("新能源", where="place == '驻马店市' and year >= 2020")

# %% [markdown]
# ## 2. Rural revitalization
# 乡村振兴 (the strategy of the 19th Party Congress, October 2017) occurs in no report of either
# city before 2018 (the first query below finds nothing), and in most after: every Zhumadian
# report of 2018-2026, the Shenzhen reports of 2018-2025. 新农村建设 belongs to Zhumadian's
# years 2006-2016. Rural development is a large concept in agricultural Zhumadian and a small
# one in Shenzhen, which has no countryside of its own and meets it as 对口帮扶 (partner aid to
# poorer regions) throughout.

# %%
v.place_trend("rural", ["深圳市", "驻马店市"])

# %%
v.term_counts(
    ["新农村建设", "社会主义新农村", "美丽乡村", "乡村振兴"],
    level=None,
    where="place in ['深圳市', '驻马店市']",
)

# %%
v.evidence("乡村振兴", where="place in ['深圳市', '驻马店市'] and year <= 2017")

# %%
v.evidence("乡村振兴", where="place in ['深圳市', '驻马店市'] and year <= 2019")

# %% [markdown]
# ## 3. Digitalisation
# From 信息化 and 电子政务 in the 2000s to 互联网+ (2015), 数字政府 (Shenzhen 2019) and
# 人工智能, which Shenzhen names 12 times in 2025 and 25 times in 2026.

# %%
v.place_trend("digital", ["深圳市", "驻马店市"])

# %%
v.term_counts(
    ["信息化", "电子政务", "互联网+", "数字经济", "人工智能", "数字政府"],
    level=None,
    where="place in ['深圳市', '驻马店市']",
)

# %%
v.evidence("人工智能", where="place == '深圳市' and year >= 2024", per_report=3)

# %% [markdown]
# ## The Shenzhen districts
# The three concepts by district and year (gaps are years without a report), and what sets each
# district apart from the other nine (keyness of its reports, all years). Place names lead almost
# every list, the district's own against the others' (坪山 is not in the tokenizer's dictionary:
# its river 坪山河 becomes 山河); the themes follow them: the port of 盐田, the finance of 福田,
# the science city of 光明, the biomedicine and new-energy cars of 坪山, tourism in 大鹏.
# 龙华区 has reports from 2020 only, so its list also carries the 2020s.

# %%
v.figure("district_panel_shenzhen")

# %%
v.keyness_overview("shenzhen_districts_*", n=12)

# %%
v.keyness_top("shenzhen_districts_pingshan_vs_other_districts", n=12)

# %% [markdown]
# ## Each city's 2020s against its 2000s
# Keyness of the 2020-2026 reports against those of 2001-2009 (Shenzhen) and 2002-2009
# (Zhumadian). Shenzhen's 2020s bring 高质量发展, 粤港澳大湾区, 前海, 人工智能 and 新能源汽车;
# its 2000s 特区, 高新技术, 体制改革, 循环经济 and the WTO years. Zhumadian's 2020s bring
# 产业园, 高质量发展, 乡村振兴 and 营商环境; its 2000s 城镇, 农村 and 工业.

# %%
v.keyness_top("shenzhen_2020s_vs_2000s", n=20)

# %%
v.keyness_top("zhumadian_2020s_vs_2000s", n=20)

# %%
v.evidence("WTO", where="place == '深圳市' and year <= 2009")

# %%
v.figure("keyness_bars")
