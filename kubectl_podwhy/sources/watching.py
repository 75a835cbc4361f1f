"""The following cluster source: what ``--wait`` and ``--watch`` read, kept current by WATCHes.

It answers the same requests as :class:`~kubectl_podwhy.sources.cluster.ClusterSource` (the
gather logic is the same code, so a followed target gets the verdict a one-shot run gives), but
each LIST or GET is served from a local store. The first time a collection is asked for, the
store LISTs it and then WATCHes it from the list's resourceVersion, in a thread of its own; later
gathers read the store and send no request. As in client-go's reflector
(k8s.io/client-go/tools/cache/reflector.go):

- one LIST and one WATCH per request shape: per kind and scope (and selector), or per object for
  the few objects a one-shot run GETs one by one (a named pod, workload, node or claim: a WATCH
  with ``fieldSelector=metadata.name=NAME``);
- the watch resumes from the last resourceVersion seen (bookmarks included:
  ``allowWatchBookmarks``) when the connection drops or the server ends it (``timeoutSeconds``,
  5 to 10 minutes as client-go picks);
- ``410 Gone`` (the resourceVersion was compacted: an HTTP status or an ERROR event) LISTs again;
- 401 and 403 end the run (exit 3); other failures are retried with a back-off of 1 s doubling
  to 30 s. Nothing is ever polled.

Source: https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
"""
from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import urllib3

from kubectl_podwhy.errors import ClusterError
from kubectl_podwhy.kinds import KINDS, WORKLOAD_KINDS
from kubectl_podwhy.rawjson import JSON, as_dict, as_str, meta_str
from kubectl_podwhy.snapshot import Gathered
from kubectl_podwhy.sources.cluster import (
    ApiException,
    ClusterSource,
    UnusableAnswer,
    _slim,
    _status_message,
    open_source,
)
from kubectl_podwhy.targets import Target

#: a WATCH the server ends after this many seconds is resumed (client-go: 5 to 10 minutes)
WATCH_SECONDS = (300, 600)
#: back-off between failed watch attempts, in seconds: 1, 2, 4, ... at most this
MAX_BACKOFF_SECONDS = 30.0
#: the largest watch event read (one object; the API server's own limit on an object is
#: about 1.5 MiB in etcd)
MAX_WATCH_EVENT_BYTES = 64 << 20
#: a watch silent this long (no event, no bookmark) is taken as dead and resumed: a server
#: that sent only its headers must not hold a store stale for the watch's whole timeout
SILENT_WATCH_SECONDS = 120.0
#: failed watches in a row after which the store LISTs again (a watch that keeps failing
#: while LISTs work must not leave it stale: client-go's reflector lists again too)
RELIST_AFTER_FAILURES = 3
#: a watch that ends sooner than this without an event is a failure (client-go's "very short
#: watch"): retried after the back-off
SHORT_WATCH_SECONDS = 1.0
#: a store no gather has read for this long is closed (its objects are no longer needed)
IDLE_SECONDS = 120.0
#: a LIST that failed (forbidden, say) is not retried for this long: each gather would
#: otherwise send it again
FAILED_LIST_SECONDS = 60.0

StoreKey = tuple[str, tuple[tuple[str, str], ...]]


def split_object_path(path: str) -> tuple[str, str | None, str] | None:
    """``/apis/apps/v1/namespaces/shop/deployments/web`` → (collection path, namespace,
    name); ``/api/v1/namespaces/shop`` → (``/api/v1/namespaces``, None, ``shop``); None for a
    path that names no single object."""
    parts = path.strip("/").split("/")
    head = 2 if parts[:1] == ["api"] else 3
    rest = parts[head:]
    prefix = "/" + "/".join(parts[:head])
    if len(rest) == 4 and rest[0] == "namespaces":
        return f"{prefix}/namespaces/{rest[1]}/{rest[2]}", rest[1], rest[3]
    if len(rest) == 2:
        return f"{prefix}/{rest[0]}", None, rest[1]
    return None


def _not_found(path: str, name: str) -> ApiException:
    """What the API server answers for a missing object (a Status with reason NotFound)."""
    resource = path.rsplit("/", 1)[-1]
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
            "code": 404, "message": f'{resource} "{name}" not found'}
    return ApiException(status=404, reason="Not Found", body=json.dumps(body))


