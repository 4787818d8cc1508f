"""Plain YAML scalars resolved the way Ruby's Psych (YAML 1.1) does, since Kamal loads its config with Psych.

So `yes`/`no`/`on`/`off` are booleans, `0777` is octal, `1,000` is 1000, `12:30` is 750 (base 60), `:sym` is
a Ruby symbol and `2024-01-01` is a date. The regular expressions follow Psych::ScalarScanner (Psych 5).
"""

from __future__ import annotations

import datetime as _dt
import math
import re


class RubySymbol(str):
    """A Ruby symbol such as `:verbose`; it behaves as its name, which is what Kamal compares."""

    __slots__ = ()

    def __repr__(self) -> str:
        return ":" + str(self)


class ErbValue(str):
    """A scalar written (partly) by ERB, e.g. `<%= ENV["HOST"] %>`: its text as written; its value is unknown until
    Kamal renders it at deploy time, so nothing may type-check or judge it."""

    __slots__ = ()


_STRINGY = re.compile(r"[^0-9.:-]?(?:[^\W\d]|[_\s!@#$%^&*(){}<>|/\\~;=])+")
_TIME = re.compile(
    r"-?[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|\s+)[0-9]{1,2}:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
    r"(?:\s*(?:Z|[-+][0-9]{1,2}:?(?:[0-9][0-9])?))?\Z"
)
_DATE = re.compile(r"([0-9]{4})-(1[012]|0[0-9]|[0-9])-([12][0-9]|3[01]|0[0-9]|[0-9])\Z")
_BASE60_INT = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}\Z")
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}\.[0-9_]*\Z")
_FLOAT = re.compile(r"[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?\Z")
_INTEGER = re.compile(
    r"(?:[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[0-9a-fA-F_,]+)\Z"
)
_NULL = re.compile(r"null\Z", re.I)
_TRUE = re.compile(r"(yes|true|on)\Z", re.I)
_FALSE = re.compile(r"(no|false|off)\Z", re.I)


def _base60(text: str, convert) -> int | float:
    total = 0
    parts = text.split(":")
    for position, part in enumerate(parts):
        total += convert(part.replace("_", "")) * 60 ** abs(position - 2)
    return total


def _integer(text: str) -> int | str:
    digits = text.replace(",", "").replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    body = digits.lstrip("+-")
    try:
        if body.startswith("0b"):
            return sign * int(body[2:], 2)
        if body.startswith("0x"):
            return sign * int(body[2:], 16)
        if len(body) > 1 and body.startswith("0"):
            return sign * int(body[1:], 8)
        return sign * int(body)
    except ValueError:
        return text


def _time(text: str) -> _dt.datetime | str:
    date_part, _, time_part = re.split(r"([ tT])", text, maxsplit=1)
    year, month, day = (int(x) for x in re.match(r"(-?\d{4})-(\d{1,2})-(\d{1,2})", date_part).groups())
    match = re.match(r"(\d+:\d+:\d+)(?:\.(\d*))?\s*(Z|[-+]\d+(:\d\d)?)?", time_part.strip())
    if not match:
        return text
    hour, minute, second = (int(x) for x in match.group(1).split(":"))
    micro = int((match.group(2) or "0")[:6].ljust(6, "0"))
    zone = _dt.timezone.utc
    if match.group(3) and match.group(3) != "Z":
        sign = -1 if match.group(3).startswith("-") else 1
        hours, _, minutes = match.group(3).lstrip("+-").partition(":")
        zone = _dt.timezone(sign * _dt.timedelta(hours=int(hours), minutes=int(minutes or 0)))
    try:
        return _dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    except ValueError:
        return text


def resolve_plain(text: str):
    """The Ruby value of a plain (unquoted) scalar, as Psych::ScalarScanner#tokenize gives it."""
    if not text:
        return None
    if _STRINGY.match(text) or "\n" in text:
        if len(text) > 5 or text[0] not in "ytonfYTONF~":
            return text
        if text == "~" or _NULL.match(text):
            return None
        if _TRUE.match(text):
            return True
        if _FALSE.match(text):
            return False
        return text
    if _TIME.match(text):
        return _time(text)
    date = _DATE.match(text)
    if date:
        try:
            return _dt.date(*(int(x) for x in date.groups()))
        except ValueError:
            return text
    lowered = text.lower()
    if lowered in (".inf", "+.inf"):
        return math.inf
    if lowered == "-.inf":
        return -math.inf
    if lowered == ".nan":
        return math.nan
    if text.startswith(":") and len(text) > 1:
        quoted = re.match(r":([\"'])(.*)\1", text)
        return RubySymbol(quoted.group(2) if quoted else text[1:])
    if _BASE60_INT.match(text):
        return _base60(text, int)
    if _BASE60_FLOAT.match(text):
        return _base60(text, float)
    if _FLOAT.match(text):
        if re.match(r"[-+]?\.\Z", text):
            return text
        return float(text.replace(",", "").replace("_", ""))
    if _INTEGER.match(text):
        return _integer(text)
    return text


_TAGGED = {
    "tag:yaml.org,2002:str": str,
    "!str": str,
    "tag:yaml.org,2002:int": lambda text: _integer(text) if _INTEGER.match(text) else text,
    "tag:yaml.org,2002:float": lambda text: float(resolve_plain(text)),
    "tag:yaml.org,2002:bool": resolve_plain,
    "tag:yaml.org,2002:null": lambda text: None,
}


# text -> value of the plain scalars seen so far: keys and values repeat within a file and across the files of one
# run, and the values are immutable.
_PLAIN: dict[str, object] = {}


def resolve(text: str, plain: bool, tag: str | None):
    """A scalar's Ruby value: quoted and block scalars are strings; core tags on plain scalars are honoured."""
    if not plain:
        return text
    if tag:
        convert = _TAGGED.get(tag, str)
        try:
            return convert(text)
        except (TypeError, ValueError):
            return text
    try:
        return _PLAIN[text]
    except KeyError:
        value = _PLAIN[text] = resolve_plain(text)
        return value
