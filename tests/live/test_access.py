"""Live tier: how podwhy reaches the cluster, and who it is allowed to be there.

kubeconfig handling (explicit path, ``KUBECONFIG`` lists merged like kubectl, ``--context``,
the context's namespace), token and client-certificate users, least privilege, a read-only
proof from the apiserver's audit log, the real kubectl finding the plugin, and the error paths
that must end in exit 3/4 with one ``error:`` line (timeout, connection refused, wrong CA,
forbidden, unauthorized, pod or namespace not found).

The fixtures come from ``conftest.py``; they are typed here through small protocols so this
file type-checks on its own (``mypy tests/live/test_access.py``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

# --- what the conftest fixtures provide (structural types) ----------------------------------


class Cluster(Protocol):
    """The part of ``conftest.LiveCluster`` used here."""

    kubeconfig: str
    context: str
    control_plane: ControlPlane | None

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                kubeconfig: str | os.PathLike[str] | None = None,
                timeout: float = 120.0) -> subprocess.CompletedProcess[str]: ...

    def apply(self, manifest: str | dict[str, Any] | list[dict[str, Any]],
              namespace: str | None = None) -> None: ...

    def wait_for_pod(self, namespace: str, name: str,
                     predicate: Callable[[dict[str, Any]], bool],
                     what: str = "condition", timeout: float = 30.0) -> dict[str, Any]: ...

    def wait_for_event(self, namespace: str, name: str, reason: str,
                       timeout: float = 30.0) -> dict[str, Any]: ...

    def scenario_pod(self, name: str, scenario: str | None = None) -> dict[str, Any]: ...


class ControlPlane(Protocol):
    """The part of ``scripts/control_plane.ControlPlane`` used here."""

    @property
    def tokens(self) -> dict[str, str]: ...

    def make_user_kubeconfig(self, user: str, groups: Sequence[str] = (), *,
                             name: str | None = None, namespace: str = "default") -> Path: ...

    def make_token_kubeconfig(self, user: str = "podwhy-token-user", *,
                              namespace: str = "default") -> Path: ...

    def audit_events(self, *, user: str | None = None, verb: str | None = None,
                     resource: str | None = None, namespace: str | None = None,
                     since: float | None = None) -> list[dict[str, Any]]: ...


# --- running podwhy -------------------------------------------------------------------------

BIN_DIR = Path(sys.executable).parent
CONSOLE_SCRIPT = BIN_DIR / "kubectl-podwhy"
TOKEN_USER = "podwhy-token-user"
#: A fixed reference time, so that two runs print the same ages.
NOW = "2030-01-01T00:00:00Z"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def error_line(self) -> str:
        """The single ``error:`` line on stderr (asserts there is exactly one, no traceback)."""
        lines = self.stderr.splitlines()
        assert len(lines) == 1, f"expected one stderr line, got:\n{self.stderr}"
        assert lines[0].startswith("error: "), lines[0]
        assert "Traceback" not in self.stderr
        return lines[0]

    def report(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.stdout)
        assert (doc["apiVersion"], doc["kind"]) == ("podwhy/v1", "Report")
        return doc

    def only_item(self) -> dict[str, Any]:
        items: list[dict[str, Any]] = self.report()["items"]
        assert len(items) == 1, items
        return items[0]


def _base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR")}
    env.update(extra)
    return env


def podwhy(*args: str | os.PathLike[str], env: dict[str, str] | None = None,
           cmd: Sequence[str] = (sys.executable, "-m", "kubectl_podwhy"),
           timeout: float = 60.0) -> Run:
    start = time.monotonic()
    r = subprocess.run([*cmd, *map(str, args)], capture_output=True, text=True,
                       env=env if env is not None else _base_env(), timeout=timeout,
                       check=False)
    return Run(r.returncode, r.stdout, r.stderr, time.monotonic() - start)


def concurrently(*runs: Callable[[], Run]) -> list[Run]:
    """Run independent podwhy invocations in parallel (each costs ~1 s, mostly interpreter
    and client start-up); the results in the order given."""
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        return list(pool.map(lambda run: run(), runs))


def assert_oom_verdict(item: dict[str, Any], namespace: str, name: str = "oom") -> None:
    assert (item["pod"]["namespace"], item["pod"]["name"]) == (namespace, name)
    assert item["healthy"] is False
    verdict = item["verdict"]
    assert (verdict["rule"], verdict["reason"], verdict["container"]) == (
        "PW220", "OOMKilled", "app"), verdict


# --- cluster objects ------------------------------------------------------------------------

def _app_reason(pod: dict[str, Any], state: str, kind: str) -> str | None:
    """The reason of container app's ``state`` (state or lastState) of ``kind``."""
    for cs in pod.get("status", {}).get("containerStatuses") or []:
        if cs.get("name") == "app":
            reason = ((cs.get(state) or {}).get(kind) or {}).get("reason")
            return str(reason) if reason else None
    return None


