"""Smoke tests of the live-tier fixture and the local control plane (kwok stages included)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import LiveCluster, wait_for

_SCRIPTS = str(Path(__file__).resolve().parents[2] / "scripts")
if _SCRIPTS not in sys.path:
    sys.path.insert(0, _SCRIPTS)
import control_plane  # noqa: E402
from control_plane import ControlPlane, ControlPlaneError  # noqa: E402

SCRIPT = Path(control_plane.__file__).resolve()


def _condition(obj: dict[str, Any], ctype: str) -> dict[str, Any]:
    for c in obj.get("status", {}).get("conditions", []):
        if c["type"] == ctype:
            return dict(c)
    return {}


def _running_and_ready(pod: dict[str, Any]) -> bool:
    return (pod.get("status", {}).get("phase") == "Running"
            and _condition(pod, "Ready").get("status") == "True")


def test_cluster_answers(live_cluster: LiveCluster) -> None:
    out = live_cluster.kubectl("get", "--raw", "/readyz").stdout
    assert out.strip() == "ok"
    sa = live_cluster.get_json("serviceaccount", "default", "-n", "default")
    assert sa["metadata"]["name"] == "default"


def test_nodes_ready(local_control_plane: ControlPlane, live_cluster: LiveCluster) -> None:
    items = live_cluster.get_json("nodes", "-l", "type=kwok")["items"]
    nodes = {n["metadata"]["name"]: n for n in items}
    for name in ("kwok-node-0", "kwok-node-1", "kwok-node-2"):
        node = nodes[name]
        assert node["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
        assert _condition(node, "Ready")["status"] == "True"
        assert _condition(node, "Ready")["reason"] == "KubeletReady"
        assert node["status"]["allocatable"] == {**node["status"]["capacity"]}
        alloc = node["status"]["allocatable"]
        assert (alloc["cpu"], alloc["memory"], alloc["pods"]) == ("4", "16Gi", "110")
        taints = {t["key"] for t in node["spec"].get("taints", [])}
        assert "node.kubernetes.io/not-ready" not in taints


def test_scheduler_binds_and_kwok_runs_the_pod(local_control_plane: ControlPlane,
                                               live_cluster: LiveCluster, namespace: str) -> None:
    live_cluster.apply(live_cluster.scenario_pod("web"), namespace)
    pod = live_cluster.wait_for_pod(namespace, "web", _running_and_ready, "Running and Ready")
    assert pod["spec"]["nodeName"].startswith("kwok-node-")  # bound by the real scheduler
    assert _condition(pod, "PodScheduled")["status"] == "True"
    ev = live_cluster.wait_for_event(namespace, "web", "Scheduled")
    assert "default-scheduler" in (ev.get("reportingComponent"),
                                   (ev.get("source") or {}).get("component"))
    assert ev["message"] == f"Successfully assigned {namespace}/web to {pod['spec']['nodeName']}"
    assert pod["status"]["podIP"].startswith("10.244.")
    assert pod["status"]["hostIP"].startswith("10.89.0.")


def test_default_scenario_with_init_container_sidecar_and_job(
        local_control_plane: ControlPlane, live_cluster: LiveCluster, namespace: str) -> None:
    pod = live_cluster.scenario_pod("full")
    pod["spec"]["initContainers"] = [
        {"name": "migrate", "image": "registry.example/migrate:1"},
        {"name": "proxy", "image": "registry.example/proxy:1", "restartPolicy": "Always"}]
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
           "spec": {"backoffLimit": 0, "template": {"spec": {
               "restartPolicy": "Never",
               "containers": [{"name": "task", "image": "registry.example/task:1"}]}}}}
    live_cluster.apply([pod, job], namespace)
    got = live_cluster.wait_for_pod(namespace, "full", _running_and_ready, "Running and Ready")
    status = got["status"]
    init = {c["name"]: c for c in status["initContainerStatuses"]}
    assert init["migrate"]["state"]["terminated"]["reason"] == "Completed"
    assert init["migrate"]["state"]["terminated"]["exitCode"] == 0
    assert init["proxy"]["started"] is True
    assert "running" in init["proxy"]["state"]
    [app] = status["containerStatuses"]
    assert (app["name"], app["ready"], app["started"], app["restartCount"]) == (
        "app", True, True, 0)
    assert "running" in app["state"]
    for ctype in ("PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"):
        assert _condition(got, ctype)["status"] == "True", ctype

    def job_complete() -> bool:
        j = live_cluster.get_json("job", "once", "-n", namespace)
        return any(c["type"] == "Complete" and c["status"] == "True"
                   for c in j.get("status", {}).get("conditions", []))
    wait_for("job once Complete", job_complete)
    [jpod] = live_cluster.get_json("pods", "-n", namespace, "-l", "job-name=once")["items"]
    assert jpod["status"]["phase"] == "Succeeded"
    term = jpod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("Completed", 0)


def test_crashloop_oom_scenario(local_control_plane: ControlPlane, live_cluster: LiveCluster,
                                namespace: str) -> None:
    live_cluster.apply(live_cluster.scenario_pod("oom", "crashloop-oom"), namespace)
    pod = live_cluster.wait_for_pod(
        namespace, "oom", lambda p: bool(p.get("status", {}).get("containerStatuses")),
        "container statuses")
    ref = f"oom_{namespace}({pod['metadata']['uid']})"
    status = pod["status"]
    assert status["phase"] == "Running"
    [app] = status["containerStatuses"]
    assert app["name"] == "app"
    assert app["ready"] is False
    assert app["started"] is False
    assert app["restartCount"] == 6
    assert app["state"] == {"waiting": {
        "reason": "CrashLoopBackOff",
        "message": f"back-off 5m0s restarting failed container=app pod={ref}"}}
    last = app["lastState"]["terminated"]
    assert (last["reason"], last["exitCode"]) == ("OOMKilled", 137)
    assert last["finishedAt"] > last["startedAt"]
    for ctype in ("Ready", "ContainersReady"):
        cond = _condition(pod, ctype)
        assert (cond["status"], cond["reason"], cond["message"]) == (
            "False", "ContainersNotReady", "containers with unready status: [app]")
    assert _condition(pod, "PodScheduled")["status"] == "True"

    ev = live_cluster.wait_for_event(namespace, "oom", "BackOff")
    assert ev["type"] == "Warning"
    assert ev["message"] == f"Back-off restarting failed container app in pod {ref}"
    assert ev["involvedObject"]["fieldPath"] == "spec.containers{app}"
    assert ev["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert ev["source"]["component"] == "kubelet"


def test_deleted_pod_goes_away_but_finalizer_and_stuck_terminating_stay(
        local_control_plane: ControlPlane, live_cluster: LiveCluster, namespace: str) -> None:
    held = live_cluster.scenario_pod("held")
    held["metadata"]["finalizers"] = ["example.com/hold"]
    pods = [live_cluster.scenario_pod("gone"), held,
            live_cluster.scenario_pod("stuck", "stuck-terminating")]
    live_cluster.apply(pods, namespace)
    for name in ("gone", "held", "stuck"):
        live_cluster.wait_for_pod(namespace, name, _running_and_ready, "Running and Ready")
    live_cluster.kubectl("delete", "pods", "gone", "held", "stuck", "-n", namespace,
                         "--wait=false")
    wait_for("pod gone deleted", lambda: live_cluster.kubectl(
        "get", "pod", "gone", "-n", namespace, check=False).returncode != 0)
    time.sleep(1)
    for name in ("held", "stuck"):
        assert live_cluster.pod(namespace, name)["metadata"].get("deletionTimestamp")


def test_stopped_heartbeat_makes_node_unknown_and_tainted(
        local_control_plane: ControlPlane, live_cluster: LiveCluster) -> None:
    node = local_control_plane.create_node("kwok-node-heartbeat", index=90)
    try:
        local_control_plane.wait_nodes_ready([node], timeout=60)
        local_control_plane.stop_heartbeat(node)

        def unreachable() -> dict[str, Any] | None:
            n: dict[str, Any] = live_cluster.get_json("node", node)
            taints = {(t["key"], t["effect"]) for t in n["spec"].get("taints", [])}
            ready = _condition(n, "Ready")
            if (ready.get("status") == "Unknown"
                    and ("node.kubernetes.io/unreachable", "NoSchedule") in taints
                    and ("node.kubernetes.io/unreachable", "NoExecute") in taints):
                return n
            return None
        n = wait_for("node Unknown and tainted unreachable", unreachable, timeout=90)
        ready = _condition(n, "Ready")
        assert ready["reason"] == "NodeStatusUnknown"
        assert ready["message"] == "Kubelet stopped posting node status."
        # the other nodes keep their heartbeat
        assert local_control_plane.node_ready("kwok-node-0")
    finally:
        local_control_plane.delete_node(node)


def test_least_privilege_user_and_audit_log(local_control_plane: ControlPlane,
                                            live_cluster: LiveCluster, namespace: str) -> None:
    user = f"podwhy-reader-{namespace[-6:]}"
    live_cluster.apply([
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": "pod-reader"},
         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": "pod-reader"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                     "name": "pod-reader"},
         "subjects": [{"kind": "User", "name": user}]},
        live_cluster.scenario_pod("target"),
    ], namespace)
    since = time.time() - 1
    kc = local_control_plane.make_user_kubeconfig(user, ["podwhy:testers"])
    assert live_cluster.kubectl("get", "pods", "-n", namespace, kubeconfig=kc).returncode == 0
    live_cluster.kubectl("get", "pod", "target", "-n", namespace, kubeconfig=kc)
    denied = live_cluster.kubectl("get", "secrets", "-n", namespace, kubeconfig=kc, check=False)
    assert denied.returncode != 0
    assert "forbidden" in denied.stderr

    def user_events() -> list[dict[str, Any]] | None:
        evs = local_control_plane.audit_events(user=user, since=since)
        seen = {(e["verb"], (e.get("objectRef") or {}).get("resource")) for e in evs}
        return evs if {("list", "pods"), ("get", "pods"), ("list", "secrets")} <= seen else None
    evs = wait_for("audit events of the least-privilege user", user_events, timeout=10)
    assert {e["user"]["username"] for e in evs} == {user}
    assert "podwhy:testers" in evs[0]["user"]["groups"]
    assert {e["verb"] for e in evs
            if (e.get("objectRef") or {}).get("namespace") == namespace} == {"list", "get"}
    assert not [e for e in evs if e["verb"] in ("create", "update", "patch", "delete")]
    secrets = [e for e in evs if (e.get("objectRef") or {}).get("resource") == "secrets"]
    assert all(e["responseStatus"]["code"] == 403 for e in secrets)

    # the static token user authenticates, and has no rights of its own
    tkc = local_control_plane.make_token_kubeconfig()
    who = json.loads(live_cluster.kubectl("auth", "whoami", "-o", "json", kubeconfig=tkc).stdout)
    assert who["status"]["userInfo"]["username"] == "podwhy-token-user"
    assert live_cluster.kubectl("get", "pods", "-n", namespace, kubeconfig=tkc,
                                check=False).returncode != 0


def test_cli_kubeconfig_and_user(local_control_plane: ControlPlane) -> None:
    out = subprocess.run([sys.executable, str(SCRIPT), "kubeconfig", "--dir",
                          str(local_control_plane.dir)], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == str(local_control_plane.kubeconfig)
    kc = subprocess.run([sys.executable, str(SCRIPT), "user", "--dir",
                         str(local_control_plane.dir), "--user", "cli-user", "--group", "g1"],
                        capture_output=True, text=True, check=True).stdout.strip()
    r = subprocess.run(["kubectl", f"--kubeconfig={kc}", "auth", "whoami", "-o", "json"],
                       capture_output=True, text=True, check=True)
    info = json.loads(r.stdout)["status"]["userInfo"]
    assert info["username"] == "cli-user"
    assert "g1" in info["groups"]


def test_start_failure_is_readable_and_cleans_up(tmp_path: Path) -> None:
    """A component that dies at start: the error names it and shows its log; nothing leaks."""
    bins = tmp_path / "bin"
    bins.mkdir()
    for name in control_plane.ALL_BINARIES:
        script = bins / name
        script.write_text("#!/bin/sh\necho 'boom: cannot open the data dir' >&2\nexit 3\n")
        script.chmod(0o755)
    before = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    with pytest.raises(ControlPlaneError) as err:
        ControlPlane.start(tmp_path / "state", nodes=0, bins=bins, timeout=20, verbose=False)
    msg = str(err.value)
    assert "etcd exited with code 3" in msg
    assert "boom: cannot open the data dir" in msg
    state = json.loads((tmp_path / "state" / "state.json").read_text())
    assert state["pids"] == {}
    after = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    assert not {d for d in after - before if d.startswith("podwhy-etcd-")}


def _raw(live_cluster: LiveCluster, path: str) -> tuple[int, bytes, str]:
    """``kubectl get --raw PATH``: (exit code, body bytes exactly, stderr)."""
    r = subprocess.run(["kubectl", f"--kubeconfig={live_cluster.kubeconfig}",
                        f"--context={live_cluster.context}", "get", "--raw", path],
                       capture_output=True, timeout=60, check=False)
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def _bound(pod: dict[str, Any]) -> bool:
    return bool(pod.get("spec", {}).get("nodeName")) and bool(
        pod.get("status", {}).get("containerStatuses"))


def test_container_logs_through_the_apiserver(local_control_plane: ControlPlane,
                                              live_cluster: LiveCluster,
                                              namespace: str) -> None:
    """pods/log -> kube-apiserver -> kwok's kubelet endpoint (TLS, verified) -> CRI log files."""
    live_cluster.apply([live_cluster.scenario_pod("crash", "crashloop-exit1"),
                        live_cluster.scenario_pod("quiet")], namespace)
    for name in ("crash", "quiet"):
        live_cluster.wait_for_pod(namespace, name, _bound, "bound, with container statuses")
    previous = ["starting app v1.2.3", "loading config from /etc/app", "connecting to db:5432",
                "retrying in 1s", "retrying in 2s",
                "panic: dial tcp 10.96.0.7:5432: connect: connection refused"]
    current = ["starting app v1.2.3", "loading config from /etc/app"]
    local_control_plane.set_container_logs(namespace, "crash", {"app": (current, previous)})
    base = f"/api/v1/namespaces/{namespace}/pods/crash/log?container=app"

    rc, body, err = _raw(live_cluster, base + "&previous=true&tailLines=3")
    assert rc == 0, err
    assert body == (b"retrying in 1s\nretrying in 2s\n"
                    b"panic: dial tcp 10.96.0.7:5432: connect: connection refused\n")
    assert _raw(live_cluster, base + "&previous=true")[1] == "".join(
        f"{line}\n" for line in previous).encode()
    assert _raw(live_cluster, base)[1] == b"starting app v1.2.3\nloading config from /etc/app\n"
    assert _raw(live_cluster, base + "&limitBytes=10")[1] == b"starting a"
    assert _raw(live_cluster, base + "&previous=true&tailLines=2&limitBytes=16")[1] == (
        b"retrying in 2s\np")
    # timestamps: increasing, the previous log older than the current one
    rc, body, err = _raw(live_cluster, base + "&previous=true&timestamps=true")
    stamps = [line.split(b" ", 1)[0] for line in body.splitlines()]
    cur_stamps = [line.split(b" ", 1)[0]
                  for line in _raw(live_cluster, base + "&timestamps=true")[1].splitlines()]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(previous)
    assert stamps[-1] < cur_stamps[0]

    # kubectl logs, the way people read a crash loop
    r = live_cluster.kubectl("logs", "crash", "-c", "app", "--previous", "-n", namespace,
                             "--tail=1")
    assert r.stdout == "panic: dial tcp 10.96.0.7:5432: connect: connection refused\n"
    r = live_cluster.kubectl("logs", "crash", "-c", "app", "--previous", "-n", namespace)
    assert r.stdout.splitlines() == previous

    # a pod without a Logs object: empty, not an error (current and previous)
    for query in ("", "&previous=true"):
        rc, body, err = _raw(live_cluster,
                             f"/api/v1/namespaces/{namespace}/pods/quiet/log?container=app"
                             + query)
        assert (rc, body) == (0, b""), err
    assert live_cluster.kubectl("logs", "quiet", "-n", namespace).stdout == ""


