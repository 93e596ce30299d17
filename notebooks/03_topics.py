# %% [markdown]
# # 3. Topics
#
# LDA topic models of the report paragraphs (`policyshift topics`): how K was chosen, how stable
# the topics are across random starts, and how their prevalence differs by region, level and
# year, with intervals that carry the topic-model uncertainty. Tables are in `results/topics/`;
# the interactive view is `results/topics/ldavis.html` (works offline).

# %%
from analysis import views
from analysis.figures import make_figure

cfg, results = views.open_results()

# %% [markdown]
# ## Choosing K
# Coherence (c_v, c_npmi, u_mass), held-out perplexity and topic diversity for every K, averaged
# over seeds; the rule that picks K is in `params.toml` `[topics]` and in `analysis/topics.py`.

# %%
views.model_selection(results)

# %%
make_figure("topic_selection", results=results, cfg=cfg)

# %% [markdown]
# ## The topics of the chosen model
# Top terms by probability and by FREX, and stability: the mean similarity of each topic to its
# Hungarian-matched twin in models fitted from other seeds. Unstable topics are flagged.

# %%
views.topic_table(results)

# %%
make_figure("topic_terms", results=results, cfg=cfg)

# %% [markdown]
# ## Prevalence by region and level, and over the national years

# %%
make_figure("topic_prevalence_groups", results=results, cfg=cfg)

# %%
make_figure("topic_prevalence_national", results=results, cfg=cfg)

# %% [markdown]
# ## The words of each region, as word clouds

# %%
make_figure("wordclouds_region", results=results, cfg=cfg)
