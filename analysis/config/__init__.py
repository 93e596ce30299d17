"""Configuration: ``load(path) -> Config``; the code is in :mod:`analysis.config.sections`."""

from analysis.config.sections import *  # noqa: F403 - the public face re-exports the module
from analysis.config.sections import MAX_PROBLEMS, __all__  # noqa: F401 - used by the tests
