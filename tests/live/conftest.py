"""Live tier: tests against a real Kubernetes API server.

Where the cluster comes from, in order:

1. ``PODWHY_TEST_KUBECONFIG`` names a kubeconfig: use it (context: ``PODWHY_TEST_CONTEXT`` or
   the kubeconfig's current context). If it is the kubeconfig of a running local control plane
   (``python3 scripts/control_plane.py up --dir DIR``; use ``DIR/kubeconfig``), that control
   plane is attached (kwok scenarios work, it is left running: a fast edit-test loop);
   otherwise nothing is simulated and the kwok-dependent tests skip.
2. Go is installed or the binaries are cached: build (once per machine) and start the local
   control plane of ``scripts/control_plane.py`` (etcd, kube-apiserver, scheduler, controller
   manager, kwok) in a temporary directory; stop it at the end of the session.
3. ``docker info`` works and ``kind`` is on PATH: pytest-kind's ``kind_cluster`` fixture.
4. Otherwise skip the tier, or fail it when ``CI=true`` (a skipped live tier must fail CI).

Every test in this directory gets the ``live`` marker, so ``pytest -m live`` and
``pytest -m "not live"`` select the tiers.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, Union

import pytest

_HERE = Path(__file__).resolve().parent
_SCRIPTS = _HERE.parents[1] / "scripts"
if str(_SCRIPTS) not in sys.path:
    sys.path.insert(0, str(_SCRIPTS))

import control_plane  # noqa: E402
from control_plane import ControlPlane  # noqa: E402

T = TypeVar("T")

Manifest = Union[str, dict[str, Any], list[dict[str, Any]]]


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.live)


def wait_for(what: str, check: Callable[[], T | None], timeout: float = 30.0,
             interval: float = 0.25) -> T:
    """Poll ``check`` until it returns something truthy; return it.

    On timeout, fail with ``what`` and the last value or exception seen.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = check()
            if value:
                return value
            last = value
        except Exception as e:  # transient API errors while polling
            last = e
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}; last: {last!r}")
        time.sleep(interval)


