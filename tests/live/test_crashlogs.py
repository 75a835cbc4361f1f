"""Crash logs, live: kube-apiserver serves ``pods/log`` from kwok's kubelet endpoint (the logs
each test gives a pod with ControlPlane.set_container_logs), and podwhy puts the crashed
container's last lines into its verdict: for a crash loop, an init container, without
``pods/log`` permission, for a huge line and escape sequences, one log per verdict group of a
namespace (counted in the audit log), and at the end of a failing ``--wait``."""
from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

from control_plane import ControlPlane  # scripts/ is on sys.path (tests/live/conftest.py)

from tests.live.conftest import LiveCluster
from tests.live.test_access import (
    READ_ALL_RULES,
    Cluster,
    grant_cluster_wide,
    wait_until_allowed,
)

ROOT = Path(__file__).resolve().parents[2]

PREVIOUS = [
    "2026-11-30 10:00:00,101 INFO invoice-worker 1.19.0 starting",
    "2026-11-30 10:00:00,220 INFO connecting to db:5432 as app",
    "Traceback (most recent call last):",
    '  File "/app/worker.py", line 41, in <module>',
    '    conn = psycopg2.connect(os.environ["DATABASE_URL"])',
    'psycopg2.OperationalError: connection to server at "db" (10.96.0.7), port 5432 failed: '
    'FATAL:  password authentication failed for user "app"',
]
TELLING = PREVIOUS[-1]


