"""Configuration: every tunable value lives in ``params.toml`` and is validated on load.

The defaults are the documented defaults; ``params.toml`` at the repo root repeats them with
comments. Relative paths in a config file are resolved against the directory of that file (or of
the file it ``extends``), so the repo root is the reference point and no machine path is ever
written into the repo.

:func:`load` checks every key before any work: unknown keys and sections (with a "did you mean"),
types (``n_boot = "200"`` is not an integer, ``true`` is not an integer either), allowed values,
ranges, the files the config names, the keyness comparisons, the prevalence effects and the topic
labels. Every problem is one line of :class:`ConfigError`::

    tests/bad.toml: [topics] k_grid = 20: expected a list, got an integer; allowed: a non-empty list of integers >= 2

The sections are frozen pydantic dataclasses: they are constructed with keyword arguments, compared
and copied with :func:`dataclasses.replace` (which validates again) like plain dataclasses.
:func:`check_docvars` checks the docvars the config names against the columns of a corpus.

This module is the public face; the code is in :mod:`~analysis.config.values` (strict scalar types,
:class:`Comparison`, :class:`Effect`, :class:`TopicLabel`), :mod:`~analysis.config.sections` (the
sections, :class:`Config` and the defaults), :mod:`~analysis.config.messages` (:class:`ConfigError`
and the wording of each problem), :mod:`~analysis.config.loading` (reading TOML files, :func:`load`)
and :mod:`~analysis.config.docvars` (:func:`check_docvars`, :func:`condition_names`).
"""

# messages is imported before anything is used: it makes the classes raise ConfigError.
# The names marked "not in __all__" were importable from analysis.config before the split and
# still are (MAX_PROBLEMS is used by the tests).
from analysis.config.docvars import check_docvars, condition_names
from analysis.config.loading import (  # noqa: F401 - Origins: not in __all__
    DEFAULT_CONFIG_NAME,
    PACKAGE_ROOT,
    Origins,
    init_config,
    load,
)
from analysis.config.messages import (  # noqa: F401 - MAX_PROBLEMS: not in __all__
    MAX_PROBLEMS,
    ConfigError,
)
from analysis.config.sections import (  # noqa: F401 - DEFAULT_COMPARISONS: not in __all__
    DEFAULT_COMPARISONS,
    DEFAULT_KEEP_SINGLE,
    SECTIONS,
    Config,
    EngineConfig,
    FiguresConfig,
    IngestConfig,
    MeasuresConfig,
    TokenConfig,
    TopicsConfig,
)
from analysis.config.values import (  # noqa: F401 - the strict types: not in __all__
    Bool,
    Char,
    Comparison,
    Count,
    Docvar,
    Effect,
    FilePath,
    Float,
    Int,
    K,
    NonEmpty,
    PathStr,
    SafeId,
    Share,
    Str,
    TopicLabel,
    Year,
)

__all__ = [
    "DEFAULT_CONFIG_NAME",
    "DEFAULT_KEEP_SINGLE",
    "PACKAGE_ROOT",
    "SECTIONS",
    "Comparison",
    "Config",
    "ConfigError",
    "Effect",
    "EngineConfig",
    "FiguresConfig",
    "IngestConfig",
    "MeasuresConfig",
    "TokenConfig",
    "TopicLabel",
    "TopicsConfig",
    "check_docvars",
    "condition_names",
    "init_config",
    "load",
]