def test_container_logs_are_byte_exact_and_replaceable(local_control_plane: ControlPlane,
                                                       live_cluster: LiveCluster,
                                                       namespace: str) -> None:
    big = "x" * (1024 * 1024)
    weird = ["\x1b[31mERROR\x1b[0m colours", "tab\there\r", "unicode: żółw ✓ \U0001f600",
             "  leading spaces", "", "two\nlines", "trailing newline\n"]
    # set before the pod exists: the logs are there from its first moment
    local_control_plane.set_container_logs(
        namespace, "odd", {"sidecar": (weird, [big, "after the big one"]), "app": ([], None)},
        stream="stdout")
    live_cluster.apply(live_cluster.scenario_pod("odd", "sidecar-crash"), namespace)
    live_cluster.wait_for_pod(namespace, "odd", _bound, "bound, with container statuses")
    base = f"/api/v1/namespaces/{namespace}/pods/odd/log"
    rc, body, err = _raw(live_cluster, base + "?container=sidecar")
    assert rc == 0, err
    assert body == ("\x1b[31mERROR\x1b[0m colours\ntab\there\r\nunicode: żółw ✓ \U0001f600\n"
                    "  leading spaces\n\ntwo\nlines\ntrailing newline\n").encode()
    rc, body, err = _raw(live_cluster, base + "?container=sidecar&previous=true")
    assert rc == 0, err
    assert body == (big + "\nafter the big one\n").encode()
    assert _raw(live_cluster, base + "?container=sidecar&previous=true&limitBytes=5")[1] == (
        b"xxxxx")
    assert _raw(live_cluster, base + "?container=app")[:2] == (0, b"")
    # None: no such log; the apiserver passes on the kubelet endpoint's 400
    rc, _, err = _raw(live_cluster, base + "?container=app&previous=true")
    assert rc != 0
    assert "BadRequest" in err or "no such file" in err

    # a second call replaces the first: app gets a log, sidecar falls back to empty
    local_control_plane.set_container_logs(namespace, "odd", {"app": (["again"], ["before"])})
    assert _raw(live_cluster, base + "?container=app")[1] == b"again\n"
    assert _raw(live_cluster, base + "?container=app&previous=true")[1] == b"before\n"
    assert _raw(live_cluster, base + "?container=sidecar")[:2] == (0, b"")
    local_control_plane.delete_container_logs(namespace, "odd")
    assert _raw(live_cluster, base + "?container=app&previous=true")[:2] == (0, b"")