def oom_pod(cluster: Cluster, namespace: str, name: str = "oom", *,
            with_event: bool = False) -> str:
    """A ``crashloop-oom`` scenario pod (PW220), once kwok has written its status; its uid."""
    cluster.apply(cluster.scenario_pod(name, "crashloop-oom"), namespace)
    pod = cluster.wait_for_pod(namespace, name,
                               lambda p: _app_reason(p, "lastState", "terminated") == "OOMKilled",
                               "lastState OOMKilled")
    if with_event:
        cluster.wait_for_event(namespace, name, "BackOff")
    return str(pod["metadata"]["uid"])


def config_error_pod(cluster: Cluster, namespace: str, name: str) -> None:
    """A ``config-error`` scenario pod (PW210)."""
    cluster.apply(cluster.scenario_pod(name, "config-error"), namespace)
    cluster.wait_for_pod(
        namespace, name,
        lambda p: _app_reason(p, "state", "waiting") == "CreateContainerConfigError",
        "CreateContainerConfigError")


@contextmanager
def extra_namespace(cluster: Cluster, name: str) -> Iterator[str]:
    """A namespace (with its default ServiceAccount, which pods need), deleted afterwards."""
    cluster.kubectl("create", "namespace", name)
    try:
        deadline = time.monotonic() + 30
        while cluster.kubectl("get", "serviceaccount", "default", "-n", name,
                              check=False).returncode != 0:
            if time.monotonic() > deadline:
                pytest.fail(f"no ServiceAccount default in namespace {name} after 30s")
            time.sleep(0.2)
        yield name
    finally:
        cluster.kubectl("delete", "pods", "--all", "-n", name, "--grace-period=0", "--force",
                        "--wait=false", check=False)
        cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="module")
def oom_ns(live_cluster: Cluster) -> Iterator[str]:
    """A namespace shared by this module's read-only tests, holding exactly one pod:
    ``oom``, a ``crashloop-oom`` scenario pod (verdict PW220) with its BackOff event.

    Tests may add Roles and RoleBindings (for users of their own) but no pods."""
    if live_cluster.control_plane is None:
        pytest.skip("needs the local control plane (kwok scenarios)")
    with extra_namespace(live_cluster, f"t-access-{secrets.token_hex(3)}") as name:
        oom_pod(live_cluster, name, with_event=True)
        yield name


def _subjects(users: Sequence[str]) -> list[dict[str, str]]:
    return [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": u} for u in users]


def grant_in_namespace(cluster: Cluster, namespace: str, name: str, users: Sequence[str],
                       rules: list[dict[str, Any]]) -> None:
    """A Role and its RoleBinding (they go away with the namespace)."""
    rbac = "rbac.authorization.k8s.io/v1"
    cluster.apply([
        {"apiVersion": rbac, "kind": "Role", "metadata": {"name": name}, "rules": rules},
        {"apiVersion": rbac, "kind": "RoleBinding", "metadata": {"name": name},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
         "subjects": _subjects(users)},
    ], namespace)


@contextmanager
def grant_cluster_wide(cluster: Cluster, name: str, users: Sequence[str],
                       rules: list[dict[str, Any]]) -> Iterator[None]:
    """A ClusterRole and its ClusterRoleBinding, deleted afterwards."""
    rbac = "rbac.authorization.k8s.io/v1"
    cluster.apply([
        {"apiVersion": rbac, "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules},
        {"apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": {"name": name},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": name},
         "subjects": _subjects(users)},
    ])
    try:
        yield
    finally:
        cluster.kubectl("delete", "clusterrolebinding", name, "--ignore-not-found", check=False)
        cluster.kubectl("delete", "clusterrole", name, "--ignore-not-found", check=False)


def wait_until_allowed(cluster: Cluster, user: str, verb: str, resource: str,
                       namespace: str | None = None, timeout: float = 10.0) -> None:
    """RBAC reaches the authorizer through an informer: wait until it answers yes."""
    args = ["auth", "can-i", verb, resource, f"--as={user}"]
    if namespace:
        args += ["-n", namespace]
    deadline = time.monotonic() + timeout
    while True:
        r = cluster.kubectl(*args, check=False)
        if r.stdout.strip() == "yes":
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{user} still may not {verb} {resource} after {timeout:g}s: "
                        f"{r.stdout.strip()} {r.stderr.strip()}")
        time.sleep(0.2)


READ_POD_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["list"]},
]
READ_LOG_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
]
READ_NODE_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]},
]
READ_ALL_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["pods", "events", "nodes", "persistentvolumeclaims"],
     "verbs": ["get", "list", "watch"]},
]
#: what the README lists, crash logs included
READ_ALL_WITH_LOGS_RULES: list[dict[str, Any]] = [*READ_ALL_RULES, *READ_LOG_RULES]


