"""Config problems in words: :class:`ConfigError` and the one line of each problem.

Every line reads ``<file>: [section] key = <value>: <what is wrong>; allowed: <...>``.
:func:`_errors` turns a pydantic ``ValidationError`` into such lines, describing what a setting
allows from its annotated type; :func:`_line`, :func:`_suggest` ("did you mean") and
:func:`_display` are shared with loading and the docvar check. Importing this module makes the
config classes raise :class:`ConfigError` instead of ``ValidationError`` (see
:func:`_raise_config_errors`).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import StringConstraints, ValidationError

from analysis.config.sections import _CLASSES, Config, _plain
from analysis.config.values import (
    _ID_PATTERN,
    _NAME_PATTERN,
    _YEAR_PATTERN,
    Comparison,
    Effect,
    TopicLabel,
    _Hint,
    _Located,
)

# Problems listed in one ConfigError; the rest are counted.
MAX_PROBLEMS = 3


class ConfigError(ValueError):
    """A config that cannot be used: one line per problem (at most :data:`MAX_PROBLEMS`).

    Each line reads ``<file>: [section] key = <value>: <what is wrong>; allowed: <...>``.
    ``problems`` holds every line.
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = (problems,) if isinstance(problems, str) else tuple(problems)
        shown = list(self.problems[:MAX_PROBLEMS])
        if len(self.problems) > MAX_PROBLEMS:
            more = len(self.problems) - MAX_PROBLEMS
            shown.append(f"... and {more} more problem{'s' if more > 1 else ''}")
        super().__init__("\n".join(shown))


# pattern -> (what is wrong, allowed, allowed in a list)
_PATTERNS = {
    _ID_PATTERN: (
        "not a safe id (ids become file names)",
        "an id of letters, digits, _ . - (not starting with . or -)",
        "ids of letters, digits, _ . - (not starting with . or -)",
    ),
    _NAME_PATTERN: (
        "not a docvar name",
        "a name of letters, digits and _",
        "names of letters, digits and _",
    ),
    _YEAR_PATTERN: ("not a year", "a four-digit year", "four-digit years"),
}


def _display(path: Path | str | None) -> str:
    """A path as the user reads it: relative to the current directory when inside it."""
    if path is None:
        return "config"
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


