"""Reading container logs from an API server (ClusterSource.read_logs) against a small server
of our own on 127.0.0.1: what is asked (tailLines, limitBytes, previous), and that nothing a
server does with a log (forbid it, refuse it, never answer, send megabytes, send escape
sequences) fails the run, takes unbounded time or memory, or changes the verdict."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from kubectl_podwhy.crashlog import FETCH_LINES, LIMIT_BYTES
from kubectl_podwhy.snapshot import Gathered, LogRequest
from kubectl_podwhy.sources.cluster import MAX_LOG_BYTES, ClusterSource
from tests.test_hostile_server import Hostile, HostileServer

PYTHON_CRASH = (b"starting\nTraceback (most recent call last):\n  File \"app.py\", line 3\n"
                b"KeyError: 'DATABASE_URL'\n")


def _status(code: int, reason: str, message: str) -> bytes:
    return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                       "message": message, "reason": reason, "code": code}).encode()


class Logs(Hostile):
    """The log endpoint of each test pod (the pod's name says what it does); the quiet log
    and ``_send`` are the hostile server's."""

    server: LogServer

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.server.asked.append((url.path, {k: v[0] for k, v in parse_qs(url.query).items()}))
        pod = url.path.split("/")[-2]
        if pod == "crashed":
            self._send(200, PYTHON_CRASH, "text/plain")
        elif pod == "forbidden":
            self._send(403, _status(403, "Forbidden", 'pods "forbidden" is forbidden: User '
                                    '"viewer" cannot get resource "pods/log" in API group "" '
                                    'in the namespace "shop"'), "application/json")
        elif pod == "no-previous":
            self._send(400, _status(400, "BadRequest", 'previous terminated container "app" '
                                    'in pod "no-previous" not found'), "application/json")
        elif pod == "gone":
            self._send(404, _status(404, "NotFound", 'pods "gone" not found'),
                       "application/json")
        elif pod == "silent":
            time.sleep(30)
        elif pod == "huge":  # one endless line, limitBytes ignored
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            try:
                for _ in range(64):
                    self.wfile.write(b"x" * (1 << 20))
            except OSError:
                pass
        elif pod == "long-tail":  # as a kubelet: limitBytes from the start of the tail
            q = parse_qs(url.query)
            tail = int(q["tailLines"][0])
            lines = [f"line {i} " + "x" * 2000 for i in range(300)] + ["FATAL: the end"]
            body = "".join(x + "\n" for x in lines[-tail:]).encode()
            self._send(200, body[:int(q["limitBytes"][0])], "text/plain")
        elif pod == "many":  # tailLines ignored
            self._send(200, b"a\n" * 100_000, "text/plain")
        elif pod == "escapes":
            self._send(200, b"\x1b]52;c;ZXZpbA==\x07\x1b[2J\r\nFATAL: \xff\xfe bad bytes\n",
                       "text/plain")


class LogServer(HostileServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Logs)
        self.asked: list[tuple[str, dict[str, str]]] = []


@pytest.fixture
def server() -> Iterator[LogServer]:
    srv = LogServer()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def source(tmp_path: Path, srv: LogServer, timeout: float | None = 5.0) -> ClusterSource:
    kc = tmp_path / "kubeconfig"
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "t",
        "clusters": [{"name": "c", "cluster": {
            "server": f"http://127.0.0.1:{srv.server_address[1]}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "t", "context": {"cluster": "c", "user": "u"}}]}))
    return ClusterSource(str(kc), None, timeout)


def request(pod: str, previous: bool = True) -> LogRequest:
    return LogRequest("shop", pod, f"uid-{pod}", "app", previous, FETCH_LINES)


def test_a_log_is_asked_for_by_container_run_tail_and_byte_limit(tmp_path: Path,
                                                                   server: LogServer) -> None:
    g = Gathered()
    source(tmp_path, server).read_logs(g, [request("crashed")])
    assert server.asked == [("/api/v1/namespaces/shop/pods/crashed/log", {
        "container": "app", "previous": "true", "tailLines": str(FETCH_LINES),
        "limitBytes": str(LIMIT_BYTES)})]
    log = g.logs[("uid-crashed", "app", True)]
    assert log.lines == ("starting", "Traceback (most recent call last):",
                         '  File "app.py", line 3', "KeyError: 'DATABASE_URL'")
    assert not log.truncated
    assert g.notes == {}


def test_forbidden_pods_log_is_one_note_for_the_run_and_no_log(tmp_path: Path,
                                                                server: LogServer) -> None:
    g = Gathered()
    source(tmp_path, server).read_logs(g, [request("forbidden"), request("forbidden")])
    assert g.logs == {}
    assert g.notes == {"": [
        'cannot read container logs (pods "forbidden" is forbidden: User "viewer" cannot get '
        'resource "pods/log" in API group "" in the namespace "shop"); the verdicts are shown '
        "without them (reading them needs get on pods/log)"]}


def test_a_log_the_kubelet_no_longer_has_is_a_note_and_a_deleted_pod_is_nothing(
        tmp_path: Path, server: LogServer) -> None:
    g = Gathered()
    source(tmp_path, server).read_logs(g, [request("no-previous"), request("gone")])
    assert g.logs == {}
    assert g.notes == {"": [
        "the previous log of container app of pod shop/no-previous could not be read: HTTP "
        '400: previous terminated container "app" in pod "no-previous" not found']}


def test_a_server_that_never_answers_costs_the_request_timeout_once_not_per_log(
        tmp_path: Path, server: LogServer) -> None:
    g = Gathered()
    start = time.monotonic()
    source(tmp_path, server, timeout=1.5).read_logs(
        g, [request("silent"), request("silent"), request("crashed"), request("silent"),
            request("silent"), request("silent")])
    took = time.monotonic() - start
    assert took < 5, took
    assert list(g.logs) == [("uid-crashed", "app", True)]
    notes = g.notes[""]
    assert len(notes) == 4
    assert notes[0] in (
        "the previous log of container app of pod shop/silent was not read within 1.5s",
        "the previous log of container app of pod shop/silent could not be read: timed out "
        f"talking to {source(tmp_path, server).server} after 1.5s (--request-timeout)")
    assert notes[-1] == "2 more container logs could not be read"


def test_a_server_ignoring_limit_bytes_is_cut_off_at_the_log_byte_bound(
        tmp_path: Path, server: LogServer) -> None:
    g = Gathered()
    source(tmp_path, server).read_logs(g, [request("huge")])
    log = g.logs[("uid-huge", "app", True)]
    assert sum(len(x) for x in log.lines) == MAX_LOG_BYTES
    assert log.truncated


def test_escape_sequences_and_bad_bytes_are_kept_as_text_for_the_renderer_to_escape(
        tmp_path: Path, server: LogServer) -> None:
    g = Gathered()
    source(tmp_path, server).read_logs(g, [request("escapes", previous=False)])
    assert g.logs[("uid-escapes", "app", False)].lines == (
        "\x1b]52;c;ZXZpbA==\x07\x1b[2J", "FATAL: \ufffd\ufffd bad bytes")
    assert server.asked[0][1]["previous"] == "false"


def test_names_cannot_reach_another_path(tmp_path: Path, server: LogServer) -> None:
    g = Gathered()
    source(tmp_path, server).read_logs(g, [
        LogRequest("shop", "../../secrets/x", "u", "app", True, 10),
        LogRequest("shop", "..", "u2", "app", True, 10),
        LogRequest(".", "web", "u3", "app", True, 10)])
    assert [path for path, _ in server.asked] == [
        "/api/v1/namespaces/shop/pods/..%2F..%2Fsecrets%2Fx/log"]


def test_one_forbidden_namespace_keeps_the_logs_read_elsewhere(tmp_path: Path,
                                                               server: LogServer) -> None:
    g = Gathered()
    source(tmp_path, server).read_logs(g, [request("forbidden"), request("crashed")])
    assert list(g.logs) == [("uid-crashed", "app", True)]
    assert g.notes[""] == [
        'cannot read 1 of 2 container logs (pods "forbidden" is forbidden: User "viewer" '
        'cannot get resource "pods/log" in API group "" in the namespace "shop"); the verdicts '
        "are shown without those (reading them needs get on pods/log)"]


def test_a_server_ignoring_tail_lines_leaves_only_the_tail_asked_for(
        tmp_path: Path, server: LogServer) -> None:
    g = Gathered()
    source(tmp_path, server).read_logs(g, [request("many")])
    # 200 KB, past limitBytes: asked again for the last 20, and given 100,000 again
    assert len(g.logs[("uid-many", "app", True)].lines) == 20


def test_a_tail_longer_than_limit_bytes_is_asked_for_again_shorter_to_keep_its_end(
        tmp_path: Path, server: LogServer) -> None:
    g = Gathered()
    source(tmp_path, server).read_logs(g, [request("long-tail")])
    log = g.logs[("uid-long-tail", "app", True)]
    assert log.lines[-1] == "FATAL: the end"
    assert len(log.lines) == 20
    assert log.truncated
    assert [q["tailLines"] for _, q in server.asked] == [str(FETCH_LINES), "20"]
