"""A hostile or broken "API server" on 127.0.0.1 (a small bounded server of our own): podwhy
answers each with one error line and exit 3, in bounded time, never a traceback and never a
verdict about objects the server did not really return."""
from __future__ import annotations

import json
import os
import platform
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml

from kubectl_podwhy import __version__
from kubectl_podwhy.sources.cluster import go_platform

ROOT = Path(__file__).parent.parent


class Hostile(BaseHTTPRequestHandler):
    """Answers every GET the way ``server.mode`` says."""

    server: HostileServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, code: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.agents.append(self.headers.get("User-Agent", ""))
        mode = self.server.mode
        try:
            if mode == "html":
                self._send(200, b"<html><body>Welcome to the proxy</body></html>",
                           "text/html")
            elif mode in ("null", "list"):
                self._send(200, b"null" if mode == "null" else b"[1,2,3]")
            elif mode == "wrong-object":
                self._send(200, b'{"metadata": 5}')
            elif mode == "other-pod":
                self._send(200, json.dumps({"kind": "Pod", "metadata": {
                    "name": "not-web", "namespace": "default"}, "status": {
                    "phase": "Running"}}).encode())
            elif mode == "nested":
                self._send(200, b"[" * 100_000 + b"]" * 100_000)
            elif mode == "huge-int":
                self._send(200, b'{"kind": "Pod", "metadata": {"name": "web", "generation": '
                           + b"9" * 5000 + b"}}")
            elif mode == "not-utf8":
                self._send(200, b'{"kind": "Pod", "metadata": {"name": "caf\xe9"}}')
            elif mode == "endless-body":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                block = b" " * (1 << 20)
                for _ in range(2048):  # 2 GiB, unless the reader stops first
                    self.wfile.write(block)
            elif mode == "wrong-node":
                # a healthy pod on node n1; GET node n1 answers with a Secret
                path = self.path.split("?")[0]
                pod = {"kind": "Pod", "metadata": {"name": "web", "namespace": "default",
                                                   "uid": "u1"},
                       "spec": {"nodeName": "n1", "containers": [{"name": "app"}]},
                       "status": {"phase": "Running", "conditions": [
                           {"type": "Ready", "status": "True"}], "containerStatuses": [
                           {"name": "app", "ready": True, "restartCount": 0,
                            "state": {"running": {"startedAt": "2026-11-21T09:00:00Z"}}}]}}
                doc: dict[str, Any]
                if path.endswith("/nodes/n1"):
                    doc = {"kind": "Secret", "metadata": {"name": "web"}}
                elif path.endswith("/pods/web"):
                    doc = pod
                elif path.endswith("/namespaces/default"):
                    doc = {"kind": "Namespace", "metadata": {"name": "default"}}
                else:
                    doc = {"kind": "List", "metadata": {}, "items": []}
                self._send(200, json.dumps(doc).encode())
            elif mode in ("other-namespace", "bad-continue", "items-not-objects"):
                path = self.path.split("?")[0]
                if path.endswith("/namespaces/default"):
                    doc = {"kind": "Namespace", "metadata": {"name": "default"}}
                elif mode == "other-namespace":
                    doc = {"kind": "PodList", "metadata": {}, "items": [
                        {"metadata": {"name": "p", "namespace": "kube-system"}}]}
                elif mode == "items-not-objects":  # dropped, they read as "No pods found"
                    doc = {"kind": "PodList", "metadata": {}, "items": [None, 5, "web"]}
                else:
                    doc = {"kind": "PodList", "metadata": {"continue": 5}, "items": []}
                self._send(200, json.dumps(doc).encode())
            elif mode == "owner-unreadable":
                # deploy/web, ready; its ReplicaSet; a failing pod whose controller reference
                # has a uid that is not a string: it cannot be placed under web, nor left out
                path = self.path.split("?")[0]
                meta = {"name": "web", "namespace": "default", "uid": "d1", "generation": 1}
                status = {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                          "updatedReplicas": 1, "observedGeneration": 1}
                if path.endswith("/deployments/web"):
                    doc = {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta,
                           "spec": {"replicas": 1}, "status": status}
                elif path.endswith("/replicasets"):
                    doc = {"kind": "ReplicaSetList", "metadata": {}, "items": [{"metadata": {
                        "name": "web-1", "namespace": "default", "uid": "r1", "ownerReferences": [
                            {"kind": "Deployment", "name": "web", "uid": "d1",
                             "controller": True}]}, "spec": {"replicas": 1}, "status": status}]}
                elif path.endswith("/pods"):
                    doc = {"kind": "PodList", "metadata": {}, "items": [{"metadata": {
                        "name": "web-1-a", "namespace": "default", "uid": "p1",
                        "ownerReferences": [{"kind": "ReplicaSet", "name": "web-1", "uid": 5,
                                             "controller": True}]},
                        "spec": {"containers": [{"name": "app", "image": "x"}]},
                        "status": {"phase": "Pending"}}]}
                elif path.endswith("/namespaces/default"):
                    doc = {"kind": "Namespace", "metadata": {"name": "default"}}
                else:
                    doc = {"kind": "List", "metadata": {}, "items": []}
                self._send(200, json.dumps(doc).encode())
            elif mode == "empty-object":
                self._send(200, b"{}")
            elif mode == "wrong-shapes":
                # a pod whose spec is a string; lists whose items hold strings where objects go
                body: dict[str, Any]
                if "/pods/web" in self.path:
                    body = {"kind": "Pod", "metadata": {"name": "web", "namespace": "default"},
                            "spec": "x", "status": {}}
                elif "/nodes" in self.path:
                    body = {"kind": "NodeList", "metadata": {}, "items": ["n1", {"metadata": "x"}]}
                elif "/events" in self.path:
                    body = {"kind": "EventList", "metadata": {},
                            "items": [{"involvedObject": "x", "reason": "FailedCreate"}]}
                elif self.path.split("?")[0].endswith("/namespaces/default"):
                    body = {"kind": "Namespace", "metadata": {"name": "default"}}
                else:
                    body = {"kind": "PodList", "metadata": {},
                            "items": [{"metadata": {"name": "p", "namespace": "default"},
                                       "spec": {"nodeName": 5}, "status": "Running"}]}
                self._send(200, json.dumps(body).encode())
            elif mode == "html-404":
                self._send(404, b"<html>404 Not Found (nginx)</html>", "text/html")
            elif mode in ("endless-continue", "endless-new-tokens"):
                token = "same-token" if mode == "endless-continue" else secrets.token_hex(8)
                page = {"kind": "PodList", "metadata": {"continue": token}, "items": []}
                self._send(200, json.dumps(page).encode())
            elif mode == "trickle-headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for _ in range(60):
                    self.wfile.write(b"X")
                    self.wfile.flush()
                    time.sleep(1)
            elif mode == "trickle-body":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                for _ in range(60):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(1)
        except (BrokenPipeError, ConnectionResetError):
            pass


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    mode = "html"
    #: the User-Agent header of each request, in order
    agents: list[str]


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    srv = HostileServer(("127.0.0.1", 0), Hostile)
    srv.agents = []
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def kubeconfig(tmp_path: Path, port: int, user: dict[str, Any] | None = None) -> str:
    kc = tmp_path / "kubeconfig"
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "hostile",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "u", "user": user or {"token": "t"}}],
        "contexts": [{"name": "hostile", "context": {"cluster": "c", "user": "u"}}]}))
    return str(kc)