class _Store:
    """The objects of one LIST (path and query), kept current by a WATCH thread."""

    def __init__(self, source: FollowingSource, path: str, query: dict[str, str],
                 shape: Callable[[JSON], JSON] | None) -> None:
        self.source, self.path, self.query, self.shape = source, path, query, shape
        self.lock = threading.Lock()
        self.objects: dict[tuple[str, str], JSON] = {}
        self.kind = ""
        self.rv = ""
        self.last_used = time.monotonic()
        self.stopped = threading.Event()
        self._response: Any = None
        self._applied = 0  # events applied (bookmarks aside)

    # --- read by gathers (main thread) --------------------------------------------------------

    def items(self) -> list[JSON]:
        self.last_used = time.monotonic()
        with self.lock:
            return list(self.objects.values())

    def lookup(self, namespace: str | None, name: str) -> JSON | None:
        self.last_used = time.monotonic()
        with self.lock:
            return self.objects.get((namespace or "", name))

    # --- kept current (its thread) ------------------------------------------------------------

    def _key(self, obj: JSON) -> tuple[str, str]:
        meta = as_dict(obj.get("metadata"))
        return as_str(meta.get("namespace")), as_str(meta.get("name"))

    def _shaped(self, obj: JSON) -> JSON:
        obj = _slim(obj)
        return self.shape(obj) if self.shape is not None and self.source.lean else obj

    def relist(self) -> None:
        """LIST (every page) and replace the objects; the WATCH goes on from its version."""
        items, kind, rv = self.source._list_pages(self.path, None, **self.query)
        if not rv:
            # an API server always versions a list; without one nothing can be watched
            raise UnusableAnswer(f"the server's answer to LIST {self.path} has no "
                                 "metadata.resourceVersion, so it cannot be watched: is "
                                 f"{self.source.server} a Kubernetes API server?")
        objects = {self._key(o): self._shaped(o) for o in items}
        with self.lock:
            self.objects, self.kind, self.rv = objects, kind or self.kind, rv
        self.source.changed.set()

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"watch {self.path}", daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):  # best effort: it ends on its next read
                response.shutdown()

    def _run(self) -> None:
        backoff = 1.0
        gone = 0  # 410s in a row: the first lists again at once, the next after the back-off
        failures = 0  # failed watches in a row
        while not self.stopped.is_set():
            try:
                if not self.rv:
                    self.relist()
                if self._watch():
                    backoff, gone, failures = 1.0, 0, 0  # a healthy watch ended: resume now
                    continue
            except ApiException as exc:
                if exc.status == 410:  # resourceVersion too old: list again
                    self.rv = ""
                    gone += 1
                    if gone == 1:
                        continue
                if exc.status in (401, 403):
                    self.source.fatal(exc, f"watch {self._resource_text()}")
                    return
            except UnusableAnswer as exc:
                self.source.fatal(exc, "")
                return
            except ClusterError:
                pass  # a relist that could not reach the server: retried below
            except (urllib3.exceptions.HTTPError, OSError, ValueError, TimeoutError):
                pass  # the connection dropped: resume from self.rv
            except Exception as exc:  # a bug must end the run, not a silent thread
                self.source.fatal(exc, "")
                return
            if self.stopped.is_set():
                return
            failures += 1
            if failures >= RELIST_AFTER_FAILURES:
                failures, self.rv = 0, ""
            self.stopped.wait(backoff * random.uniform(0.8, 1.2))
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _resource_text(self) -> str:
        scope = self._scope()
        return self.path.rsplit("/", 1)[-1] + (f" in namespace {scope}" if scope else "")

    def _watch(self) -> bool:
        """One WATCH from self.rv until the server ends it (True) or it breaks (raises). A
        watch that ends within SHORT_WATCH_SECONDS without an event counts as broken (as
        client-go's reflector says, "very short watch"): it is retried after a back-off, not
        at once, so a server that closes every watch is not hammered."""
        began = time.monotonic()
        applied = self._applied
        ended = self._watch_once()
        if ended and self._applied == applied and \
                time.monotonic() - began < SHORT_WATCH_SECONDS:
            return False
        return ended

    def _watch_once(self) -> bool:
        seconds = random.randint(*WATCH_SECONDS)
        api = self.source._api
        query = [*self.query.items(), ("watch", "true"), ("resourceVersion", self.rv),
                 ("allowWatchBookmarks", "true"), ("timeoutSeconds", str(seconds))]
        method, url, headers, _, _ = api.param_serialize(
            "GET", self.path, query_params=query, header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"])
        connect = self.source.timeout or 30.0
        resp = api.call_api(method, url, header_params=headers,
                            _request_timeout=(connect, SILENT_WATCH_SECONDS))
        raw = resp.response
        self._response = raw
        try:
            if not 200 <= resp.status <= 299:
                body = self.source._read(raw, self.path)
                raise ApiException(status=resp.status, reason=resp.reason,
                                   body=body.decode("utf-8", "replace") if body else None)
            buffer = bytearray()
            for chunk in raw.stream(1 << 16):
                if self.stopped.is_set():
                    return True
                buffer += chunk
                if len(buffer) > MAX_WATCH_EVENT_BYTES:
                    raise UnusableAnswer(
                        f"an event of the server's WATCH of {self.path} is larger than "
                        f"{MAX_WATCH_EVENT_BYTES >> 20} MiB: is {self.source.server} a "
                        "Kubernetes API server?")
                if b"\n" not in chunk:  # a line still arriving: no rescan (linear time)
                    continue
                *lines, rest = bytes(buffer).split(b"\n")
                buffer = bytearray(rest)
                for line in lines:
                    if line.strip():
                        self._apply(line)
            if buffer.strip():
                self._apply(bytes(buffer))
            return True
        finally:
            self._response = None
            raw.release_conn()

    def _apply(self, line: bytes) -> None:
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            raise UnusableAnswer(f"the server's WATCH of {self.path} sent a line that is not "
                                 f"JSON: is {self.source.server} a Kubernetes API server?"
                                 ) from None
        obj = event.get("object") if isinstance(event, dict) else None
        kind = event.get("type") if isinstance(event, dict) else None
        if not isinstance(obj, dict) or kind not in (
                "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"):
            raise UnusableAnswer(f"the server's WATCH of {self.path} sent an event that is not "
                                 f"a watch event: is {self.source.server} a Kubernetes API "
                                 "server?")
        if kind == "ERROR":
            code = obj.get("code")
            raise ApiException(status=code if isinstance(code, int) else 500,
                               reason=as_str(obj.get("reason")), body=json.dumps(obj))
        rv = as_str(as_dict(obj.get("metadata")).get("resourceVersion"))
        if kind == "BOOKMARK":
            self.rv = rv or self.rv
            return
        scope = self._scope()
        key = self._key(obj)
        if scope is not None and key[0] != scope:
            raise UnusableAnswer(f"the server's WATCH of {self.path} sent an object of "
                                 f"namespace {key[0]!r}: is {self.source.server} a Kubernetes "
                                 "API server?")
        shaped = self._shaped(obj)
        self._applied += 1
        with self.lock:
            if kind == "DELETED":
                self.objects.pop(key, None)
            else:
                self.objects[key] = shaped
            self.rv = rv or self.rv
        self.source.changed.set()

    def _scope(self) -> str | None:
        if "/namespaces/" in self.path:
            return self.path.split("/namespaces/", 1)[1].split("/", 1)[0]
        return None


class FollowingSource(ClusterSource):
    """A :class:`ClusterSource` whose reads are served by watched stores (see the module)."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None,
                 request_timeout: float | None = None, lean: bool = True) -> None:
        super().__init__(kubeconfig, context, request_timeout, lean)
        # one list of a namespace's pod events: one store, one watch
        self.whole_event_lists = True
        #: set by a watch thread whenever a store changes
        self.changed = threading.Event()
        self._stores: dict[StoreKey, _Store] = {}
        self._failed: dict[StoreKey, tuple[float, BaseException]] = {}
        self._fatal: list[tuple[BaseException, str]] = []
        self._guard = threading.Lock()

    # --- bookkeeping ----------------------------------------------------------------------------

    def fatal(self, exc: BaseException, what: str) -> None:
        with self._guard:
            self._fatal.append((exc, what))
        self.changed.set()

    def check(self) -> None:
        """Raise what a watch thread could not recover from (401, 403, an answer that is
        not an API server's) as the one-shot run would: ClusterError, exit 3."""
        with self._guard:
            if not self._fatal:
                return
            exc, what = self._fatal[0]
        if isinstance(exc, ApiException):
            with self._errors(what):
                raise exc
        if isinstance(exc, ClusterError):
            raise exc
        raise exc

    def wait_changed(self, timeout: float) -> bool:
        """Block until a store changed or ``timeout`` seconds passed; True if it changed."""
        changed = self.changed.wait(timeout)
        self.changed.clear()
        return changed

    def sweep(self) -> None:
        """Close the stores no gather read for IDLE_SECONDS."""
        now = time.monotonic()
        for key, store in list(self._stores.items()):
            if now - store.last_used > IDLE_SECONDS:
                store.stop()
                del self._stores[key]

    def close(self) -> None:
        for store in self._stores.values():
            store.stop()
        self._stores.clear()

    # --- reads, served by stores ----------------------------------------------------------------

    def _store(self, path: str, shape: Callable[[JSON], JSON] | None,
               query: dict[str, str]) -> _Store:
        key: StoreKey = (path, tuple(sorted(query.items())))
        store = self._stores.get(key)
        if store is not None:
            return store
        failed = self._failed.get(key)
        if failed is not None and time.monotonic() - failed[0] < FAILED_LIST_SECONDS:
            raise failed[1]
        store = _Store(self, path, query, shape)
        try:
            store.relist()  # in the caller's thread: bounded by --request-timeout
        except ApiException as exc:
            failure: BaseException = exc
            if exc.status == 403:
                # a one-shot run GETs a named object; following LISTs and WATCHes it
                failure = ClusterError(f"forbidden: --wait and --watch need list and watch on "
                                       f"{store._resource_text()}: {_status_message(exc)}")
            if exc.status in (401, 403, 404):
                self._failed[key] = (time.monotonic(), failure)
            if failure is exc:
                raise
            raise failure from None
        self._stores[key] = store
        store.start()
        return store

    def _list(self, path: str, shape: Callable[[JSON], JSON] | None = None,
              **query: str | int) -> tuple[list[JSON], str]:
        store = self._store(path, shape, {k: str(v) for k, v in query.items()})
        return store.items(), store.kind

    def _get(self, path: str, **query: str | int) -> JSON:
        split = split_object_path(path)
        if split is None or query:
            return self._fetch(path, **query)
        collection, namespace, name = split
        whole = self._stores.get((collection, ()))
        store = whole or self._store(collection, None, {"fieldSelector": f"metadata.name={name}"})
        obj = store.lookup(namespace, name)
        if obj is None:
            raise _not_found(collection, name)
        return obj

    def _gather(self, namespace: str, targets: Sequence[Target], all_namespaces: bool,
                selector: str | None) -> Gathered:
        g = super()._gather(namespace, targets, all_namespaces, selector)
        if not targets:
            self._every_workload(g, namespace, all_namespaces)
        return g

    def _every_workload(self, g: Gathered, namespace: str, all_namespaces: bool) -> None:
        """A namespace (or -A) wait also follows every workload in scope: right after
        ``kubectl apply`` a Deployment has no ReplicaSet and no pod yet, and a wait that saw
        only pods would end healthy before the controllers acted (a one-shot namespace run
        reads workloads only through their pods and FailedCreate events)."""
        have = {meta_str(w, "uid") for w in g.workloads} - {""}
        scope = "all namespaces" if all_namespaces else f"namespace {namespace}"
        for name in WORKLOAD_KINDS:
            kind = KINDS[name]
            try:
                with self._errors(f"list {kind.plural} in {scope}"):
                    items, _ = self._list(kind.path_all() if all_namespaces
                                          else kind.path(namespace))
            except UnusableAnswer:
                raise
            except ClusterError as exc:
                self._note(g, "", f"{kind.plural} could not be read ({exc.message}); their "
                                  "rollouts are judged from their pods alone")
                continue
            for item in items:
                uid = meta_str(item, "uid")
                if uid and uid not in have:
                    have.add(uid)
                    g.workloads.append(dict(item, kind=name, apiVersion=kind.api_version))

    def gather(self, namespace: str | None, targets: Sequence[Target] = (),
               all_namespaces: bool = False, selector: str | None = None) -> Gathered:
        self.check()
        return super().gather(namespace, targets, all_namespaces, selector)


def open_following(kubeconfig: str | None, context: str | None,
                   request_timeout: float | None, lean: bool = True) -> FollowingSource:
    """:func:`~kubectl_podwhy.sources.cluster.open_source` for a following source."""
    source = open_source(kubeconfig, context, request_timeout, lean, factory=FollowingSource)
    assert isinstance(source, FollowingSource)
    return source