def run(cluster: LiveCluster, *args: str, kubeconfig: str | None = None,
        timeout: float = 90) -> subprocess.CompletedProcess[str]:
    ctx = [] if kubeconfig else ["--context", cluster.context]
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", "--kubeconfig",
                        kubeconfig or cluster.kubeconfig, *ctx, "--color", "never", *args],
                       capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def report(r: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def crashed(cluster: LiveCluster, ns: str, name: str, scenario: str = "crashloop-exit1",
            container: str = "app") -> None:
    """A scenario pod whose ``container`` crash-loops (kwok wrote its lastState)."""
    cluster.apply(cluster.scenario_pod(name, scenario), ns)

    def done(p: dict[str, Any]) -> bool:
        st = p.get("status", {})
        return any(cs.get("name") == container and (cs.get("lastState") or {}).get("terminated")
                   for cs in (st.get("containerStatuses") or [])
                   + (st.get("initContainerStatuses") or []))
    cluster.wait_for_pod(ns, name, done, f"{container} terminated before")


def log_evidence(verdict: dict[str, Any]) -> dict[str, Any]:
    logs: list[dict[str, Any]] = [e for e in verdict["evidence"]
                                  if e["source"].startswith("logs:")]
    assert len(logs) == 1, verdict["evidence"]
    return logs[0]


def test_a_crash_loop_quotes_its_previous_run_and_a_dump_replays_it(
        local_control_plane: ControlPlane, live_cluster: LiveCluster, namespace: str,
        tmp_path: Path) -> None:
    local_control_plane.set_container_logs(namespace, "worker", {
        "app": (["current run: starting"], PREVIOUS)})
    crashed(live_cluster, namespace, "worker")
    dump = tmp_path / "dump.yaml"
    r = run(live_cluster, "worker", "-n", namespace, "-o", "json", "--dump", str(dump))
    assert r.returncode == 1, r.stderr
    assert r.stderr == ""
    item = report(r)["items"][0]
    v = item["verdict"]
    assert (v["rule"], v["container"]) == ("PW221", "app")
    assert v["summary"].endswith(f"; log: {TELLING}"), v["summary"]
    e = log_evidence(v)
    assert (e["source"], e["text"], e["lines"]) == ("logs:previous", TELLING, PREVIOUS)

    # the dump holds the log: -f shows the same verdict, log included
    replay = run(live_cluster, "-f", str(dump), "worker", "-n", namespace, "-o", "json")
    assert replay.returncode == 1, replay.stderr
    assert report(replay)["items"][0]["verdict"] == v

    # for people: the last --log-lines lines behind a bar
    table = run(live_cluster, "worker", "-n", namespace, "--log-lines", "2")
    assert "Logs:      previous run of app, last 2 lines:\n" \
           '           |     conn = psycopg2.connect(os.environ["DATABASE_URL"])\n' \
           f"           | {TELLING}\n" in table.stdout, table.stdout
    off = run(live_cluster, "worker", "-n", namespace, "--log-lines", "0", "-o", "json")
    v0 = report(off)["items"][0]["verdict"]
    assert "log:" not in v0["summary"]
    assert not [x for x in v0["evidence"] if x["source"].startswith("logs:")]


def test_an_init_container_crash_quotes_the_init_containers_log(
        local_control_plane: ControlPlane, live_cluster: LiveCluster, namespace: str) -> None:
    line = "Error: P1001: Can't reach database server at `orders-db:5432`"
    local_control_plane.set_container_logs(namespace, "orders", {
        "init": ([], ["Prisma schema loaded from prisma/schema.prisma", line, "",
                      "Please make sure your database server is running."]),
        "app": (["FATAL: never this one"], ["FATAL: never this one"])})
    crashed(live_cluster, namespace, "orders", "init-crash", container="init")
    r = run(live_cluster, "orders", "-n", namespace, "-o", "json")
    assert r.returncode == 1, r.stderr
    v = report(r)["items"][0]["verdict"]
    assert (v["rule"], v["container"], v["containerType"]) == ("PW221", "init", "init")
    assert v["summary"].endswith(f"; log: {line}"), v["summary"]
    assert log_evidence(v)["lines"][1] == line


def test_without_pods_log_permission_one_warning_and_the_verdict_as_without_logs(
        local_control_plane: ControlPlane, live_cluster: LiveCluster, namespace: str) -> None:
    local_control_plane.set_container_logs(namespace, "worker", {"app": ([], PREVIOUS)})
    crashed(live_cluster, namespace, "worker")
    user = f"podwhy-nologs-{secrets.token_hex(3)}"
    kc = str(local_control_plane.make_user_kubeconfig(user))
    with grant_cluster_wide(cast(Cluster, live_cluster), f"podwhy-nologs-{user}", [user],
                            READ_ALL_RULES):
        wait_until_allowed(cast(Cluster, live_cluster), user, "list", "events", namespace)
        r = run(live_cluster, "worker", "-n", namespace, "-o", "json", kubeconfig=kc)
        quiet = run(live_cluster, "worker", "-n", namespace, "-o", "json",
                    "--log-lines", "0")
    assert r.returncode == 1, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("warning: cannot read container logs (pods \"worker\" is "
                               f'forbidden: User "{user}" cannot get resource "pods/log"')
    assert lines[0].endswith("the verdicts are shown without them (reading them needs get on "
                             "pods/log)")
    assert report(r)["items"][0]["verdict"] == report(quiet)["items"][0]["verdict"]


def test_a_huge_log_line_is_read_up_to_the_byte_limit_and_shown_cut(
        local_control_plane: ControlPlane, live_cluster: LiveCluster, namespace: str) -> None:
    local_control_plane.set_container_logs(namespace, "worker", {
        "app": ([], ["starting", "E" * 3_000_000])})
    crashed(live_cluster, namespace, "worker")
    r = run(live_cluster, "worker", "-n", namespace)
    assert r.returncode == 1, r.stderr
    assert len(r.stdout) < 20_000
    row = [ln for ln in r.stdout.splitlines() if ln.startswith("           | E")]
    assert len(row) == 1
    assert "characters left out" in row[0]
    assert len(row[0]) < 400
    doc = report(run(live_cluster, "worker", "-n", namespace, "-o", "json"))
    e = log_evidence(doc["items"][0]["verdict"])
    assert e["lines"][0] == "starting"
    assert len(e["lines"][1]) < 2_100


def test_escape_sequences_in_a_log_never_reach_the_terminal(
        local_control_plane: ControlPlane, live_cluster: LiveCluster, namespace: str) -> None:
    evil = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[HFATAL: config \u202eelif\u202c missing"
    local_control_plane.set_container_logs(namespace, "worker", {"app": ([], [evil])})
    crashed(live_cluster, namespace, "worker")
    r = run(live_cluster, "worker", "-n", namespace)
    assert r.returncode == 1, r.stderr
    for raw in ("\x1b", "\x07", "\u202e", "\u202c"):
        assert raw not in r.stdout
    assert "| \\x1b]52;c;ZXZpbA==\\x07\\x1b[2J\\x1b[HFATAL: config \\u202eelif\\u202c " \
           "missing\n" in r.stdout, r.stdout


def test_a_namespace_of_many_crashing_pods_reads_one_log(
        local_control_plane: ControlPlane, live_cluster: LiveCluster, namespace: str) -> None:
    pod = live_cluster.scenario_pod("x", "crashloop-exit1")
    labels = {**pod["metadata"]["labels"], "app": "many"}
    live_cluster.apply({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "many"},
        "spec": {"replicas": 30, "selector": {"matchLabels": {"app": "many"}},
                 "template": {"metadata": {"labels": labels}, "spec": pod["spec"]}}},
        namespace)

    def all_crashed() -> bool:
        pods = live_cluster.get_json("pods", "-n", namespace)["items"]
        return len(pods) == 30 and all(
            (cs.get("lastState") or {}).get("terminated")
            for p in pods for cs in p.get("status", {}).get("containerStatuses") or [{}])
    deadline = time.monotonic() + 90
    while not all_crashed():
        assert time.monotonic() < deadline, "30 crash-looping pods did not come up in 90s"
        time.sleep(1)

    user = f"podwhy-many-{secrets.token_hex(3)}"
    kc = str(local_control_plane.make_user_kubeconfig(user))
    since = time.time() - 1
    rules = [*READ_ALL_RULES,
             {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
             {"apiGroups": ["apps"], "resources": ["deployments", "replicasets"],
              "verbs": ["get", "list"]}]
    with grant_cluster_wide(cast(Cluster, live_cluster), f"podwhy-many-{user}", [user], rules):
        wait_until_allowed(cast(Cluster, live_cluster), user, "get", "pods/log", namespace)
        every = run(live_cluster, "-n", namespace, "-o", "json", kubeconfig=kc)
        workload = run(live_cluster, "deploy/many", "-n", namespace, "-o", "json",
                       kubeconfig=kc)
    for r in (every, workload):
        assert r.returncode == 1, r.stderr
        assert r.stderr == ""
    assert len(report(every)["items"]) == 30

    def log_gets() -> list[dict[str, Any]]:
        return [e for e in local_control_plane.audit_events(user=user, since=since)
                if (e.get("objectRef") or {}).get("subresource") == "log"
                # a streamed answer is audited at ResponseStarted too
                and e.get("stage") == "ResponseComplete"]
    deadline = time.monotonic() + 10
    while len(log_gets()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # anything late would be counted too
    gets = log_gets()
    assert len(gets) == 2, [e.get("requestURI") for e in gets]  # one per run
    assert all(e.get("verb") == "get" for e in gets)


def test_a_failing_wait_ends_with_the_crash_in_its_own_words(
        local_control_plane: ControlPlane, live_cluster: LiveCluster, namespace: str) -> None:
    local_control_plane.set_container_logs(namespace, "worker", {"app": ([], PREVIOUS)})
    crashed(live_cluster, namespace, "worker")
    r = run(live_cluster, "worker", "-n", namespace, "--wait", "--timeout", "60s")
    assert r.returncode == 1, r.stderr
    ending = r.stdout.split("\n--wait: ", 1)[1]
    assert ending.startswith("failing after "), ending
    # one line: its runs of spaces folded
    assert f"; log: {' '.join(TELLING.split())}" in ending.splitlines()[0], ending