def podwhy(kc: str, *args: str, timeout: float = 30) -> tuple[int, str, str, float]:
    start = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", "--kubeconfig", kc, *args],
                       capture_output=True, text=True, cwd=ROOT, timeout=timeout, check=False,
                       env={k: v for k, v in os.environ.items() if k != "KUBECONFIG"})
    return r.returncode, r.stdout, r.stderr, time.monotonic() - start


@pytest.mark.parametrize(("mode", "needle"), [
    ("html", "is not usable JSON"),
    ("null", "is not a JSON object"),
    ("list", "is not a JSON object"),
    ("wrong-object", "is not that Pod"),
    ("other-pod", "is not that Pod"),
    ("nested", "is not usable JSON"),
    ("huge-int", "is not usable JSON"),
    ("not-utf8", "is not usable JSON"),
    ("html-404", "without a Kubernetes Status"),
])
def test_a_server_answer_that_is_not_the_object_asked_for_is_exit_3(
        server: HostileServer, tmp_path: Path, mode: str, needle: str) -> None:
    server.mode = mode
    code, out, err, _ = podwhy(kubeconfig(tmp_path, server.server_port), "web", "-o", "json")
    assert (code, out) == (3, ""), err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err


@pytest.mark.parametrize("mode", ["trickle-headers", "trickle-body"])
def test_a_server_that_trickles_is_cut_off_at_the_request_timeout(
        server: HostileServer, tmp_path: Path, mode: str) -> None:
    server.mode = mode
    code, _, err, took = podwhy(kubeconfig(tmp_path, server.server_port), "web",
                                "--request-timeout", "2s")
    assert code == 3, err
    assert "timed out" in err
    assert took < 10


