"""The scale contract, proven from the API server's audit log: one (paginated) LIST per kind
per scope, never one call per pod, and only the kinds the rules need."""
from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from kubectl_podwhy import __version__
from kubectl_podwhy.sources.cluster import user_agent
from tests.live.conftest import LiveCluster, wait_for
from tests.live.test_scenarios import ROOT
from tests.live.test_workloads import deployment


def calls(cp: Any, cluster: LiveCluster, *args: str) -> tuple[int, Counter[tuple[str, str]]]:
    """Run podwhy as a fresh admin user; count its requests by (verb, resource)."""
    user = f"podwhy-counted-{secrets.token_hex(3)}"
    kc = cp.make_user_kubeconfig(user, ("system:masters",))
    since = time.time() - 1
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", "--kubeconfig", str(kc),
                        "-o", "json", *args], capture_output=True, text=True, check=False,
                       cwd=ROOT)
    assert "Traceback" not in r.stderr, r.stderr
    time.sleep(1.5)  # the audit backend writes asynchronously
    evs = cp.audit_events(user=user, since=since)
    return r.returncode, Counter((e["verb"], _resource(e.get("objectRef") or {}))
                                 for e in evs if e.get("stage") != "ResponseStarted")


def _resource(ref: dict[str, Any]) -> str:
    """"pods", or with a subresource "pods/log" (audited at ResponseStarted too: skipped)."""
    sub = ref.get("subresource")
    return str(ref.get("resource", "")) + (f"/{sub}" if sub else "")


def test_namespace_run_lists_each_kind_once(live_cluster: LiveCluster, local_control_plane: Any,
                                            namespace: str) -> None:
    pods = [live_cluster.scenario_pod(f"ok-{i}") for i in range(4)]
    pods += [live_cluster.scenario_pod(f"oom-{i}", "crashloop-oom") for i in range(2)]
    for i in range(4):  # unschedulable, each with its own missing claim
        p = live_cluster.scenario_pod(f"claims-{i}")
        p["spec"]["volumes"] = [{"name": "d", "persistentVolumeClaim": {"claimName": f"d-{i}"}}]
        pods.append(p)
    live_cluster.apply(pods, namespace)
    wait_for("pods running", lambda: all(
        p["status"].get("phase") == "Running" for p in
        live_cluster.get_json("pods", "-n", namespace)["items"]
        if not p["metadata"]["name"].startswith("claims")), timeout=40)
    code, counted = calls(local_control_plane, live_cluster, "-n", namespace)
    assert code == 1
    assert counted[("list", "pods")] == 1
    # the pods' events, and the FailedCreate events of workloads that cannot create pods
    assert counted[("list", "events")] == 2
    assert counted[("list", "persistentvolumeclaims")] == 1
    assert counted[("get", "pods")] == 0
    # the two crash-looping pods have no controller: each is its own verdict group
    assert counted[("get", "pods/log")] == 2
    assert counted[("get", "persistentvolumeclaims")] == 0
    assert counted[("get", "nodes")] + 3 * counted[("list", "nodes")] <= 3
    assert set(counted) <= {("list", "pods"), ("list", "events"),
                            ("list", "persistentvolumeclaims"), ("get", "nodes"),
                            ("list", "nodes"), ("get", "pods/log")}


def test_workload_run_lists_owners_once(live_cluster: LiveCluster, local_control_plane: Any,
                                        namespace: str) -> None:
    live_cluster.apply(deployment("web", 4), namespace)
    wait_for("4 pods", lambda: len(live_cluster.get_json(
        "pods", "-n", namespace)["items"]) == 4, timeout=40)
    code, counted = calls(local_control_plane, live_cluster, "deploy/web", "-n", namespace)
    assert code in (0, 1, 5)  # healthy, failing or progressing: a diagnosis, not an error
    assert counted[("get", "deployments")] == 1
    assert counted[("list", "replicasets")] == 1
    assert counted[("list", "pods")] == 1
    assert counted[("list", "events")] == 2  # the pods' events, and the workloads' own
    assert counted[("get", "pods")] == 0