def _toml(value: Any, limit: int = 60) -> str:
    """A value as it would be written in TOML, shortened to ``limit`` characters."""
    if isinstance(value, (Effect, TopicLabel)):
        value = value.spec
    if isinstance(value, Comparison):
        value = _plain(value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_toml(v, limit) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {_toml(v, limit)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    for types, name in (
        (int, "an integer"),
        (float, "a number"),
        (str, "a string"),
        ((list, tuple), "a list"),
        (dict, "a table"),
    ):
        if isinstance(value, types):
            return name
    return type(value).__name__


_BASE = {
    int: ("an integer", "integers"),
    float: ("a number", "numbers"),
    bool: ("true or false", "booleans"),
    str: ("a string", "strings"),
    Path: ("a path", "paths"),
}
_SPECS = {
    Effect: '"subset: covariate + ..." (subset all, national or subnational)',
    TopicLabel: '"id=中文|English" (either part may be empty)',
    Comparison: "a table of id, label, target, reference, unit",
}


def _unwrap(tp: Any, meta: Sequence[Any] = ()) -> tuple[Any, list[Any]]:
    """(bare type, metadata) of a possibly ``Annotated`` type."""
    meta = list(meta)
    while get_origin(tp) is Annotated:
        tp, *extra = get_args(tp)
        meta = [*extra, *meta]
    flat: list[Any] = []
    for m in meta:
        flat.extend(getattr(m, "metadata", None) or [m])
    return tp, flat


def _describe(tp: Any, meta: Sequence[Any] = (), *, plural: bool = False) -> str:
    """What a setting of type ``tp`` allows, in words ("a non-empty list of integers >= 2")."""
    tp, meta = _unwrap(tp, meta)
    for m in meta:
        if isinstance(m, _Hint):
            return (m.plural or m.text) if plural else m.text
    bounds = []
    for m in meta:
        for attr, op in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            if getattr(m, attr, None) is not None and not isinstance(m, StringConstraints):
                bounds.append(f"{op} {getattr(m, attr)}")
    pattern = next((m.pattern for m in meta if getattr(m, "pattern", None)), None)
    lengths = {
        a: getattr(m, a)
        for m in meta
        for a in ("min_length", "max_length")
        if getattr(m, a, None) is not None
    }
    origin, args = get_origin(tp), get_args(tp)
    if origin is Literal:
        return "one of " + ", ".join(_toml(a) for a in args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            inner = _describe(args[0], plural=True)
            text = f"a list of {inner}"
        else:
            text = f"a list of {len(args)} {_describe(args[0], plural=True)}"
        return text.replace("a list", "a non-empty list") if lengths.get("min_length") else text
    if origin is dict:
        return f"a table of {_describe(args[0], plural=True)} = {_describe(args[1], plural=True)}"
    if tp in _SPECS:
        return _SPECS[tp]
    if pattern in _PATTERNS:
        text = _PATTERNS[pattern][2 if plural else 1]
    elif tp is str and lengths.get("max_length") == 1:
        text = "single characters" if plural else "a single character"
    else:
        text = _BASE.get(tp, (getattr(tp, "__name__", str(tp)),) * 2)[plural]
        if tp is str and lengths.get("min_length"):
            text = "non-empty " + text if plural else "a non-empty string"
    return " ".join([text, " and ".join(bounds)]) if bounds else text


def _type_at(cls: type, loc: Sequence[str | int]) -> tuple[Any, list[Any]] | None:
    """The annotated type of the setting at ``loc`` below ``cls`` (None if not a field)."""
    fields = getattr(cls, "__pydantic_fields__", {})
    if not loc or loc[0] not in fields:
        return None
    info = fields[loc[0]]
    tp, meta = _unwrap(info.annotation, info.metadata)
    for part in loc[1:]:
        if isinstance(part, int) and get_origin(tp) is tuple:
            args = get_args(tp)
            item = (
                args[0]
                if len(args) == 2 and args[1] is Ellipsis
                else args[min(part, len(args) - 1)]
            )
            tp, meta = _unwrap(item)
        elif isinstance(part, str) and hasattr(tp, "__pydantic_fields__"):
            found = _type_at(tp, [part])
            if found is None:
                return None
            tp, meta = found
        else:
            break
    return tp, meta


def _key(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _suggest(name: str, known: Iterable[str], form: str = "{!r}") -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {form.format(close[0])}?)" if close else ""


def _line(file: str, section: str | None, key: str, value: Any, what: str, allowed: str) -> str:
    where = f"[{section}] {key}" if section and key else (f"[{section}]" if section else key)
    shown = "" if value is dataclasses.MISSING else f" = {_toml(value)}"
    return f"{file}: {where}{shown}: {what}" + (f"; allowed: {allowed}" if allowed else "")


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_MISSING_KINDS = ("missing", "missing_keyword_argument", "missing_argument")
_BOUNDS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


def _problem(err: dict[str, Any], cls: type, file_of: Any) -> str:
    """One line for one pydantic error ``err`` raised while building ``cls``."""
    loc = list(err["loc"])
    value: Any = err.get("input", dataclasses.MISSING)
    ctx = err.get("ctx") or {}
    kind = err["type"]
    error = ctx.get("error")
    if isinstance(error, _Located):
        loc, value = [*loc, *error.loc], error.value
    owner, section = cls, None
    if cls is Config and loc and loc[0] in _CLASSES:
        section, owner, loc = str(loc[0]), _CLASSES[str(loc[0])], loc[1:]
    if kind in _MISSING_KINDS and loc and isinstance(loc[-1], int):
        # an item missing from a fixed-length list: the list is too short
        loc, kind = loc[:-1], "too_short"
        found = _type_at(owner, loc)
        ctx = {"min_length": len(get_args(found[0])) if found else 0}
    elif kind in _MISSING_KINDS or not isinstance(
        value, (str, int, float, bool, list, tuple, dict)
    ):
        value = dataclasses.MISSING
    found = _type_at(owner, loc) if loc else (owner, [])
    allowed = _describe(*found) if found and loc else ""
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        parent = _type_at(owner, loc[:-1]) if len(loc) > 1 else (owner, [])
        known = list(getattr(parent[0] if parent else owner, "__pydantic_fields__", {}))
        known = [n for n in known if n not in ("root", "source")]
        what = "unknown key" + _suggest(str(loc[-1]), known)
        allowed = "" if "did you mean" in what else ", ".join(known)
    elif kind in _MISSING_KINDS:
        what = "missing"
    elif kind.endswith("_type") or kind == "dataclass_exact_type":
        what = f"expected {_describe_type(found)}, got {_kind(value)}"
    elif kind == "literal_error":
        what = "not an allowed value"
    elif kind in _BOUNDS:
        what = f"must be {_BOUNDS[kind]} {_number(next(iter(ctx.values()), ''))}"
    elif kind in ("too_short", "string_too_short"):
        n = ctx.get("min_length", 1)
        what = "must not be empty" if n == 1 else f"needs {n} items"
    elif kind in ("too_long", "string_too_long"):
        n = ctx.get("max_length")
        what = f"must have at most {n} items"
        if kind.startswith("string"):
            what = "must be a single character" if n == 1 else f"longer than {n} characters"
    elif kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        what = _PATTERNS[pattern][0] if pattern in _PATTERNS else f"does not match {pattern}"
    elif kind in ("value_error", "assertion_error") and error is not None:
        what = str(error)
    else:
        what = err["msg"]
    if "[key]" in err["loc"]:
        what = "key " + what
    if section and not loc:
        # the section itself is wrong (``topics = 5``): name it as a top-level key
        return _line(file_of((section,)), None, section, value, what, "a table")
    head = (section, str(loc[0])) if section and loc else tuple(str(p) for p in loc[:1])
    return _line(file_of(head), section, _key(loc), value, what, allowed)


def _describe_type(found: tuple[Any, list[Any]] | None) -> str:
    """The type part of :func:`_describe` (no bounds): "an integer", "a list", "a table"."""
    if found is None:
        return "another type"
    tp = found[0]
    origin = get_origin(tp)
    if origin is tuple:
        return "a list"
    if origin is dict or tp in (Comparison, *_CLASSES.values()):
        return "a table"
    if origin is Literal:
        return "a string"
    if tp in _SPECS:
        return "a string " + _SPECS[tp]
    return _BASE.get(tp, ("another type",))[0]


def _errors(exc: ValidationError, cls: type, file_of: Any = lambda head: "config") -> ConfigError:
    """The :class:`ConfigError` of a pydantic error raised while building ``cls``."""
    section = _SECTION_OF.get(cls)
    names = [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else []
    errors = []
    for err in exc.errors():
        loc = err["loc"]
        if loc and isinstance(loc[0], int) and loc[0] < len(names):  # a positional argument
            err = {**err, "loc": (names[loc[0]], *loc[1:])}
        errors.append(err)
    # "must not be empty" after its items failed: only the items' errors are news
    errors = [
        err
        for err in errors
        if not (
            err["type"] == "too_short"
            and any(o["loc"][: len(err["loc"])] == err["loc"] != o["loc"] for o in errors)
        )
    ]
    if section:  # a section built in code: locate its errors as in a file
        errors = [{**err, "loc": (section, *err["loc"])} for err in errors]
        cls = Config
    return ConfigError([_problem(err, cls, file_of) for err in errors])


_SECTION_OF = {cls: name for name, cls in _CLASSES.items()}


def _raise_config_errors(cls: type) -> None:
    """Make ``cls(...)`` (and so :func:`dataclasses.replace`) raise :class:`ConfigError`."""
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except ValidationError as exc:
            raise _errors(exc, cls) from exc

    cls.__init__ = __init__  # type: ignore[method-assign]


# Applied once, on import (analysis.config imports this module before anything is used).
for _cls in (Comparison, Effect, TopicLabel, *_CLASSES.values(), Config):
    _raise_config_errors(_cls)