def test_a_pagination_that_never_ends_is_an_error(server: HostileServer,
                                                  tmp_path: Path) -> None:
    server.mode = "endless-continue"
    code, _, err, took = podwhy(kubeconfig(tmp_path, server.server_port), "-n", "default")
    assert code == 3, err
    assert "repeats the same continue token" in err
    assert took < 10


def test_a_pagination_of_ever_new_empty_pages_is_an_error(server: HostileServer,
                                                          tmp_path: Path) -> None:
    # each page a new continue token and no items: 1,000 of them, each within the timeout
    server.mode = "endless-new-tokens"
    code, _, err, _ = podwhy(kubeconfig(tmp_path, server.server_port), "-n", "default")
    assert code == 3, err
    assert "goes on with empty pages (11 in a row)" in err


def test_a_hanging_exec_credential_plugin_is_cut_off(server: HostileServer,
                                                     tmp_path: Path) -> None:
    plugin = tmp_path / "slow-credential-plugin"
    plugin.write_text("#!/bin/sh\nsleep 613\necho\n")
    plugin.chmod(0o755)
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin),
                     "interactiveMode": "Never"}}
    code, _, err, took = podwhy(kubeconfig(tmp_path, server.server_port, user), "web",
                                "--request-timeout", "2s")
    assert code == 3, err
    assert "timed out loading the kubeconfig" in err
    assert took < 10
    # the plugin and what it started were killed, not left running after podwhy
    for pattern in (str(plugin), "^sleep 613$"):
        left = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True,
                              check=False)
        assert left.stdout == "", (pattern, left.stdout)


def test_a_missing_exec_plugin_is_one_line_naming_it(server: HostileServer,
                                                     tmp_path: Path) -> None:
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
                     "command": "no-such-credential-helper", "interactiveMode": "Never"}}
    code, _, err, _ = podwhy(kubeconfig(tmp_path, server.server_port, user), "web")
    assert code == 3, err
    assert len(err.strip().splitlines()) == 1, err
    assert "ERROR:root" not in err
    assert "no-such-credential-helper" in err


@pytest.mark.parametrize("value", ["99999999999999999999s", "25h"])
def test_a_request_timeout_beyond_a_day_is_a_usage_error(value: str) -> None:
    code, _, err, _ = podwhy("/dev/null", "web", "--request-timeout", value)
    assert code == 2
    assert "at most 24h" in err


def _no_current_context(tmp_path: Path, port: int) -> str:
    kc = Path(kubeconfig(tmp_path, port))
    doc = yaml.safe_load(kc.read_text())
    del doc["current-context"]
    kc.write_text(yaml.safe_dump(doc))
    return str(kc)


def test_a_kubeconfig_without_current_context_is_used_with_context_as_kubectl_does(
        server: HostileServer, tmp_path: Path) -> None:
    server.mode = "other-pod"  # any answer from the server proves the context was used
    kc = _no_current_context(tmp_path, server.server_port)
    code, _, err, _ = podwhy(kc, "--context", "hostile", "web")
    assert (code, "is not that Pod" in err) == (3, True), err


@pytest.mark.parametrize(("args", "message"), [
    ((), "it sets no current-context: pass --context NAME, or run kubectl config "
         "use-context NAME"),
    (("--context", "nope"), 'context "nope" does not exist'),
])
def test_a_kubeconfig_without_the_context_says_which_is_missing(
        server: HostileServer, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    kc = _no_current_context(tmp_path, server.server_port)
    code, _, err, _ = podwhy(kc, *args, "web")
    assert (code, err) == (3, f"error: cannot use kubeconfig {kc}: {message}\n")


@pytest.mark.parametrize("how", ["token", "exec"])
def test_credentials_with_a_line_break_are_exit_3_and_never_shown(server: HostileServer,
                                                                  tmp_path: Path,
                                                                  how: str) -> None:
    secret = "eyJhbGciOiJSUzI1NiJ9.SECRET-VALUE"
    if how == "token":
        user: dict[str, Any] = {"token": secret + "\n"}
    else:
        plugin = tmp_path / "plugin.sh"
        cred = json.dumps({"apiVersion": "client.authentication.k8s.io/v1",
                           "kind": "ExecCredential",
                           "status": {"token": secret + "\r\nX-Evil: 1"}})
        plugin.write_text(f"#!/bin/sh\nprintf '%s\\n' '{cred}'\n")
        plugin.chmod(0o755)
        user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
                         "command": str(plugin), "interactiveMode": "Never"}}
    code, out, err, _ = podwhy(kubeconfig(tmp_path, server.server_port, user), "web")
    assert code == 3, err
    assert "a header value holds a line break" in err
    assert "SECRET" not in out + err