def test_all_namespaces_run_is_one_list_per_kind(live_cluster: LiveCluster,
                                                 local_control_plane: Any,
                                                 namespace: str) -> None:
    live_cluster.apply([live_cluster.scenario_pod(f"p-{i}") for i in range(3)], namespace)
    code, counted = calls(local_control_plane, live_cluster, "-A")
    assert code in (0, 1, 5)  # healthy, failing or progressing: a diagnosis, not an error
    assert counted[("list", "pods")] == 1
    assert counted[("list", "events")] == 2  # pods' events; workloads' FailedCreate
    assert counted[("get", "pods")] == 0
    assert counted[("get", "nodes")] <= 3
    assert counted[("list", "nodes")] <= 1


def test_event_and_pod_lists_are_filtered_by_the_server(live_cluster: LiveCluster,
                                                        local_control_plane: Any,
                                                        namespace: str) -> None:
    """Events are selected by the pod's UID (single pod) or kind=Pod (namespace) on the
    server, and -l is a server-side labelSelector: nothing unneeded crosses the wire."""
    cp = local_control_plane
    live_cluster.apply(live_cluster.scenario_pod("one"), namespace)
    uid = wait_for("uid", lambda: live_cluster.pod(namespace, "one")["metadata"]["uid"])

    def uris(*args: str) -> list[str]:
        user = f"podwhy-uris-{secrets.token_hex(3)}"
        kc = cp.make_user_kubeconfig(user, ("system:masters",))
        since = time.time() - 1
        subprocess.run([sys.executable, "-m", "kubectl_podwhy", "--kubeconfig", str(kc),
                        "-o", "json", *args], capture_output=True, check=False, cwd=ROOT)
        time.sleep(1.5)
        return [e["requestURI"] for e in cp.audit_events(user=user, since=since)]

    single = [u for u in uris("one", "-n", namespace) if "/events" in u]
    assert len(single) == 1
    assert f"fieldSelector=involvedObject.uid%3D{uid}" in single[0]
    ns_mode = uris("-n", namespace, "-l", "app=x")
    assert any("/pods?" in u and "labelSelector=app%3Dx" in u for u in ns_mode)
    ns_mode = uris("-n", namespace)
    events = sorted(u for u in ns_mode if "/events?" in u)
    assert len(events) == 2
    pods_events = next(u for u in events if "involvedObject.kind%3DPod%2C" in u)
    assert "fieldSelector=involvedObject.kind%3DPod%2Creason%21%3DScheduled" in pods_events
    # Pulled, Created and Started stay on the server (fetched by uid for the pods whose
    # image pull they end); Pulling is read
    assert "reason%21%3DStarted" in pods_events
    assert "Pulling" not in pods_events
    assert any("fieldSelector=involvedObject.kind%21%3DPod%2Creason%3DFailedCreate" in u
               for u in events)
    assert all("limit=2000" in u for u in ns_mode if "/pods?" in u or "/events?" in u)


def test_every_request_carries_podwhys_user_agent(live_cluster: LiveCluster,
                                                  local_control_plane: Any,
                                                  namespace: str) -> None:
    """GET, LIST, the crash log and --wait's WATCHes all say kubectl-podwhy/<version>, never
    the client library's default (OpenAPI-Generator/...)."""
    cp = local_control_plane
    live_cluster.apply([live_cluster.scenario_pod("ok"),
                        live_cluster.scenario_pod("oom", "crashloop-oom")], namespace)
    wait_for("pods running", lambda: all(
        p["status"].get("phase") == "Running"
        for p in live_cluster.get_json("pods", "-n", namespace)["items"]), timeout=40)
    user = f"podwhy-agent-{secrets.token_hex(3)}"
    kc = cp.make_user_kubeconfig(user, ("system:masters",))
    since = time.time() - 1
    for args in (["-n", namespace], ["deploy/none", "ok", "-n", namespace, "--wait",
                                     "--timeout", "1s"]):
        r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", "--kubeconfig", str(kc),
                            "-o", "json", *args], capture_output=True, text=True,
                           check=False, cwd=ROOT, timeout=60)
        assert "Traceback" not in r.stderr, r.stderr

    def seen() -> list[dict[str, Any]] | None:  # the audit backend writes asynchronously
        evs = cp.audit_events(user=user, since=since)
        return evs if {"get", "list", "watch"} <= {e["verb"] for e in evs} else None

    evs = wait_for("podwhy's GETs, LISTs and WATCHes in the audit log", seen, timeout=20)
    assert any((e.get("objectRef") or {}).get("subresource") == "log" for e in evs)
    assert {e.get("userAgent") for e in evs} == {user_agent()}
    assert user_agent().startswith(f"kubectl-podwhy/{__version__} (")
