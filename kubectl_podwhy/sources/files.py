"""The file source: objects as ``kubectl get -o json|yaml`` prints them, from files or stdin.

Accepts one object, any ``*List`` (List, PodList, EventList, ...), or multi-document YAML;
directories are read recursively (*.json, *.yaml, *.yml). Pods, Events (core/v1 and
events.k8s.io/v1), Nodes and PersistentVolumeClaims are used; other kinds are ignored. Never
contacts a cluster.
"""
from __future__ import annotations

import codecs
import json
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from kubectl_podwhy.errors import InputError, NotFoundError, UsageError
from kubectl_podwhy.kinds import WORKLOAD_KINDS
from kubectl_podwhy.rawjson import (
    as_str,
    controller_uid,
    meta,
    meta_str,
    owned,
    unplaced,
)
from kubectl_podwhy.selector import parse_selector
from kubectl_podwhy.snapshot import (
    ContainerLog,
    Gathered,
    LogRequest,
    keep_selected,
    object_key,
)
from kubectl_podwhy.targets import Target
from kubectl_podwhy.timeutil import format_time, parse_time
from kubectl_podwhy.yamlout import dump_yaml

SUFFIXES = (".json", ".yaml", ".yml")
_LIST_ITEM_KIND = {"PodList": "Pod", "EventList": "Event", "NodeList": "Node",
                   "PersistentVolumeClaimList": "PersistentVolumeClaim",
                   **{f"{k}List": k for k in WORKLOAD_KINDS}}

#: the List annotation where --dump records when the objects were read (RFC 3339)
CAPTURED_AT = "kubectl-podwhy/captured-at"

#: the largest input file read (a 20,000-pod capture is about 125 MB)
MAX_INPUT_BYTES = 1 << 30


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # rare: only then find which key
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(f"duplicate key {k!r}")
            seen.add(k)
    return obj


def _split(paths: Iterable[str]) -> Iterator[str]:
    """kubectl's -f takes comma-separated lists too (a path with a comma that exists is kept)."""
    for raw in paths:
        if "," in raw and not Path(raw).exists():
            yield from (p for p in raw.split(",") if p)
        else:
            yield raw


def _expand(paths: Iterable[str]) -> Iterator[tuple[str, IO[bytes] | Path]]:
    for raw in _split(paths):
        if raw == "-":
            if sys.stdin is None or sys.stdin.closed:
                raise InputError("-f -: standard input is closed")
            yield "<stdin>", sys.stdin.buffer
            continue
        p = Path(raw)
        try:
            st = os.stat(p)
        except OSError as exc:  # ENOENT, ELOOP (a symlink loop), EACCES on a parent, ...
            raise InputError(f"{raw}: {exc.strerror or exc}") from None
        if stat.S_ISDIR(st.st_mode):
            yield from _directory(raw, p)
        else:
            yield raw, p  # a file, or a pipe: -f /dev/stdin, -f <(kubectl get ...)


def _directory(raw: str, p: Path) -> Iterator[tuple[str, Path]]:
    found: list[Path] = []
    for root, dirs, names in os.walk(p, onerror=_walk_error):
        dirs.sort()
        found += [Path(root) / n for n in names if n.endswith(SUFFIXES)]
    if not found:
        raise InputError(f"{raw}: no .json, .yaml or .yml files in this directory")
    for f in sorted(found):
        yield str(f), f


def _walk_error(exc: OSError) -> None:
    raise InputError(f"{exc.filename}: cannot read this directory: {exc.strerror or exc}")


def _read(name: str, src: IO[bytes] | Path) -> bytes:
    """The input's bytes: at most MAX_INPUT_BYTES, checked to be UTF-8 (kubectl writes
    nothing else). The first 16 MiB are checked before the rest is read: a binary file
    is refused at once, not after a gigabyte."""
    step = 1 << 24
    try:
        if isinstance(src, Path):
            with src.open("rb") as fh:
                data = _read_checked(name, fh, step)
        else:
            data = _read_checked(name, src, step)
    except (OSError, ValueError) as exc:  # ValueError: a closed stream
        raise InputError(f"{name}: cannot read: {getattr(exc, 'strerror', None) or exc}"
                         ) from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{name}: larger than {MAX_INPUT_BYTES >> 20} MiB")
    _utf8(name, data, step)
    return data


