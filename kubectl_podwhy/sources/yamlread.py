"""YAML as kubectl writes it, read in one streaming pass over libyaml's events.

PyYAML parses (libyaml, through ``CSafeLoader`` when PyYAML was built with it), resolves
plain scalars (``true``, ``3``, ``null``: YAML 1.1's implicit types, as ``yaml.safe_load``
does) and constructs non-text scalars with its own safe constructors. What is ours is only
the assembly of events into dicts and lists, which PyYAML otherwise does through a full node
graph: on a 20,000-pod ``kubectl get pods -A -o yaml`` (100 MB) that graph took 83 s and
4.2 GB; assembling from events takes a third of the time and holds only the objects.

Stricter than ``yaml.safe_load`` where kubectl's YAML never goes, because those are how
hostile input does harm or misleads:

- anchors, aliases and merge keys (``&a``, ``*a``, ``<<``) are refused: kubectl
  (sigs.k8s.io/yaml) never writes them, and aliases expand exponentially (the "billion
  laughs": 540 bytes that take minutes);
- a duplicate key is refused (the last one would silently win);
- a key that is a mapping or a list, and tags other than YAML's standard ones, are refused;
- nesting is bounded (MAX_DEPTH).

Timestamps a YAML writer left unquoted stay text, as kubectl reads them (as JSON).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

try:  # libyaml: the parser in C
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

#: the deepest nesting accepted (Kubernetes objects are a few dozen levels deep)
MAX_DEPTH = 1000

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_COLLECTION_TAGS = frozenset({None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
#: the scalar types JSON has, constructed by PyYAML's safe constructors
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float"))
_CACHE_LIMIT = 1 << 17
_ANCHORS = "anchors and aliases are not accepted (kubectl never writes them)"


class YAMLInputError(ValueError):
    """Input this reader refuses; ``line`` and ``column`` count from 1 (0 when unknown)."""

    def __init__(self, problem: str, line: int = 0, column: int = 0) -> None:
        super().__init__(problem)
        self.problem, self.line, self.column = problem, line, column


class _NoKey:
    """The state of a mapping whose next scalar is a key."""


_NO_KEY: Any = _NoKey()


def _refuse(problem: str, event: Any) -> YAMLInputError:
    mark = getattr(event, "start_mark", None)
    return YAMLInputError(problem, mark.line + 1 if mark else 0, mark.column + 1 if mark else 0)


def load_all(data: bytes | str) -> Iterator[Any]:
    """Each document of a YAML stream as plain dicts, lists and scalars (None for an empty
    document).

    Raises YAMLInputError for what is refused (see the module docstring) and yaml.YAMLError
    for YAML that does not parse (its ``problem_mark`` gives the place)."""
    loader = _Loader(data)
    plain: dict[str, Any] = {}  # a plain scalar's value, by its text: keys repeat a lot
    scalar_event, mapping_start, sequence_start = ScalarEvent, MappingStartEvent, \
        SequenceStartEvent
    no_key = _NO_KEY
    try:
        get = loader.get_event
        stack: list[tuple[Any, bool, Any]] = []
        root: Any = None
        cur: Any = None  # the dict or list being filled (None: the document's root)
        in_map = False  # cur is a dict
        key: Any = no_key
        while True:
            ev = get()
            tp = type(ev)
            if tp is scalar_event:
                if ev.anchor is not None or ev.tag is not None:
                    value = _scalar(loader, ev)
                elif ev.implicit[0]:  # plain: resolved by its text alone
                    value = plain.get(ev.value, no_key)
                    if value is no_key:
                        value = _scalar(loader, ev)
                        if len(plain) > _CACHE_LIMIT:
                            plain.clear()
                        plain[ev.value] = value
                else:  # quoted or a block scalar: text
                    value = ev.value
                if in_map:
                    if key is no_key:
                        if value in cur:
                            raise _refuse(f"duplicate key {value!r}", ev)
                        key = value
                    else:
                        cur[key] = value
                        key = no_key
                elif cur is not None:
                    cur.append(value)
                else:
                    root = value
            elif tp is mapping_start or tp is sequence_start:
                if ev.anchor is not None:
                    raise _refuse(_ANCHORS, ev)
                if ev.tag not in _COLLECTION_TAGS:
                    raise _refuse(f"the tag {ev.tag} is not accepted", ev)
                new: Any = {} if tp is mapping_start else []
                if in_map:
                    if key is no_key:
                        raise _refuse("a key that is a mapping or a list is not accepted", ev)
                    cur[key] = new
                elif cur is not None:
                    cur.append(new)
                else:
                    root = new
                stack.append((cur, in_map, no_key))
                if len(stack) > MAX_DEPTH:
                    raise _refuse(f"nested more than {MAX_DEPTH} levels deep (Kubernetes "
                                  "objects are a few dozen)", ev)
                cur, in_map, key = new, tp is mapping_start, no_key
            elif tp is MappingEndEvent or tp is SequenceEndEvent:
                cur, in_map, key = stack.pop()
            elif tp is AliasEvent:
                raise _refuse(_ANCHORS, ev)
            elif tp is DocumentStartEvent:
                root = None
            elif tp is DocumentEndEvent:
                yield root
                root = None
            elif tp is StreamEndEvent:
                return
    finally:
        loader.dispose()


def _scalar(loader: Any, ev: Any) -> Any:
    """A scalar's value, the way yaml.safe_load makes it, but timestamps stay text."""
    if ev.anchor is not None:
        raise _refuse(_ANCHORS, ev)
    tag = ev.tag
    if tag is None or tag == "!":
        tag = loader.resolve(ScalarNode, ev.value, ev.implicit)
    if tag in (_STR, _TIMESTAMP):
        return ev.value
    if tag == _MERGE:
        raise _refuse("merge keys (<<) are not accepted (kubectl never writes them)", ev)
    if tag not in _SCALAR_TAGS:
        raise _refuse(f"the tag {tag} is not accepted", ev)
    return loader.yaml_constructors[tag](
        loader, ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, ev.style))