# --- kubeconfig files -------------------------------------------------------------------------

@dataclass
class Creds:
    """The admin's cluster entry (server, CA) and user entry, from the test kubeconfig."""

    cluster: dict[str, Any]
    user: dict[str, Any]

    def broken_cluster(self, port: int) -> dict[str, Any]:
        """The same cluster entry, pointing at a port where nothing listens."""
        return dict(self.cluster, server=f"https://127.0.0.1:{port}")


@pytest.fixture
def admin(live_cluster: Cluster) -> Creds:
    raw = json.loads(live_cluster.kubectl("config", "view", "--raw", "--flatten", "--minify",
                                          "-o", "json").stdout)
    return Creds(cluster=dict(raw["clusters"][0]["cluster"]), user=dict(raw["users"][0]["user"]))


def write_kubeconfig(path: Path, *, clusters: dict[str, dict[str, Any]] | None = None,
                     users: dict[str, dict[str, Any]] | None = None,
                     contexts: dict[str, dict[str, str]] | None = None,
                     current: str | None = None) -> Path:
    """A kubeconfig with only the sections given (JSON, which is YAML)."""
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Config"}
    if clusters is not None:
        doc["clusters"] = [{"name": n, "cluster": c} for n, c in clusters.items()]
    if users is not None:
        doc["users"] = [{"name": n, "user": u} for n, u in users.items()]
    if contexts is not None:
        doc["contexts"] = [{"name": n, "context": c} for n, c in contexts.items()]
    if current is not None:
        doc["current-context"] = current
    path.write_text(json.dumps(doc, indent=2) + "\n")
    path.chmod(0o600)
    return path