def _read_checked(name: str, fh: IO[bytes], step: int) -> bytes:
    """Up to MAX_INPUT_BYTES + 1 bytes of ``fh``, its first ``step`` checked as UTF-8 first.
    A regular file is read again from the start (no copy of a large file in memory)."""
    head = fh.read(step)
    _utf8(name, head, 0, final=False)
    if len(head) < step:
        return head
    if fh.seekable():
        fh.seek(0)
        return fh.read(MAX_INPUT_BYTES + 1)
    return head + fh.read(MAX_INPUT_BYTES + 1 - len(head))


def _utf8(name: str, data: bytes, step: int, *, final: bool = True) -> None:
    """InputError unless ``data`` is UTF-8 (with ``final`` False, a character cut at the end
    is allowed). Checked in slices of ``step`` bytes (0: at once): the text itself is never
    held whole."""
    check = codecs.getincrementaldecoder("utf-8")()
    step = step or max(len(data), 1)
    for at in range(0, len(data), step):
        try:
            check.decode(data[at:at + step], final=final and at + step >= len(data))
        except UnicodeDecodeError as exc:
            bad = at + exc.start
            line = data[:bad].count(b"\n") + 1
            raise InputError(f"{name}: not UTF-8 text (byte {bad}, line {line})") from None


_BLANK = re.compile(rb"[ \t\r\n]*")


