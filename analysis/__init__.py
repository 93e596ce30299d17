"""policyshift: measures of policy emphasis in Chinese government work reports.

Data flows one way: raw files -> corpus (:mod:`analysis.corpus`) -> tokens -> measures
-> topics -> tables and figures. Each stage is a plain function API; the CLI only wraps it.
"""

__version__ = "0.1.0"