@dataclass
class LiveCluster:
    """The cluster the live tier talks to."""

    kubeconfig: str
    context: str
    #: The local control plane (None for PODWHY_TEST_KUBECONFIG or kind clusters).
    control_plane: ControlPlane | None = None
    #: "env", "local" or "kind".
    source: str = "local"

    @property
    def simulated(self) -> bool:
        """True when pods are run by kwok (scenario labels work)."""
        return self.control_plane is not None

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                kubeconfig: str | os.PathLike[str] | None = None,
                timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Run the real kubectl against this cluster (as admin unless ``kubeconfig``)."""
        kc = str(kubeconfig or self.kubeconfig)
        cmd = ["kubectl", f"--kubeconfig={kc}"]
        if kubeconfig is None:
            cmd.append(f"--context={self.context}")
        r = subprocess.run([*cmd, *args], input=input, capture_output=True, text=True,
                           timeout=timeout, check=False)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({r.returncode}):\n"
                                 f"{r.stderr.strip()}")
        return r

    def apply(self, manifest: Manifest, namespace: str | None = None) -> None:
        """``kubectl apply -f -`` a YAML string, one object, or a list of objects."""
        if isinstance(manifest, str):
            text = manifest
        elif isinstance(manifest, list):
            text = json.dumps({"apiVersion": "v1", "kind": "List", "items": manifest})
        else:
            text = json.dumps(manifest)
        args = ["apply", "-f", "-"]
        if namespace:
            args += ["-n", namespace]
        self.kubectl(*args, input=text)

    def get_json(self, *args: str) -> Any:
        """``kubectl get ARGS -o json``, decoded."""
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def pod(self, namespace: str, name: str) -> dict[str, Any]:
        pod: dict[str, Any] = self.get_json("pod", name, "-n", namespace)
        return pod

    def events(self, namespace: str, name: str | None = None) -> list[dict[str, Any]]:
        """Events in ``namespace`` (about object ``name`` if given), oldest first."""
        args = ["events", "-n", namespace]
        if name:
            args += ["--field-selector", f"involvedObject.name={name}"]
        items: list[dict[str, Any]] = self.get_json(*args)["items"]
        return sorted(items, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")

    def wait_for_pod(self, namespace: str, name: str,
                     predicate: Callable[[dict[str, Any]], bool],
                     what: str = "condition", timeout: float = 30.0) -> dict[str, Any]:
        """Poll the pod until ``predicate(pod)`` holds; return the pod."""
        def check() -> dict[str, Any] | None:
            pod = self.pod(namespace, name)
            return pod if predicate(pod) else None
        return wait_for(f"pod {namespace}/{name}: {what}", check, timeout)

    def wait_for_event(self, namespace: str, name: str, reason: str,
                       timeout: float = 30.0) -> dict[str, Any]:
        """Wait for a (kubelet-like, i.e. already rewritten by kwok) event about ``name``."""
        def check() -> dict[str, Any] | None:
            for ev in self.events(namespace, name):
                if (ev.get("reason") == reason
                        and (ev.get("source") or {}).get("component") != "kwok_controller"):
                    return ev
            return None
        return wait_for(f"event {reason} for {namespace}/{name}", check, timeout)

    @staticmethod
    def scenario_pod(name: str, scenario: str | None = None, **kw: Any) -> dict[str, Any]:
        """A pod manifest for a kwok scenario (see scripts/kwok/README.md)."""
        return control_plane.scenario_pod_manifest(name, scenario, **kw)


def _is_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
    if _is_ci():
        pytest.fail(f"live tier cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"live tier skipped: {reason}")


def _docker_works() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        r = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def _current_context(kubeconfig: str) -> str:
    r = subprocess.run(["kubectl", f"--kubeconfig={kubeconfig}", "config", "current-context"],
                       capture_output=True, text=True, check=False)
    return r.stdout.strip()


def _attach_local(kubeconfig: str) -> ControlPlane | None:
    """The running local control plane whose kubeconfig this is (started with
    ``control_plane.py up``), so a reused cluster keeps the kwok features; else None.
    It is not stopped at the end of the session."""
    state = Path(kubeconfig).resolve().parent / control_plane.STATE_FILE
    if not state.is_file():
        return None
    try:
        cp = ControlPlane.attach(state.parent)
    except control_plane.ControlPlaneError:
        return None
    if Path(cp.kubeconfig).resolve() != Path(kubeconfig).resolve():
        return None
    return cp if "kwok" in cp.running_components() else None


@pytest.fixture(scope="session")
def live_cluster(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCluster]:
    env_kc = os.environ.get("PODWHY_TEST_KUBECONFIG")
    if env_kc:
        if not Path(env_kc).is_file():
            pytest.fail(f"PODWHY_TEST_KUBECONFIG={env_kc} does not exist", pytrace=False)
        context = os.environ.get("PODWHY_TEST_CONTEXT") or _current_context(env_kc)
        yield LiveCluster(kubeconfig=env_kc, context=context, source="env",
                          control_plane=_attach_local(env_kc))
        return

    problems = []
    if shutil.which("go") is not None or control_plane.binaries_present():
        try:
            control_plane.build()  # no-op when cached; waits on a concurrent build's lock
        except (subprocess.CalledProcessError, SystemExit, OSError) as e:
            problems.append(f"building the local control plane failed: {e}")
        else:
            state_dir = tmp_path_factory.mktemp("control-plane")
            cp = ControlPlane.start(state_dir, nodes=3, die_with_parent=True, verbose=False)
            try:
                yield LiveCluster(kubeconfig=str(cp.kubeconfig), context=cp.context,
                                  control_plane=cp, source="local")
            finally:
                cp.stop()
            return
    else:
        problems.append("Go is not installed and no control-plane binaries are cached")

    if _docker_works() and shutil.which("kind") is not None:
        try:
            kind = request.getfixturevalue("kind_cluster")
        except pytest.FixtureLookupError:
            problems.append("pytest-kind is not installed")
        else:
            yield LiveCluster(kubeconfig=str(kind.kubeconfig_path), context=f"kind-{kind.name}",
                              source="kind")
            return
    else:
        problems.append("no working docker + kind")
    _unavailable("; ".join(problems))


@pytest.fixture
def local_control_plane(live_cluster: LiveCluster) -> ControlPlane:
    """The local control plane; skips on kind / PODWHY_TEST_KUBECONFIG clusters."""
    if live_cluster.control_plane is None:
        pytest.skip(f"needs the local control plane (kwok); cluster source: {live_cluster.source}")
    return live_cluster.control_plane


@pytest.fixture
def namespace(live_cluster: LiveCluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace (with its default ServiceAccount), deleted after the test.

    Pods left Terminating (finalizers, stuck-terminating scenario) are force-removed so the
    namespace really goes away.
    """
    base = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"t-{base}-{secrets.token_hex(3)}"
    live_cluster.kubectl("create", "namespace", name)
    wait_for(f"ServiceAccount default in {name}",
             lambda: live_cluster.kubectl("get", "serviceaccount", "default", "-n", name,
                                          check=False).returncode == 0)
    try:
        yield name
    finally:
        pods = live_cluster.get_json("pods", "-n", name)["items"]
        for pod in pods:
            if pod["metadata"].get("finalizers"):
                live_cluster.kubectl("patch", "pod", pod["metadata"]["name"], "-n", name,
                                     "--type=merge", "-p", '{"metadata":{"finalizers":null}}',
                                     check=False)
        if pods:
            live_cluster.kubectl("delete", "pods", "--all", "-n", name, "--grace-period=0",
                                 "--force", "--wait=false", check=False)
        live_cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)
