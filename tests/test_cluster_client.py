"""The cluster source loads the kubernetes client lean (kubectl_podwhy.sources.cluster: without
the packages' __init__ files, requests through RawApi instead of ApiClient): the same client
code, the same requests, the same credentials, only less imported.

Each check runs in a fresh interpreter: the lean import happens once per process, and only
when nothing imported ``kubernetes`` before.
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_hostile_server import Hostile, HostileServer

ROOT = Path(__file__).parent.parent


def python(code: str, env: dict[str, str] | None = None) -> Any:
    """Run ``code`` in a fresh interpreter; the JSON it prints last."""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, **(env or {})}, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


class Recorder(Hostile):
    """Records each request (line and headers) and answers like an API server and an OIDC
    identity provider would, enough for the kubeconfig loader and one GET."""

    server: RecordingServer

    def _answer(self, doc: dict[str, Any], code: int = 200) -> None:
        self.server.requests.append({"line": self.requestline,
                                     "headers": sorted(self.headers.items())})
        self._send(code, json.dumps(doc).encode())

    def do_GET(self) -> None:
        if self.path.endswith("/.well-known/openid-configuration"):
            self._answer({"token_endpoint": f"{self.server.url}/token"})
        else:
            self._answer({"kind": "Pod", "metadata": {"name": "web"}})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.refuse_refresh:
            # what oauthlib raises InvalidClientIdError for: kube_config then keeps the token
            self._answer({"error": "invalid_request"}, 400)
            return
        self._answer({"access_token": "a", "token_type": "Bearer", "expires_in": 3600,
                      "id_token": jwt(FRESH_UNTIL, "fresh"),
                      "refresh_token": "refresh-2"})


#: the refreshed token's expiry: fixed, so that both imports get the same token
FRESH_UNTIL = 4_102_444_800  # 2100-01-01


class RecordingServer(HostileServer):
    requests: list[dict[str, Any]]
    url: str
    refuse_refresh = False


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    srv = RecordingServer(("127.0.0.1", 0), Recorder)
    srv.requests = []
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}"
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def jwt(exp: float, subject: str) -> str:
    def part(doc: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")
    return f"{part({'alg': 'none'})}.{part({'exp': int(exp), 'sub': subject})}.c2ln"


def kubeconfig(tmp_path: Path, server: str, user: dict[str, Any]) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u",
                                               "namespace": "shop"}}]}))
    return str(path)


#: a subprocess: the cluster source on KUBECONFIG, lean unless USUAL says to import
#: kubernetes first, one GET through RawApi (and, with COMPARE, the same through ApiClient)
_ONE_GET = """
import json, os, sys
if os.environ.get("USUAL"):
    import kubernetes
from kubectl_podwhy.sources import cluster
from tests.test_hostile_server import Hostile, HostileServer
src = cluster.open_source(None, None, 10.0)
query = [("labelSelector", "app in (web,api),tier!=db"), ("fieldSelector", "a=b/c"),
         ("continue", "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MX0+/="), ("limit", 2000)]
def get(api):
    method, url, headers, _, _ = api.param_serialize(
        "GET", "/api/v1/namespaces/shop/pods", query_params=list(query),
        header_params={"Accept": "application/json"}, auth_settings=["BearerToken"])
    api.call_api(method, url, header_params=headers, _request_timeout=10.0).response.read()
    return [method, url, headers]
out = {"lean": cluster.LEAN_CLIENT, "raw": get(src._api)}
if os.environ.get("COMPARE"):
    from kubernetes.client.api_client import ApiClient
    api_client = ApiClient(src._api.configuration)
    api_client.user_agent = src._api.user_agent  # podwhy's own, set on either client
    out["api_client"] = get(api_client)