def closed_port() -> int:
    """A loopback port nobody listens on (it was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# =============================================================================================
# 1. kubeconfig handling
# =============================================================================================

def test_explicit_kubeconfig_wins_over_invalid_kubeconfig_env(
        live_cluster: Cluster, oom_ns: str, admin: Creds, tmp_path: Path) -> None:
    good = write_kubeconfig(tmp_path / "good.kubeconfig", clusters={"c": admin.cluster},
                            users={"u": admin.user},
                            contexts={"ctx": {"cluster": "c", "user": "u"}}, current="ctx")
    garbage = tmp_path / "garbage.kubeconfig"
    garbage.write_text(": [ this is not yaml\n")
    broken = write_kubeconfig(tmp_path / "broken.kubeconfig",
                              clusters={"c": admin.broken_cluster(closed_port())},
                              users={"u": admin.user},
                              contexts={"ctx": {"cluster": "c", "user": "u"}}, current="ctx")
    envs = [_base_env(KUBECONFIG=str(garbage)),
            _base_env(KUBECONFIG=f"{broken}{os.pathsep}{garbage}")]
    runs = concurrently(*(lambda env=env: podwhy("oom", "-n", oom_ns, env=env)
                          for env in envs),
                        *(lambda env=env: podwhy("oom", "-n", oom_ns, "--kubeconfig", good,
                                                 "-o", "json", env=env)
                          for env in envs))
    # the environment really is unusable on its own ...
    for alone in runs[:2]:
        assert alone.returncode == 3, alone
        alone.error_line()
    # ... and --kubeconfig replaces it entirely
    for r in runs[2:]:
        assert r.returncode == 1, r
        assert r.stderr == ""
        assert_oom_verdict(r.only_item(), oom_ns)


def _split_files(tmp: Path, admin: Creds, namespace: str) -> list[Path]:
    """File A: clusters and users only; file B: the context and current-context (and a
    missing file in front, which kubectl skips)."""
    a = write_kubeconfig(tmp / "a.kubeconfig", clusters={"c": admin.cluster},
                         users={"u": admin.user})
    b = write_kubeconfig(tmp / "b.kubeconfig",
                         contexts={"ctx": {"cluster": "c", "user": "u", "namespace": namespace}},
                         current="ctx")
    return [tmp / "does-not-exist.kubeconfig", a, b]


def _two_complete_files(tmp: Path, admin: Creds, namespace: str, good_first: bool) -> list[Path]:
    """Two complete kubeconfigs, each with its own current-context: kubectl takes the
    current-context of the first file that sets one."""
    good = write_kubeconfig(
        tmp / "good.kubeconfig", clusters={"good": admin.cluster}, users={"good": admin.user},
        contexts={"good": {"cluster": "good", "user": "good", "namespace": namespace}},
        current="good")
    bad = write_kubeconfig(
        tmp / "bad.kubeconfig", clusters={"bad": admin.broken_cluster(closed_port())},
        users={"bad": admin.user},
        contexts={"bad": {"cluster": "bad", "user": "bad", "namespace": namespace}},
        current="bad")
    return [good, bad] if good_first else [bad, good]


def _same_names_in_both(tmp: Path, admin: Creds, namespace: str) -> list[Path]:
    """Both files define cluster, user and context ``shared``: the first definition wins."""
    first = write_kubeconfig(
        tmp / "first.kubeconfig", clusters={"shared": admin.cluster},
        users={"shared": admin.user},
        contexts={"shared": {"cluster": "shared", "user": "shared", "namespace": namespace}},
        current="shared")
    second = write_kubeconfig(
        tmp / "second.kubeconfig", clusters={"shared": admin.broken_cluster(closed_port())},
        users={"shared": {"token": "not-a-real-token"}},
        contexts={"shared": {"cluster": "shared", "user": "shared",
                             "namespace": f"{namespace}-elsewhere"}})
    return [first, second]


@pytest.mark.parametrize("layout", ["split-clusters-users-and-context", "good-file-first",
                                    "broken-file-first", "same-names-first-wins"])
def test_kubeconfig_env_list_is_merged_like_kubectl(
        live_cluster: Cluster, oom_ns: str, admin: Creds, tmp_path: Path, layout: str) -> None:
    if layout == "split-clusters-users-and-context":
        files = _split_files(tmp_path, admin, oom_ns)
    elif layout == "same-names-first-wins":
        files = _same_names_in_both(tmp_path, admin, oom_ns)
    else:
        files = _two_complete_files(tmp_path, admin, oom_ns, layout == "good-file-first")
    env = _base_env(KUBECONFIG=os.pathsep.join(map(str, files)))

    # what kubectl itself makes of this KUBECONFIG
    kubectl = subprocess.run(["kubectl", "get", "pod", "oom", "-o", "name",
                              "--request-timeout=5s"],
                             capture_output=True, text=True, env=env, timeout=60, check=False)
    kubectl_ok = layout != "broken-file-first"
    assert (kubectl.returncode == 0) is kubectl_ok, kubectl.stderr

    r = podwhy("oom", "-o", "json", env=env)  # no -n: the merged context's namespace
    if kubectl_ok:
        assert r.returncode == 1, r
        assert r.stderr == ""
        assert_oom_verdict(r.only_item(), oom_ns)
    else:
        assert r.returncode == 3, r
        assert r.error_line().startswith("error: cannot reach https://127.0.0.1:"), r.stderr


def test_context_flag_selects_a_non_current_context(
        live_cluster: Cluster, oom_ns: str, admin: Creds, tmp_path: Path) -> None:
    port = closed_port()
    kc = write_kubeconfig(
        tmp_path / "two-contexts.kubeconfig",
        clusters={"broken": admin.broken_cluster(port), "good": admin.cluster},
        users={"admin": admin.user},
        contexts={"broken": {"cluster": "broken", "user": "admin", "namespace": oom_ns},
                  "good": {"cluster": "good", "user": "admin", "namespace": oom_ns}},
        current="broken")

    current, r, missing = concurrently(
        lambda: podwhy("oom", "--kubeconfig", kc),
        lambda: podwhy("oom", "--kubeconfig", kc, "--context", "good", "-o", "json"),
        lambda: podwhy("oom", "--kubeconfig", kc, "--context", "no-such-context"))
    assert current.returncode == 3, current
    assert current.error_line().startswith(f"error: cannot reach https://127.0.0.1:{port}")

    assert r.returncode == 1, r
    assert r.stderr == ""
    assert_oom_verdict(r.only_item(), oom_ns)

    assert missing.returncode == 3, missing
    assert "no-such-context" in missing.error_line()


def test_namespace_comes_from_the_context_and_n_overrides_it(
        live_cluster: Cluster, oom_ns: str, admin: Creds, tmp_path: Path) -> None:
    kc = write_kubeconfig(
        tmp_path / "ns.kubeconfig", clusters={"c": admin.cluster}, users={"u": admin.user},
        contexts={"ctx": {"cluster": "c", "user": "u", "namespace": oom_ns}}, current="ctx")
    with extra_namespace(live_cluster, f"{oom_ns}-b") as other:
        # a pod of the same name there, with another problem (PW210)
        config_error_pod(live_cluster, other, "oom")

        from_context, overridden, every = concurrently(
            lambda: podwhy("oom", "--kubeconfig", kc, "-o", "json"),
            lambda: podwhy("oom", "--kubeconfig", kc, "-n", other, "-o", "json"),
            lambda: podwhy("--kubeconfig", kc, "-o", "json"))  # namespace mode

    assert from_context.returncode == 1, from_context
    assert_oom_verdict(from_context.only_item(), oom_ns)

    assert overridden.returncode == 1, overridden
    item = overridden.only_item()
    assert (item["pod"]["namespace"], item["pod"]["name"]) == (other, "oom")
    assert item["verdict"]["rule"] == "PW210"

    assert every.returncode == 1, every
    assert [(i["pod"]["namespace"], i["pod"]["name"]) for i in every.report()["items"]] == [
        (oom_ns, "oom")]


@pytest.mark.parametrize("auth", ["token", "client-certificate"])
def test_token_and_certificate_users_work_once_granted(
        local_control_plane: ControlPlane, live_cluster: Cluster, oom_ns: str,
        tmp_path: Path, auth: str) -> None:
    if auth == "token":
        user = TOKEN_USER
        kc = tmp_path / "token.kubeconfig"
        kc.write_text(local_control_plane.make_token_kubeconfig(user).read_text())
    else:
        user = f"podwhy-cert-{secrets.token_hex(3)}"
        kc = local_control_plane.make_user_kubeconfig(user, ["podwhy:testers"])

    before = podwhy("oom", "-n", oom_ns, "--kubeconfig", kc)
    assert before.returncode == 3, before
    assert "forbidden" in before.error_line()

    role = f"reader-{user}"
    grant_in_namespace(live_cluster, oom_ns, role, [user],
                       [*READ_POD_RULES, *READ_LOG_RULES])
    try:
        with grant_cluster_wide(live_cluster, f"podwhy-nodes-{user}", [user], READ_NODE_RULES):
            wait_until_allowed(live_cluster, user, "list", "events", oom_ns)
            wait_until_allowed(live_cluster, user, "get", "nodes")
            r = podwhy("oom", "-n", oom_ns, "--kubeconfig", kc, "-o", "json")
    finally:  # the token user is shared by the session: take its rights back
        live_cluster.kubectl("delete", "rolebinding,role", role, "-n", oom_ns,
                             "--ignore-not-found", check=False)
    assert r.returncode == 1, r
    assert r.stderr == ""  # events and node were readable: no warning
    item = r.only_item()
    assert_oom_verdict(item, oom_ns)
    assert "event:BackOff" in {e["source"] for e in item["verdict"]["evidence"]}


# =============================================================================================
# 2. least privilege
# =============================================================================================

def test_get_pods_only_still_gives_the_verdict_with_an_events_warning(
        local_control_plane: ControlPlane, live_cluster: Cluster, oom_ns: str) -> None:
    user = f"podwhy-getonly-{secrets.token_hex(3)}"
    grant_in_namespace(live_cluster, oom_ns, f"get-pods-{user}", [user],
                       [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])
    wait_until_allowed(live_cluster, user, "get", "pods", oom_ns)
    kc = local_control_plane.make_user_kubeconfig(user)

    r = podwhy("oom", "-n", oom_ns, "--kubeconfig", kc, "-o", "json")
    assert r.returncode == 1, r
    item = r.only_item()
    assert_oom_verdict(item, oom_ns)
    assert not [e for e in item["verdict"]["evidence"] if e["source"].startswith("event:")]
    lines = r.stderr.splitlines()
    assert lines, "expected warnings on stderr"
    assert all(line.startswith("warning: ") for line in lines), r.stderr
    assert "Traceback" not in r.stderr
    events = [line for line in lines if line.startswith("warning: events could not be read")]
    assert len(events) == 1, r.stderr
    assert "forbidden" in events[0]


@pytest.mark.parametrize("mode", ["pod", "namespace"])
def test_user_without_rbac_is_forbidden_exit_3(
        local_control_plane: ControlPlane, live_cluster: Cluster, oom_ns: str,
        mode: str) -> None:
    user = f"podwhy-nobody-{secrets.token_hex(3)}"
    kc = local_control_plane.make_user_kubeconfig(user)
    args = ["oom"] if mode == "pod" else []
    r = podwhy(*args, "-n", oom_ns, "--kubeconfig", kc)
    assert r.returncode == 3, r
    assert r.stdout == ""
    line = r.error_line()
    assert line.startswith("error: forbidden: "), line
    assert f'User "{user}"' in line


def test_unknown_token_is_unauthorized_exit_3(
        local_control_plane: ControlPlane, live_cluster: Cluster, oom_ns: str,
        tmp_path: Path) -> None:
    token = local_control_plane.tokens[TOKEN_USER]
    text = local_control_plane.make_token_kubeconfig(TOKEN_USER).read_text()
    assert token in text
    kc = tmp_path / "bogus-token.kubeconfig"
    kc.write_text(text.replace(token, secrets.token_hex(16)))
    r = podwhy("oom", "-n", oom_ns, "--kubeconfig", kc)
    assert r.returncode == 3, r
    assert r.stdout == ""
    assert r.error_line().startswith("error: unauthorized"), r.stderr


# =============================================================================================
# 3. read-only proof from the audit log
# =============================================================================================

def test_audit_log_shows_only_reads(
        local_control_plane: ControlPlane, live_cluster: Cluster, namespace: str) -> None:
    oom_pod(live_cluster, namespace, with_event=True)
    healthy = live_cluster.scenario_pod("web")
    # never scheduled (no node matches) and its claim does not exist: podwhy GETs the PVC
    waiting = live_cluster.scenario_pod("waiting")
    waiting["spec"]["nodeSelector"] = {"podwhy.test/no-such-node": "true"}
    waiting["spec"]["volumes"] = [{"name": "data",
                                   "persistentVolumeClaim": {"claimName": "data"}}]
    live_cluster.apply([healthy, waiting], namespace)
    live_cluster.wait_for_pod(namespace, "web",
                              lambda p: p.get("status", {}).get("phase") == "Running", "Running")

    user = f"podwhy-auditee-{secrets.token_hex(3)}"
    kc = local_control_plane.make_user_kubeconfig(user)
    since = time.time() - 1
    with grant_cluster_wide(live_cluster, f"podwhy-reader-{user}", [user],
                            READ_ALL_WITH_LOGS_RULES):
        for resource in ("pods", "events", "nodes", "persistentvolumeclaims"):
            wait_until_allowed(live_cluster, user, "list", resource, namespace)
        one, every = concurrently(
            lambda: podwhy("oom", "-n", namespace, "--kubeconfig", kc, "-o", "json"),
            lambda: podwhy("-n", namespace, "--kubeconfig", kc, "-o", "json"))
    assert one.returncode == 1, one
    assert_oom_verdict(one.only_item(), namespace)
    assert every.returncode == 1, every
    assert {i["pod"]["name"] for i in every.report()["items"]} == {"oom", "web", "waiting"}
    assert (one.stderr, every.stderr) == ("", "")

    wanted = {("get", "pods"), ("list", "events"), ("list", "pods"), ("get", "nodes"),
              ("get", "persistentvolumeclaims")}
    deadline = time.monotonic() + 10
    while True:
        evs = local_control_plane.audit_events(user=user, since=since)
        seen = {(e.get("verb"), (e.get("objectRef") or {}).get("resource")) for e in evs}
        if wanted <= seen or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert wanted <= seen, f"missing {wanted - seen}; seen {sorted(map(str, seen))}"
    writes = [(e.get("verb"), e.get("requestURI")) for e in evs
              if e.get("verb") not in ("get", "list", "watch")]
    assert writes == []
    # every request stayed inside the granted read permissions
    denied = [e.get("requestURI") for e in evs
              if (e.get("responseStatus") or {}).get("code") in (401, 403)]
    assert denied == []


# =============================================================================================
# 4. the real kubectl finds the plugin
# =============================================================================================

def test_kubectl_runs_the_plugin_like_the_console_script(
        live_cluster: Cluster, oom_ns: str) -> None:
    kubectl = shutil.which("kubectl")
    assert kubectl is not None
    assert CONSOLE_SCRIPT.is_file()
    env = _base_env(PATH=os.pathsep.join([str(BIN_DIR), os.environ.get("PATH", "")]))
    where = ("-n", oom_ns, "--kubeconfig", live_cluster.kubeconfig,
             "--context", live_cluster.context)
    cases = [(("oom", *where, "--now", NOW, "-o", "json"), 1),
             (("oom", *where, "--now", NOW, "--color", "never"), 1),
             (("no-such-pod", *where), 4)]
    runs = concurrently(*(lambda args=args, cmd=cmd: podwhy(*args, cmd=cmd, env=env)
                          for args, _ in cases
                          for cmd in ([kubectl, "podwhy"], [str(CONSOLE_SCRIPT)])))
    for (args, code), via_kubectl, direct in zip(cases, runs[::2], runs[1::2], strict=True):
        assert via_kubectl.returncode == direct.returncode == code, (via_kubectl, direct)
        assert via_kubectl.stdout == direct.stdout
        assert via_kubectl.stderr == direct.stderr
        if "json" in args:
            assert_oom_verdict(via_kubectl.only_item(), oom_ns)
        elif code == 1:
            assert "PW220 OOMKilled" in via_kubectl.stdout
            assert "\x1b[" not in via_kubectl.stdout
        else:
            assert via_kubectl.error_line() == (
                f'error: pod "no-such-pod" not found in namespace "{oom_ns}"')


def test_kubectl_completes_the_plugins_flags_and_the_namespaces_pods(
        live_cluster: Cluster, oom_ns: str) -> None:
    """kubectl (1.26+) asks kubectl_complete-podwhy, beside the plugin on PATH, what
    ``kubectl podwhy ... <TAB>`` offers: here -o's values, and the pods of the namespace,
    read from the cluster of the plugin's own --kubeconfig and --context."""
    kubectl = shutil.which("kubectl")
    assert kubectl is not None
    assert (BIN_DIR / "kubectl_complete-podwhy").is_file()
    env = _base_env(PATH=os.pathsep.join([str(BIN_DIR), os.environ.get("PATH", "")]))

    def offered(*words: str) -> str:
        r = subprocess.run([kubectl, "__complete", "podwhy", *words], capture_output=True,
                           text=True, env=env, timeout=60, check=False)
        assert r.returncode == 0, r
        return r.stdout

    assert offered("-o", "") == "json\ntable\nwide\nyaml\n:4\n"
    assert offered("--kubeconfig", live_cluster.kubeconfig, "--context", live_cluster.context,
                   "-n", oom_ns, "") == "oom\n:4\n"
    assert offered("--kubeconfig", live_cluster.kubeconfig, "--context", live_cluster.context,
                   "-n", oom_ns, "x") == ":4\n"


