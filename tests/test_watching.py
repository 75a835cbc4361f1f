"""The following source's watches, against a small fake API server of our own: a store stays
current from WATCH events, resumes from its resourceVersion when the connection drops, LISTs
again on 410 Gone, and turns a forbidden or broken watch into one error (exit 3)."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from kubectl_podwhy.errors import ClusterError, NotFoundError
from kubectl_podwhy.sources.watching import FollowingSource, split_object_path

PODS = "/api/v1/namespaces/default/pods"


def pod(name: str, rv: int, phase: str = "Pending") -> dict[str, Any]:
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}",
                         "resourceVersion": str(rv)},
            "spec": {"containers": [{"name": "app", "image": "x"}]},
            "status": {"phase": phase}}


class FakeApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.cond = threading.Condition()
        self.rv = 1
        self.pods: dict[str, dict[str, Any]] = {}
        self.log: list[tuple[str, str]] = []  # (list|watch, resourceVersion asked for)
        self.history: list[tuple[int, str, dict[str, Any]]] = []  # (rv, type, object)
        self.compacted = 0  # a watch from a resourceVersion at or below this is 410 Gone
        self.drop = threading.Event()  # set: open watches are cut off
        self.watch_mode = "ok"  # ok | forbidden | garbage | error-event-410

    def change(self, kind: str, obj: dict[str, Any]) -> None:
        with self.cond:
            self.rv += 1
            obj["metadata"]["resourceVersion"] = str(self.rv)
            name = obj["metadata"]["name"]
            if kind == "DELETED":
                self.pods.pop(name, None)
            else:
                self.pods[name] = obj
            self.history.append((self.rv, kind, obj))
            self.cond.notify_all()


class Handler(BaseHTTPRequestHandler):
    server: FakeApi
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, code: int, doc: Any) -> None:
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        srv = self.server
        if url.path != PODS:
            self._json(404, {"kind": "Status", "code": 404, "reason": "NotFound",
                             "message": "not found"})
            return
        if q.get("watch") != "true" and srv.watch_mode == "forbidden-list":
            srv.log.append(("list", ""))
            self._json(403, {"kind": "Status", "code": 403, "reason": "Forbidden",
                             "message": 'pods is forbidden: User "u" cannot list resource '
                                        '"pods"'})
            return
        if q.get("watch") != "true":
            with srv.cond:
                srv.log.append(("list", ""))
                rv = "" if srv.watch_mode == "list-without-version" else str(srv.rv)
                self._json(200, {"kind": "PodList", "metadata": {"resourceVersion": rv},
                                 "items": list(srv.pods.values())})
            return
        since = int(q.get("resourceVersion") or 0)
        srv.log.append(("watch", str(since)))
        if srv.watch_mode == "watch-500":
            self._json(500, {"kind": "Status", "code": 500, "reason": "InternalError",
                             "message": "etcd is sad"})
            return
        if srv.watch_mode == "forbidden":
            self._json(403, {"kind": "Status", "code": 403, "reason": "Forbidden",
                             "message": 'pods is forbidden: User "u" cannot watch resource '
                                        '"pods"'})
            return
        if since <= srv.compacted and srv.watch_mode != "error-event-410":
            self._json(410, {"kind": "Status", "code": 410, "reason": "Expired",
                             "message": "too old resource version"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if since <= srv.compacted:  # the API server's other way: an ERROR event
                self._chunk({"type": "ERROR", "object": {
                    "kind": "Status", "code": 410, "reason": "Expired",
                    "message": "too old resource version"}})
                self._end()
                return
            if srv.watch_mode == "endless-line":  # one "event" that never ends
                block = b"x" * (1 << 20)
                for _ in range(80):
                    self.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                self.wfile.flush()
                return
            if srv.watch_mode == "close-at-once":
                self._end()
                return
            if srv.watch_mode == "garbage":
                self.wfile.write(b"5\r\nhello\r\n1\r\n\n\r\n")
                self.wfile.flush()
            sent = since
            while not srv.drop.is_set():
                with srv.cond:
                    new = [h for h in srv.history if h[0] > sent]
                    if not new:
                        srv.cond.wait(0.1)
                        continue
                for version, kind, obj in new:
                    self._chunk({"type": kind, "object": obj})
                    sent = version
            self.connection.shutdown(2)  # cut off mid-stream, as a dying proxy does
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    def _chunk(self, doc: Any) -> None:
        data = json.dumps(doc).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


@pytest.fixture
def api() -> Iterator[FakeApi]:
    srv = FakeApi()
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.drop.set()
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def source(api: FakeApi, tmp_path: Path) -> Iterator[FollowingSource]:
    kc = tmp_path / "kubeconfig"
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{api.server_port}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "c", "user": "u"}}]}))
    src = FollowingSource(str(kc), None, 5.0)
    try:
        yield src
    finally:
        src.close()


def names(src: FollowingSource) -> dict[str, str]:
    items, _ = src._list(PODS)
    return {i["metadata"]["name"]: i["status"]["phase"] for i in items}


def eventually(what: str, check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_store_lists_once_then_follows_the_watch(api: FakeApi,
                                                   source: FollowingSource) -> None:
    api.change("ADDED", pod("a", 0))
    assert names(source) == {"a": "Pending"}
    api.change("MODIFIED", pod("a", 0, "Running"))
    api.change("ADDED", pod("b", 0))
    eventually("the watch's changes", lambda: names(source) == {"a": "Running", "b": "Pending"})
    api.change("DELETED", pod("a", 0))
    eventually("the deletion", lambda: names(source) == {"b": "Pending"})
    assert [v for v, _ in api.log] == ["list", "watch"]  # every later read is local


def test_a_dropped_watch_resumes_from_its_resource_version_without_listing_again(
        api: FakeApi, source: FollowingSource) -> None:
    api.change("ADDED", pod("a", 0))
    names(source)
    api.change("MODIFIED", pod("a", 0, "Running"))
    eventually("the change", lambda: names(source) == {"a": "Running"})
    seen = api.rv
    api.drop.set()
    eventually("the cut", lambda: len(api.log) >= 2)
    time.sleep(0.3)
    api.drop.clear()
    api.change("ADDED", pod("b", 0))
    eventually("the resumed watch", lambda: "b" in names(source))
    watches = [rv for verb, rv in api.log if verb == "watch"]
    assert [verb for verb, _ in api.log].count("list") == 1
    assert len(watches) >= 2, api.log
    assert watches[-1] == str(seen), api.log


@pytest.mark.parametrize("how", ["http-410", "error-event-410"])
def test_410_gone_lists_again(api: FakeApi, source: FollowingSource, how: str) -> None:
    api.change("ADDED", pod("a", 0))
    names(source)
    api.watch_mode = how
    api.compacted = api.rv + 5  # everything the store knows has been compacted away
    api.change("ADDED", pod("b", 0))
    api.drop.set()
    time.sleep(0.3)
    api.drop.clear()
    eventually("the new list", lambda: [v for v, _ in api.log].count("list") >= 2)
    api.compacted = 0
    api.watch_mode = "ok"
    eventually("both pods", lambda: set(names(source)) == {"a", "b"})


def test_a_forbidden_watch_ends_the_run_with_one_error(api: FakeApi,
                                                        source: FollowingSource) -> None:
    api.watch_mode = "forbidden"
    api.change("ADDED", pod("a", 0))
    names(source)
    eventually("the watch's failure", lambda: source._fatal)
    with pytest.raises(ClusterError, match="forbidden: cannot watch pods in namespace default"):
        source.check()


def test_a_watch_line_that_is_not_json_ends_the_run(api: FakeApi,
                                                    source: FollowingSource) -> None:
    api.watch_mode = "garbage"
    names(source)
    eventually("the watch's failure", lambda: source._fatal)
    with pytest.raises(ClusterError, match="sent a line that is not JSON"):
        source.check()


def test_a_get_is_served_by_a_watch_of_that_one_object(api: FakeApi,
                                                       source: FollowingSource) -> None:
    api.change("ADDED", pod("a", 0))
    assert source._get(f"{PODS}/a")["metadata"]["name"] == "a"
    with pytest.raises(NotFoundError), source._errors("get pod b"):
        source._get(f"{PODS}/b")


def test_object_paths_split_into_collection_namespace_and_name() -> None:
    assert split_object_path("/apis/apps/v1/namespaces/shop/deployments/web") == (
        "/apis/apps/v1/namespaces/shop/deployments", "shop", "web")
    assert split_object_path("/api/v1/namespaces/shop") == ("/api/v1/namespaces", None, "shop")
    assert split_object_path("/api/v1/nodes/n1") == ("/api/v1/nodes", None, "n1")
    assert split_object_path("/api/v1/namespaces/shop/pods") is None


def test_a_forbidden_list_names_what_following_needs_and_is_not_sent_again(
        api: FakeApi, source: FollowingSource) -> None:
    api.watch_mode = "forbidden-list"
    for _ in range(3):
        with pytest.raises(ClusterError, match="forbidden: --wait and --watch need list and "
                                               "watch on pods in namespace default: pods is "
                                               "forbidden"):
            source._get(f"{PODS}/a")
    assert api.log == [("list", "")]  # remembered: each judgement does not ask again


def test_a_server_that_closes_every_watch_at_once_is_retried_with_a_back_off(
        api: FakeApi, source: FollowingSource) -> None:
    api.watch_mode = "close-at-once"
    names(source)
    time.sleep(3.5)
    watches = [v for v, _ in api.log].count("watch")
    # back-off 1 s, then 2 s (each +-20%): 2 or 3 watches in 3.5 s, never a storm
    assert 2 <= watches <= 3, api.log


def test_a_server_that_answers_410_to_every_watch_lists_again_with_a_back_off(
        api: FakeApi, source: FollowingSource) -> None:
    names(source)
    eventually("the first watch", lambda: ("watch", "1") in api.log)
    api.compacted = 10**9  # every watch is too old
    api.drop.set()  # end the open watch: every new one is answered 410
    time.sleep(0.3)
    api.drop.clear()
    time.sleep(3.5)
    lists = [v for v, _ in api.log].count("list")
    # the first 410 lists again at once, the next ones after a back-off of 1 s, then 2 s
    assert 2 <= lists <= 4, api.log


def test_a_list_without_a_resource_version_cannot_be_followed(
        api: FakeApi, source: FollowingSource) -> None:
    api.watch_mode = "list-without-version"
    with pytest.raises(ClusterError, match=r"has no metadata\.resourceVersion, so it cannot be "
                                           "watched"):
        names(source)


def test_an_event_line_that_never_ends_is_cut_off_in_linear_time(
        api: FakeApi, source: FollowingSource) -> None:
    api.watch_mode = "endless-line"
    names(source)
    eventually("the watch's failure", lambda: source._fatal, timeout=30)
    with pytest.raises(ClusterError, match="is larger than 64 MiB"):
        source.check()


def test_a_watch_that_keeps_failing_while_lists_work_lists_again(
        api: FakeApi, source: FollowingSource) -> None:
    api.change("ADDED", pod("a", 0))
    names(source)
    api.watch_mode = "watch-500"
    api.drop.set()  # end the open watch: every new one fails
    time.sleep(0.3)
    api.drop.clear()
    api.change("MODIFIED", pod("a", 0, "Running"))
    # three failed watches (back-off 1 s, 2 s), then a LIST brings the change
    eventually("the new list", lambda: names(source) == {"a": "Running"}, timeout=15)
    assert [v for v, _ in api.log].count("list") == 2, api.log