print(json.dumps(out))
"""


def test_raw_api_sends_the_requests_api_client_sends(tmp_path: Path,
                                                      server: RecordingServer) -> None:
    config = kubeconfig(tmp_path, server.url, {"token": "t0ken"})
    out = python(_ONE_GET, {"KUBECONFIG": config, "COMPARE": "1"})
    assert out["lean"] is True
    assert out["raw"] == out["api_client"]
    assert out["raw"][2]["authorization"] == "Bearer t0ken"
    assert out["raw"][2]["User-Agent"].startswith("kubectl-podwhy/")
    raw, api_client = server.requests
    assert raw == api_client  # on the wire too: request line and every header


def test_the_usual_import_is_used_when_kubernetes_is_imported_already(
        tmp_path: Path, server: RecordingServer) -> None:
    config = kubeconfig(tmp_path, server.url, {"token": "t0ken"})
    lean = python(_ONE_GET, {"KUBECONFIG": config})
    usual = python(_ONE_GET, {"KUBECONFIG": config, "USUAL": "1"})
    assert (lean["lean"], usual["lean"]) == (True, False)
    assert lean["raw"] == usual["raw"]
    assert server.requests[0] == server.requests[1]


@pytest.mark.parametrize(("refused", "subject"), [(False, "fresh"), (True, "stale")])
def test_an_expired_oidc_token_is_refreshed_as_with_the_usual_import(
        tmp_path: Path, server: RecordingServer, refused: bool, subject: str) -> None:
    """kube_config refreshes an expired auth-provider oidc id-token at load time, through
    ApiClient and requests_oauthlib's OAuth2Session, and keeps the old one when the identity
    provider refuses with what oauthlib calls InvalidClientIdError: stand-ins in a lean
    import."""
    server.refuse_refresh = refused
    config = kubeconfig(tmp_path, server.url, {"auth-provider": {"name": "oidc", "config": {
        "client-id": "podwhy", "client-secret": "s3cret", "refresh-token": "refresh-1",
        "id-token": jwt(time.time() - 60, "stale"), "idp-issuer-url": server.url}}})
    # oauthlib refuses plain http for the token endpoint unless told
    env = {"KUBECONFIG": config, "OAUTHLIB_INSECURE_TRANSPORT": "1"}
    lean = python(_ONE_GET, env)
    usual = python(_ONE_GET, {**env, "USUAL": "1"})
    assert (lean["lean"], usual["lean"]) == (True, False)
    token = lean["raw"][2]["authorization"].removeprefix("Bearer ")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["sub"] == subject
    assert lean["raw"] == usual["raw"]
    lines = [r["line"].split(" HTTP/")[0] for r in server.requests]
    discovery, refresh = "GET /.well-known/openid-configuration", "POST /token"
    assert lines == [discovery, refresh, lines[2], discovery, refresh, lines[2]]


def test_lean_packages_become_whole_on_first_use() -> None:
    """Code that uses the package after the cluster source (a plugin, a debugger) gets what
    the usual import gives: the skipped __init__ runs then."""
    out = python("""
import json, sys
from kubectl_podwhy.sources import cluster
from tests.test_hostile_server import Hostile, HostileServer
assert cluster.LEAN_CLIENT
before = sorted(m for m in sys.modules if m.startswith("kubernetes.client.api_client"))
import kubernetes
from kubernetes import client, watch
from kubernetes.client.api_client import ApiClient
print(json.dumps({"before": before, "version": kubernetes.__version__,
                  "api_client_is_real": client.ApiClient is ApiClient,
                  "core_v1": client.CoreV1Api.__name__, "watch": watch.Watch.__name__,
                  "same_configuration": client.Configuration is cluster.Configuration}))
""")
    assert out == {"before": [], "version": out["version"], "api_client_is_real": True,
                   "core_v1": "CoreV1Api", "watch": "Watch", "same_configuration": True}


def test_a_failing_lean_import_leaves_nothing_behind_and_imports_as_usual() -> None:
    """A client whose layout differs (here: a module of the lean set fails once) gets the
    usual import, with no half-registered package left in sys.modules."""
    out = python("""
import json, sys
class FailOnce:
    failed = False
    def find_spec(self, name, path, target=None):
        if name == "kubernetes.config.exec_provider" and not self.failed:
            self.failed = True
            raise ImportError("a client with another layout")
sys.meta_path.insert(0, FailOnce())
from kubectl_podwhy.sources import cluster
from tests.test_hostile_server import Hostile, HostileServer
import kubernetes
print(json.dumps({"lean": cluster.LEAN_CLIENT, "version": kubernetes.__version__,
                  "kube_config": cluster.kube_config is sys.modules[
                      "kubernetes.config.kube_config"],
                  "api_client": "kubernetes.client.api_client" in sys.modules}))
""")
    assert out == {"lean": False, "version": out["version"], "kube_config": True,
                   "api_client": True}