def _documents(name: str, data: bytes) -> list[Any]:
    """The documents in one input; ``data`` is released as soon as it is parsed."""
    try:
        first = _BLANK.match(data).end()  # type: ignore[union-attr]
        if data[first:first + 1] in (b"{", b"["):
            text = data.decode("utf-8")
            del data  # the caller holds no other reference: not text and bytes at once
            try:
                return [json.loads(text, object_pairs_hook=_no_duplicates)]
            except json.JSONDecodeError as exc:
                raise InputError(f"{name}: malformed JSON at line {exc.lineno} column "
                                 f"{exc.colno}: {exc.msg}") from None
            except _DuplicateKey as exc:
                raise InputError(f"{name}: malformed JSON: {exc}") from None
        # PyYAML (and its C loader) is imported only for YAML input: a tenth of the start-up
        # of a run that reads JSON
        import yaml

        from kubectl_podwhy.sources import yamlread

        try:
            return [d for d in yamlread.load_all(data) if d is not None]
        except yamlread.YAMLInputError as exc:
            raise InputError(f"{name}: refused YAML at line {exc.line} column {exc.column}: "
                             f"{exc.problem}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise InputError(f"{name}: malformed YAML{where}: {problem}") from None
    except RecursionError:
        raise InputError(f"{name}: nested too deeply (Kubernetes objects are a few dozen "
                         "levels deep)") from None
    except ValueError as exc:  # a number with more digits than Python converts (4300)
        raise InputError(f"{name}: unusable input: {exc}".split("; use ")[0]) from None


def _flatten(obj: Any, name: str,
             inherit: tuple[str, str] | None = None) -> Iterator[dict[str, Any]]:
    if isinstance(obj, list):  # a bare JSON array of objects
        for item in obj:
            yield from _flatten(item, name)
        return
    if not isinstance(obj, dict):
        raise InputError(f"{name}: expected Kubernetes objects, found a {type(obj).__name__}")
    kind = obj.get("kind")
    if not kind and inherit is not None:
        # Items of a typed list from the API server carry no kind/apiVersion of their own.
        obj = dict(obj, kind=inherit[0], apiVersion=inherit[1])
        kind = inherit[0]
    if isinstance(kind, str) and kind.endswith("List") and isinstance(obj.get("items"), list):
        meta = obj.get("metadata")
        ann = meta.get("annotations") if isinstance(meta, dict) else None
        if isinstance(ann, dict) and isinstance(ann.get(CAPTURED_AT), str):
            yield {"kind": _CAPTURE, "at": ann[CAPTURED_AT]}
        if isinstance(ann, dict) and CONTAINER_LOGS in ann:
            yield {"kind": _LOGS, "logs": ann[CONTAINER_LOGS]}
        item_kind = _LIST_ITEM_KIND.get(kind)
        child = (item_kind, str(obj.get("apiVersion") or "v1")) if item_kind else None
        for item in obj["items"]:
            yield from _flatten(item, name, child)
        return
    yield obj


_CAPTURE = "\0capture"  # a marker _flatten yields for a List's capture time
_LOGS = "\0logs"  # and for the container logs a --dump recorded


#: how recent a copy of an object is: its capture's time, then its resourceVersion
_Rank = tuple[datetime, int]
_NEVER = datetime.min.replace(tzinfo=timezone.utc)


def _rank(obj: dict[str, Any], captured: datetime | None) -> _Rank:
    rv = meta(obj).get("resourceVersion")
    return (captured or _NEVER, int(rv) if isinstance(rv, str) and rv.isdigit()
            and len(rv) < 20 else -1)


def _keep(store: dict[str, dict[str, Any]], ranks: dict[str, _Rank], key: str,
          obj: dict[str, Any], rank: _Rank) -> None:
    """The same object read twice (two captures, or one file given twice): the newer copy
    wins, by capture time, then resourceVersion; on a tie, the one read last. Two objects
    of one uid but another kind, namespace or name cannot both be real (the API server gives
    every object its own uid): InputError, rather than one of them silently dropped."""
    old = store.get(key)
    if old is not None and _identity(old) != _identity(obj):
        a, b = sorted("/".join(_identity(o)) for o in (old, obj))
        raise InputError(f"{a} and {b} have the same metadata.uid {meta_str(obj, 'uid')!r}: "
                         "a uid names one object (was the input edited?)")
    if old is None or rank >= ranks[key]:
        store[key], ranks[key] = obj, rank


def _identity(obj: dict[str, Any]) -> tuple[str, str, str]:
    return (as_str(obj.get("kind")), meta_str(obj, "namespace") or "default", meta_str(obj))


def _add(g: Gathered, obj: dict[str, Any], pods: dict[str, dict[str, Any]],
         workloads: dict[str, dict[str, Any]], ranks: dict[str, _Rank],
         captured: datetime | None) -> None:
    kind = obj.get("kind")
    if kind in (_CAPTURE, _LOGS) or not isinstance(kind, str):
        return  # a kind that is not a name (kind: [Pod]) is no object podwhy reads
    raw_meta = obj.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    api = str(obj.get("apiVersion") or "")
    if kind == "Pod":
        # a pod with neither uid nor name is no object the API server wrote: kept, each
        # on its own (the snapshot names it damaged), never one in place of another
        key = object_key(obj) if meta_str(obj, "uid") or meta_str(obj) else f"#{len(pods)}"
        _keep(pods, ranks, key, obj, _rank(obj, captured))
    elif kind == "Event" and (api in ("v1", "") or api.startswith("events.k8s.io/")):
        g.events.append(obj)
    elif kind == "Node" and meta.get("name"):
        g.nodes[str(meta["name"])] = obj
    elif kind == "PersistentVolumeClaim" and meta.get("name"):
        g.pvcs[(str(meta.get("namespace") or "default"), str(meta["name"]))] = obj
    elif kind in WORKLOAD_KINDS and meta.get("name"):
        key = object_key(obj)
        _keep(workloads, ranks, key, obj, _rank(obj, captured))


def load(paths: Iterable[str]) -> Gathered:
    """Read every path into one bundle. Raises InputError (exit 2) on unusable input."""
    g = Gathered()
    pods: dict[str, dict[str, Any]] = {}
    workloads: dict[str, dict[str, Any]] = {}
    ranks: dict[str, _Rank] = {}
    for name, src in _expand(paths):
        captured = None
        for doc in _documents(name, _read(name, src)):
            for obj in _flatten(doc, name):
                if obj.get("kind") == _CAPTURE:
                    at = parse_time(obj.get("at"))
                    captured = max(captured, at) if captured and at else captured or at
                if obj.get("kind") == _LOGS:
                    for log in _container_logs(name, obj["logs"]):
                        g.logs[log.request.key] = log
                _add(g, obj, pods, workloads, ranks, captured)
        if captured is not None:
            # the run's reference is the latest capture; each object is judged at its own
            g.captured_at = max(g.captured_at, captured) if g.captured_at else captured
    g.pods = list(pods.values())
    g.workloads = list(workloads.values())
    g.captured_at_of = {object_key(o): ranks[k][0] for store in (pods, workloads)
                        for k, o in store.items() if ranks[k][0] != _NEVER}
    return g


# --- narrowing the input to what was asked for, as a live run would ----------------------------

def _event_namespace(event: dict[str, Any]) -> str:
    obj = event.get("involvedObject") or event.get("regarding")
    ns = obj.get("namespace") if isinstance(obj, dict) else None
    return str(ns or meta(event).get("namespace") or "")


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    labels = meta(obj).get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def select_input(g: Gathered, targets: list[Target], namespace: str | None,
                 selector: str | None) -> list[tuple[str, str, str]] | None:
    """With -f, narrow the bundle to what was asked for, like a live run would.

    Returns the workload targets as (kind, namespace, name), or None when no target was
    named (then every pod, and every top-level workload in the input, is diagnosed).
    """
    if not g.pods and not g.workloads:
        raise InputError("no pods in the input (expected Pod objects, e.g. from "
                         "kubectl get pod,events -o yaml)")
    if namespace:
        # as the snapshot reads it: an empty or null namespace is "default"
        g.pods = [p for p in g.pods if (meta_str(p, "namespace") or "default") == namespace]
        g.workloads = [w for w in g.workloads
                       if (meta_str(w, "namespace") or "default") == namespace]
        g.events = [e for e in g.events if _event_namespace(e) in (namespace, "")]
    if selector:
        match = parse_selector(selector)
        g.pods = [p for p in g.pods if match(_labels(p))]
        if not targets:
            keep_selected(g, match)
    where = f" in namespace {namespace!r}" if namespace else ""
    if not targets:
        if selector and not g.pods and not g.workloads:
            raise NotFoundError(f"no pods match {selector!r}{where} in the input")
        if not g.pods and not g.workloads:
            raise InputError(f"no pods{where} in the input")
        return None
    keys: list[tuple[str, str, str]] = []
    owners: set[str] = set()
    kept_workloads: list[dict[str, Any]] = []
    by_name: dict[tuple[object, object], list[dict[str, Any]]] = {}
    for w in g.workloads:
        by_name.setdefault((str(w.get("kind")), meta_str(w)), []).append(w)
    for t in (t for t in targets if not t.is_pod):
        found = by_name.get((t.kind, t.name), [])
        if not found:
            raise NotFoundError(f'{t.kind.lower()} "{t.name}" not found{where} in the input')
        for w in found:
            keys.append((t.kind, meta_str(w, "namespace") or "default", t.name))
            owners.add(meta_str(w, "uid"))
            kept_workloads.append(w)
    kept = {id(w) for w in kept_workloads}
    children = owned(owners, (w for w in g.workloads if id(w) not in kept))
    kept_workloads += children
    owners = {u for w in kept_workloads if (u := meta_str(w, "uid"))}
    names = {t.name for t in targets if t.is_pod}
    present = {meta_str(p) for p in g.pods}
    for name in sorted(names - present):
        raise NotFoundError(f'pod "{name}" not found{where} in the input')
    kept_pods = [p for p in g.pods if meta_str(p) in names or controller_uid(p) in owners]
    if keys:
        placed = {id(o) for o in (*kept_workloads, *kept_pods)}
        g.unattributed = unplaced(o for o in (*g.workloads, *g.pods)
                                       if id(o) not in placed)
    g.pods = kept_pods
    g.workloads = kept_workloads
    return keys


class FileSource:
    """Saved objects (``-f``): files, directories, ``-`` for stdin. Never contacts a
    cluster."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = paths

    def gather(self, namespace: str | None, targets: Sequence[Target] = (),
               all_namespaces: bool = False, selector: str | None = None) -> Gathered:
        """:meth:`kubectl_podwhy.sources.Source.gather` over the files: load every path,
        then narrow the bundle as a live run would (:func:`select_input`). ``namespace``
        None: every namespace in the input."""
        g = load(self.paths)
        g.workload_targets = select_input(g, list(targets),
                                          None if all_namespaces else namespace, selector)
        names = {t.name for t in targets if t.is_pod}
        g.pod_targets = [(meta_str(p, "namespace") or "default", meta_str(p))
                         for p in g.pods if meta_str(p) in names]
        return g

    def read_logs(self, g: Gathered, requests: Sequence[LogRequest]) -> None:
        """Files hold only the logs a --dump recorded (loaded by gather): nothing to read."""


#: the List annotation where a --dump records the container logs it read (crashlog): a JSON
#: array of {namespace, pod, podUID, container, previous, truncated, lines}. An annotation, so
#: that kubectl still reads the dump as any List.
CONTAINER_LOGS = "kubectl-podwhy/container-logs"


def _container_logs(name: str, text: object) -> list[ContainerLog]:
    """The logs of a CONTAINER_LOGS annotation; InputError when it is damaged."""
    try:
        doc = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        doc = None
    if not isinstance(doc, list):
        raise InputError(f"{name}: the annotation {CONTAINER_LOGS} is not a JSON array of "
                         "container logs (was the dump edited?)")
    return [_container_log(name, i, item) for i, item in enumerate(doc)]


def _container_log(name: str, i: int, obj: object) -> ContainerLog:
    if not isinstance(obj, dict):
        raise InputError(f"{name}: {CONTAINER_LOGS}[{i}] is not an object")
    ns, pod, uid = obj.get("namespace") or "default", obj.get("pod"), obj.get("podUID")
    container, previous, lines = obj.get("container"), obj.get("previous"), obj.get("lines")
    truncated = obj.get("truncated", False)
    if (isinstance(ns, str) and isinstance(pod, str) and pod
            and (uid is None or isinstance(uid, str)) and isinstance(container, str)
            and container and isinstance(previous, bool) and isinstance(truncated, bool)
            and isinstance(lines, list) and all(isinstance(x, str) for x in lines)):
        req = LogRequest(ns, pod, uid or f"Pod/{ns}/{pod}", container, previous, len(lines))
        return ContainerLog(req, tuple(lines), truncated)
    problem = ("namespace is not a name" if not isinstance(ns, str) else
               "pod is not a name" if not isinstance(pod, str) or not pod else
               "podUID is not a string" if uid is not None and not isinstance(uid, str) else
               "container is not a name" if not isinstance(container, str) or not container
               else "previous is not true or false" if not isinstance(previous, bool) else
               "truncated is not true or false" if not isinstance(truncated, bool) else
               "lines is not a list of strings")
    raise InputError(f"{name}: {CONTAINER_LOGS}[{i}]: {problem}")


def _log_doc(log: ContainerLog) -> dict[str, Any]:
    r = log.request
    doc: dict[str, Any] = {"namespace": r.namespace, "pod": r.pod}
    if not r.pod_key.startswith("Pod/"):
        doc["podUID"] = r.pod_key
    doc.update({"container": r.container, "previous": r.previous,
                "truncated": log.truncated, "lines": list(log.lines)})
    return doc


def write_dump(path: str, g: Gathered, captured_at: datetime) -> None:
    """Write what a live run gathered, as kubectl prints it (the cluster source already
    dropped managedFields), with when it was read and the container logs it read in the
    List's annotations (CAPTURED_AT, CONTAINER_LOGS) so that ``-f`` judges ages against it
    and shows the same logs (kubectl reads the file as any List). YAML for a path ending in
    .yaml/.yml, else JSON. Raises UsageError when the file cannot be written."""
    items = [*g.workloads, *g.pods, *g.events, *g.nodes.values(), *g.pvcs.values()]
    annotations = {CAPTURED_AT: format_time(captured_at)}
    if g.logs:
        annotations[CONTAINER_LOGS] = json.dumps([_log_doc(x) for x in g.logs.values()])
    doc = {"apiVersion": "v1", "kind": "List", "metadata": {"annotations": annotations},
           "items": items}
    try:
        with open(path, "w", encoding="utf-8") as fh:
            if path.endswith((".yaml", ".yml")):
                dump_yaml(doc, fh)
            else:
                json.dump(doc, fh, indent=2)
                fh.write("\n")
    except OSError as exc:
        raise UsageError(f"cannot write --dump {path}: {exc.strerror or exc}") from None
