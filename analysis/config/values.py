"""The typed values the config sections are built from.

Strict scalar types (``Int`` accepts neither ``"200"`` nor ``true``), the patterns of ids and
docvar names, and the values that are more than a scalar: a keyness :class:`Comparison`, a
prevalence :class:`Effect` (``"subset: covariate + ..."``) and a :class:`TopicLabel`
(``"id=中文|English"``), with the parsers of their string forms. ``_Located`` and ``_Hint`` carry
what :mod:`analysis.config.messages` needs to word an error.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.dataclasses import dataclass

from analysis.conditions import ConditionError
from analysis.conditions import parse as parse_condition


class _Located(ValueError):
    """Raised by a validator about one part of its value: ``loc`` extends the error location."""

    def __init__(self, loc: tuple[str | int, ...], message: str, value: Any) -> None:
        super().__init__(message)
        self.loc = loc
        self.value = value


@dataclasses.dataclass(frozen=True)
class _Hint:
    """Annotation metadata: the ``allowed`` text of a setting (pydantic ignores it)."""

    text: str
    plural: str = ""  # in "a list of ..."


def _fspath(value: Any) -> Any:
    return os.fspath(value) if isinstance(value, PurePath) else value


_ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
_YEAR_PATTERN = r"^\d{4}$"

# Strict scalars: no "200" for an int, no true for an int, no 1 for a bool (an int is a float).
Int = Annotated[int, Strict()]
Float = Annotated[float, Strict()]
Bool = Annotated[bool, Strict()]
Str = Annotated[str, Strict()]
NonEmpty = Annotated[str, StringConstraints(strict=True, min_length=1)]
# A path relative to the config root; os.PathLike values are accepted and stored as str.
PathStr = Annotated[
    str,
    StringConstraints(strict=True, min_length=1),
    BeforeValidator(_fspath),
    _Hint("a path, relative to the config root", "paths, relative to the config root"),
]
FilePath = Annotated[
    str,
    StringConstraints(strict=True, min_length=1),
    BeforeValidator(_fspath),
    _Hint(
        "an existing file, relative to the config root",
        "existing files, relative to the config root",
    ),
]
Docvar = Annotated[str, StringConstraints(strict=True, pattern=_NAME_PATTERN)]
SafeId = Annotated[str, StringConstraints(strict=True, pattern=_ID_PATTERN)]
Char = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=1)]
Year = Annotated[str, StringConstraints(strict=True, pattern=_YEAR_PATTERN)]
Count = Annotated[int, Strict(), Field(ge=1)]
Share = Annotated[float, Strict(), Field(ge=0, le=1)]
K = Annotated[int, Strict(), Field(ge=2)]

# The pydantic config of every section and value: an unknown key is an error.
_SECTION = ConfigDict(extra="forbid")


def _unique(values: Sequence[Any], what: str = "") -> None:
    seen: dict[Any, int] = {}
    for i, value in enumerate(values):
        if value in seen:
            name = f"{what} {value!r}" if what else repr(value)
            raise _Located((i,), f"{name} is listed twice (also at [{seen[value]}])", value)
        seen[value] = i


ConditionText = Annotated[
    str,
    StringConstraints(strict=True, min_length=1),
    _Hint(
        "a docvar condition: names, literals, == != < <= > >=, in [...], and/or/not "
        "(README, Conditions)"
    ),
]


@dataclass(frozen=True, config=_SECTION, kw_only=True)
class Comparison:
    """One keyness comparison of ``[[measures.comparisons]]``.

    ``target`` and ``reference`` are docvar conditions (:mod:`analysis.conditions`, the syntax of
    a pandas query without its code) over the docvars of ``unit``, checked when the config is read;
    ``reference = "rest"`` means every other document. ``id`` names the output file
    ``tables/keyness/<id>.csv``; an empty ``label`` becomes the id.
    """

    id: SafeId
    label: Str = ""
    target: ConditionText
    reference: ConditionText
    unit: Literal["report", "paragraph"] = "report"

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.id)

    @field_validator("target", "reference")
    @classmethod
    def _in_the_grammar(cls, value: str, info: ValidationInfo) -> str:
        """A condition is parsed (never evaluated) when the config is read: one outside the
        grammar of :mod:`analysis.conditions` is an error naming its key."""
        if info.field_name == "reference" and value.strip() == "rest":
            return value
        try:
            parse_condition(value)
        except ConditionError as exc:
            raise ValueError(exc.what) from None
        return value


_SUBSETS = ("all", "national", "subnational")


@dataclass(frozen=True, config=_SECTION)
class Effect:
    """A prevalence regression of ``[topics] effects``, written ``"subset: covariate + ..."``.

    ``subset`` selects the units (``all``, ``national`` or ``subnational`` reports); the topic
    proportions are regressed on the ``covariates`` (docvars; numeric ones enter linearly).
    """

    subset: Literal["all", "national", "subnational"]
    covariates: Annotated[tuple[Docvar, ...], Field(min_length=1)]

    @field_validator("covariates")
    @classmethod
    def _unique_covariates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _unique(value, "covariate")
        return value

    @property
    def spec(self) -> str:
        """The canonical ``"subset: a + b"`` form (what :meth:`Config.to_dict` records)."""
        return f"{self.subset}: {' + '.join(self.covariates)}"

    def __str__(self) -> str:
        return self.spec


def _effect_from_spec(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    subset, colon, rhs = value.partition(":")
    covariates = [c.strip() for c in rhs.split("+")]
    if not colon or not rhs.strip():
        raise ValueError("not of the form 'subset: covariate + covariate'")
    if subset.strip() not in _SUBSETS:
        raise ValueError(f"subset {subset.strip()!r} is not all, national or subnational")
    for c in covariates:
        if not re.fullmatch(_NAME_PATTERN, c):
            raise ValueError(f"covariate {c!r} is not a docvar name")
    if len(set(covariates)) < len(covariates):
        raise ValueError("a covariate is listed twice")
    return {"subset": subset.strip(), "covariates": covariates}


@dataclass(frozen=True, config=_SECTION)
class TopicLabel:
    """A human label of one topic of ``[topics] labels``, written ``"id=中文|English"``."""

    topic: Int = Field(ge=0)
    zh: Str = ""
    en: Str = ""

    @property
    def spec(self) -> str:
        """The canonical ``"id=中文|English"`` form (what :meth:`Config.to_dict` records)."""
        return f"{self.topic}={self.zh}|{self.en}"

    def __str__(self) -> str:
        return self.spec


_LABEL = re.compile(r"\s*(\d+)\s*=\s*([^|]*?)\s*(?:\|\s*(.*?)\s*)?")


def _label_from_spec(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    m = _LABEL.fullmatch(value)
    if not m:
        raise ValueError("not of the form 'id=中文|English' (either part may be empty)")
    return {"topic": int(m.group(1)), "zh": m.group(2), "en": m.group(3) or ""}