# =============================================================================================
# 5. error paths
# =============================================================================================

@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback port whose socket listens but never accepts: the TCP handshake succeeds
    (the kernel's backlog), then nothing is ever answered. Closed after the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        port: int = s.getsockname()[1]
        yield port


def test_server_that_never_answers_times_out_exit_3(
        live_cluster: Cluster, admin: Creds, silent_server: int, tmp_path: Path) -> None:
    kc = write_kubeconfig(
        tmp_path / "silent.kubeconfig", clusters={"c": admin.broken_cluster(silent_server)},
        users={"u": admin.user}, contexts={"ctx": {"cluster": "c", "user": "u"}}, current="ctx")
    r = podwhy("web", "-n", "default", "--kubeconfig", kc, "--request-timeout", "2s",
               timeout=30)
    assert r.returncode == 3, r
    line = r.error_line()
    assert "timed out" in line, line
    assert f"127.0.0.1:{silent_server}" in line
    assert r.seconds < 8, f"took {r.seconds:.1f}s with --request-timeout 2s"
    assert r.seconds >= 1.9, f"gave up after {r.seconds:.1f}s, before the 2s timeout"


def test_closed_port_cannot_reach_exit_3(live_cluster: Cluster, admin: Creds,
                                         tmp_path: Path) -> None:
    port = closed_port()
    kc = write_kubeconfig(
        tmp_path / "closed.kubeconfig", clusters={"c": admin.broken_cluster(port)},
        users={"u": admin.user}, contexts={"ctx": {"cluster": "c", "user": "u"}}, current="ctx")
    r = podwhy("web", "-n", "default", "--kubeconfig", kc, "--request-timeout", "5s")
    assert r.returncode == 3, r
    line = r.error_line()
    assert line.startswith(f"error: cannot reach https://127.0.0.1:{port}"), line
    assert "refused" in line.lower()
    assert r.seconds < 8


def _throwaway_ca(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(directory / "ca.key"),
                    "-out", str(directory / "ca.crt"), "-subj", "/CN=not-the-cluster-ca",
                    "-days", "1"], capture_output=True, check=True, timeout=30)
    return directory / "ca.crt"


