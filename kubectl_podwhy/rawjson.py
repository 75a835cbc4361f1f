"""Tolerant access to raw Kubernetes JSON, and controller references.

Every reader of raw objects goes through these: a field of the wrong JSON type reads as
absent (``""``, ``{}``, ``[]``, the default) instead of raising, and :mod:`snapshot` names
what it read as absent (``snapshot.wrong_types``), so damaged input is never mistaken for a
healthy object.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

#: a decoded JSON object, as the sources hand them over
JSON = dict[str, Any]


def as_str(value: object) -> str:
    """``value`` if it is a string, else ``""``."""
    return value if isinstance(value, str) else ""


def as_dict(value: object) -> JSON:
    """``value`` if it is a JSON object, else ``{}``."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """``value`` if it is a JSON array, else ``[]``."""
    return value if isinstance(value, list) else []


def as_int(value: object, default: int = 0) -> int:
    """An integer, or a string holding one (an annotation such as a Deployment revision);
    ``default`` for anything else, booleans included."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return default
    return default


def meta(obj: Mapping[str, Any]) -> JSON:
    """``obj.metadata``, or ``{}``."""
    return as_dict(obj.get("metadata"))


def meta_str(obj: Mapping[str, Any], key: str = "name") -> str:
    """``metadata.<key>`` when it is a string, else ``""``."""
    return as_str(meta(obj).get(key))


def _controller(obj: Mapping[str, Any]) -> JSON | None:
    """The ownerReference with ``controller: true`` (at most one is allowed: apimachinery
    ValidateOwnerReferences), or None."""
    for o in as_list(meta(obj).get("ownerReferences")):
        if isinstance(o, dict) and o.get("controller"):
            return o
    return None


def controller_uid(obj: Mapping[str, Any]) -> str:
    """The uid of the object's controller owner, or ``""``."""
    o = _controller(obj)
    return as_str(o.get("uid")) if o is not None else ""


def controller_ref(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (kind, name) of the object's controller owner, or None."""
    o = _controller(obj)
    return (as_str(o.get("kind")), as_str(o.get("name"))) if o is not None else None


def controller_unreadable(obj: Mapping[str, Any]) -> bool:
    """Whether ``metadata.ownerReferences`` is there but cannot be read: metadata or it not
    of its type, an entry not an object, a ``controller`` that is not a boolean, or the
    controller's uid not a non-empty string. Such an object may belong to any owner."""
    m = obj.get("metadata")
    if m is not None and not isinstance(m, dict):
        return True
    refs = meta(obj).get("ownerReferences")
    if refs is None:
        return False
    if not isinstance(refs, list):
        return True
    for o in refs:
        if not isinstance(o, dict):
            return True
        c = o.get("controller")
        if (c is not None and not isinstance(c, bool)) or (c is True and not as_str(o.get("uid"))):
            return True
    return False


def unplaced(objs: Iterable[JSON], namespace: str = "") -> list[tuple[str, str]]:
    """(namespace, "pod web-1") of the objects whose ownerReferences cannot be read: an
    owner-chain walk cannot place them (``Gathered.unattributed``). ``namespace``: the one
    they were listed in (else their own: unreadable metadata has none). An object without a
    kind (a pod of a LIST) is a pod."""
    return [(namespace or meta_str(o, "namespace") or "default",
             f"{as_str(o.get('kind')).lower() or 'pod'} {meta_str(o)}")
            for o in objs if controller_unreadable(o)]


def owned(owner_uids: Collection[str], objects: Iterable[JSON]) -> list[JSON]:
    """The objects a chain of controller ownerReferences ties to ``owner_uids``, in input
    order: owned directly, or through an owned object (Deployment -> ReplicaSet -> Pod,
    CronJob -> Job -> Pod). The one walk down the owner chain, for both sources."""
    objs = list(objects)
    uids = {u for u in owner_uids if u}
    taken: set[int] = set()
    while True:
        found = [o for o in objs if id(o) not in taken and controller_uid(o) in uids]
        if not found:
            return [o for o in objs if id(o) in taken]
        taken |= {id(o) for o in found}
        uids |= {u for o in found if (u := meta_str(o, "uid"))}
