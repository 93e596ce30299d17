# %% [markdown]
# # 3. Topics
#
# LDA topic models of the report paragraphs (`policyshift topics`): how K was chosen, how stable
# the topics are across random starts, and how their prevalence differs by region, level and
# year, with intervals that carry the topic-model uncertainty. Tables are in `topics/` of the
# results folder; the interactive view is `topics/ldavis.html` (works offline).

# %%
from analysis import views

v = views.open_results()
v.describe()

# %% [markdown]
# ## Choosing K
# Coherence (c_v, c_npmi, u_mass), held-out perplexity and topic diversity for every K, averaged
# over seeds; the rule that picks K is in `params.toml` `[topics]` and in `analysis/topics.py`.

# %%
v.model_selection()

# %%
v.figure("topic_selection")

# %% [markdown]
# ## The topics of the chosen model
# Top terms by probability and by FREX, and stability: the mean similarity of each topic to its
# Hungarian-matched twin in models fitted from other seeds. Unstable topics are flagged.

# %%
v.topic_table()

# %%
v.figure("topic_terms")

# %% [markdown]
# ## Prevalence by region and level, and over the national years

# %%
v.figure("topic_prevalence_groups")

# %%
v.figure("topic_prevalence_national")

# %% [markdown]
# ## The words of each region and level, as word clouds

# %%
v.figure("wordclouds_region")

# %%
v.figure("wordclouds_level")