@pytest.mark.parametrize("args", [(), ("-A",), ("web",)])
def test_a_server_that_answers_an_empty_object_is_never_an_all_clear(
        server: HostileServer, tmp_path: Path, args: tuple[str, ...]) -> None:
    server.mode = "empty-object"
    code, out, err, _ = podwhy(kubeconfig(tmp_path, server.server_port), *args)
    assert code == 3, (out, err)
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("args", [(), ("web",)])
def test_answers_of_the_wrong_shape_inside_are_read_as_absent_not_a_crash(
        server: HostileServer, tmp_path: Path, args: tuple[str, ...]) -> None:
    server.mode = "wrong-shapes"
    code, out, err, _ = podwhy(kubeconfig(tmp_path, server.server_port), *args)
    assert code in (1, 3, 5), (code, out, err)
    assert "internal error" not in err
    assert "Traceback" not in err


def test_a_pod_whose_owner_reference_cannot_be_read_keeps_its_workload_from_healthy(
        server: HostileServer, tmp_path: Path) -> None:
    server.mode = "owner-unreadable"
    code, out, err, _ = podwhy(kubeconfig(tmp_path, server.server_port), "deploy/web")
    assert code == 1, (out, err)
    assert "pod web-1-a: its ownerReferences cannot be read" in out


def test_an_answer_past_512_mib_is_cut_off_before_it_fills_the_memory(
        server: HostileServer, tmp_path: Path) -> None:
    server.mode = "endless-body"
    code, _, err, _ = podwhy(kubeconfig(tmp_path, server.server_port), "web", timeout=120)
    assert code == 3, err
    assert "is larger than 512 MiB" in err


def test_a_node_answer_that_is_not_that_node_is_exit_3_not_a_verdict(
        server: HostileServer, tmp_path: Path) -> None:
    server.mode = "wrong-node"
    code, out, err, _ = podwhy(kubeconfig(tmp_path, server.server_port), "web")
    assert code == 3, (out, err)
    assert "is not that Node" in err


@pytest.mark.parametrize(("mode", "needle"), [
    ("other-namespace", "holds objects of namespace 'kube-system'"),
    ("bad-continue", "has a malformed metadata.continue"),
    ("items-not-objects", "holds an item that is not an object (NoneType)"),
])
def test_a_list_with_foreign_objects_items_not_objects_or_a_broken_continue_is_exit_3(
        server: HostileServer, tmp_path: Path, mode: str, needle: str) -> None:
    server.mode = mode
    code, out, err, _ = podwhy(kubeconfig(tmp_path, server.server_port))
    assert code == 3, (out, err)
    assert needle in err


def test_every_request_carries_podwhys_own_user_agent(server: HostileServer,
                                                      tmp_path: Path) -> None:
    server.mode = "wrong-node"  # GET the pod, LIST its events, GET its node
    server.agents.clear()
    podwhy(kubeconfig(tmp_path, server.server_port), "web")
    agent = (f"kubectl-podwhy/{__version__} ({go_platform(sys.platform, platform.machine())}) "
             f"kubernetes-python/{kubernetes.__version__}")
    assert len(server.agents) >= 3
    assert set(server.agents) == {agent}
    assert re.fullmatch(r"kubectl-podwhy/\d+\.\d+\.\d+ \((linux|darwin|windows)/[a-z0-9]+\) "
                        r"kubernetes-python/\d+\.\d+\.\d+\S*", agent)


@pytest.mark.parametrize(("system", "machine", "shown"), [
    ("linux", "x86_64", "linux/amd64"),
    ("linux", "aarch64", "linux/arm64"),
    ("darwin", "arm64", "darwin/arm64"),
    ("win32", "AMD64", "windows/amd64"),
    ("freebsd14", "amd64", "freebsd/amd64"),
    ("linux", "ppc64le", "linux/ppc64le"),
])
def test_the_user_agent_names_os_and_arch_as_kubectl_does(system: str, machine: str,
                                                          shown: str) -> None:
    assert go_platform(system, machine) == shown
