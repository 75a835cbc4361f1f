"""Label selectors as kubectl takes them (-l), matched locally for -f input.

``app=web``, ``app==web``, ``tier!=db``, ``canary``, ``!canary``, ``env in (prod,staging)``,
``env notin (dev)``; requirements are ANDed with commas.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from kubectl_podwhy.errors import UsageError

Requirement = Callable[[Mapping[str, str]], bool]
_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"


def _split(selector: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts]


def _check(text: str, key: str, values: list[str]) -> None:
    """As apimachinery's labels.NewRequirement: a key's name part and every value at most 63
    characters (validation.IsQualifiedName, IsValidLabelValue)."""
    name = key.rsplit("/", 1)[-1]
    if len(name) > 63 or len(key) - len(name) > 254 or any(len(v) > 63 for v in values):
        raise UsageError(f"invalid label selector requirement {text!r}: a key's name and a "
                         "value are at most 63 characters")


def _requirement(text: str) -> Requirement:
    m = re.fullmatch(rf"({_KEY})\s+(in|notin)\s+\(([^)]*)\)", text)
    if m:
        key, op = m.group(1), m.group(3)
        listed = [v.strip() for v in m.group(4).split(",")]
        if not any(listed) or not all(re.fullmatch(_VALUE, v) for v in listed):
            raise UsageError(f"invalid label selector requirement {text!r}: 'in' and 'notin' "
                             "take a non-empty list of values")
        _check(text, key, listed)
        values = set(listed)
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    m = re.fullmatch(rf"({_KEY})\s*(==|=|!=)\s*({_VALUE})", text)
    if m:
        key, op, value = m.group(1), m.group(3), m.group(4)
        _check(text, key, [value])
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    m = re.fullmatch(rf"(!?)\s*({_KEY})", text)
    if m:
        neg, key = m.group(1) == "!", m.group(2)
        _check(text, key, [])
        return lambda labels: (key in labels) != neg
    raise UsageError(f"invalid label selector requirement {text!r}")


def parse_selector(selector: str) -> Callable[[Mapping[str, str]], bool]:
    """A matcher for ``selector``; UsageError, as kubectl refuses it, for an empty
    requirement (``a=b,,c=d``), an empty set (``env in ()``), or a key or value too long."""
    parts = _split(selector)
    if not all(parts):
        raise UsageError(f"invalid label selector {selector!r}: an empty requirement")
    reqs = [_requirement(p) for p in parts]
    return lambda labels: all(r(labels) for r in reqs)