def test_wrong_ca_is_a_tls_error_exit_3(live_cluster: Cluster, admin: Creds,
                                        tmp_path: Path) -> None:
    if not str(admin.cluster.get("server", "")).startswith("https://"):
        pytest.skip("the test cluster is not served over TLS")
    ca = _throwaway_ca(tmp_path / "other-ca")
    cluster = {k: v for k, v in admin.cluster.items()
               if k not in ("certificate-authority-data", "certificate-authority",
                            "insecure-skip-tls-verify")}
    cluster["certificate-authority"] = str(ca)
    kc = write_kubeconfig(tmp_path / "wrong-ca.kubeconfig", clusters={"c": cluster},
                          users={"u": admin.user},
                          contexts={"ctx": {"cluster": "c", "user": "u"}}, current="ctx")
    r = podwhy("web", "-n", "default", "--kubeconfig", kc, "--request-timeout", "10s")
    assert r.returncode == 3, r
    assert r.stdout == ""
    line = r.error_line()
    assert "certificate verify failed" in line.lower(), line
    assert "TLS" in line or "SSL" in line, line


def test_insecure_skip_tls_verify_works_silently_as_in_kubectl(live_cluster: Cluster,
                                                             admin: Creds,
                                                             tmp_path: Path) -> None:
    if not str(admin.cluster.get("server", "")).startswith("https://"):
        pytest.skip("the test cluster is not served over TLS")
    cluster = {k: v for k, v in admin.cluster.items()
               if k not in ("certificate-authority-data", "certificate-authority")}
    cluster["insecure-skip-tls-verify"] = True
    kc = write_kubeconfig(tmp_path / "insecure.kubeconfig", clusters={"c": cluster},
                          users={"u": admin.user},
                          contexts={"ctx": {"cluster": "c", "user": "u"}}, current="ctx")
    name = f"podwhy-missing-{secrets.token_hex(3)}"
    r = podwhy(name, "-n", "default", "--kubeconfig", kc, "--request-timeout", "10s")
    # the request went through (the pod is missing); urllib3's InsecureRequestWarning, two
    # raw lines per request, never reaches the screen
    assert (r.returncode, r.stderr) == (4, f'error: pod "{name}" not found in namespace '
                                           '"default"\n'), r


def test_pod_not_found_exit_4(live_cluster: Cluster) -> None:
    name = f"podwhy-missing-{secrets.token_hex(3)}"
    r = podwhy(name, "-n", "default", "--kubeconfig", live_cluster.kubeconfig,
               "--context", live_cluster.context)
    assert r.returncode == 4, r
    assert r.stdout == ""
    assert r.error_line() == f'error: pod "{name}" not found in namespace "default"'


def test_namespace_not_found_exit_4(live_cluster: Cluster) -> None:
    missing = f"podwhy-missing-{secrets.token_hex(3)}"
    r = podwhy("x", "-n", missing, "--kubeconfig", live_cluster.kubeconfig,
               "--context", live_cluster.context)
    assert r.returncode == 4, r
    assert r.stdout == ""
    line = r.error_line()
    assert line.startswith(f'error: namespace "{missing}" not found'), line
    assert 'pod "x"' in line
