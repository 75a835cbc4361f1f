"""The release as krew users get it: krew (v0.4.3, built from its Go module) installs the
archive ``make dist`` built with the manifest it generated, and ``kubectl podwhy``, found by
kubectl's plugin discovery in ``$KREW_ROOT/bin`` with no Python anywhere on PATH, diagnoses a
live pod exactly as the development install does."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.distlib import ROOT, DistBuild, unavailable
from tests.live.conftest import LiveCluster, wait_for

#: kwok's crash loop (exit 1) with a log whose last line names the cause: the verdict reads
#: the pod, its events and its previous log through the API server (TLS, client cert)
SCENARIO = "crashloop-exit1"
VERDICT = ("PW221", "container", "Error", "app")


def _verdict(doc: dict[str, Any]) -> tuple[str, str, str, str] | None:
    v = doc["items"][0]["verdict"] if doc.get("items") else None
    return (v["rule"], v["level"], v["reason"], v["container"]) if v else None


def _json_run(cmd: list[str], env: dict[str, str] | None) -> tuple[int, dict[str, Any], str]:
    r = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120, env=env,
                       cwd=ROOT, stdin=subprocess.DEVNULL)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else {}), r.stderr


@pytest.fixture
def krew_root(dist_build: DistBuild, krew_tools: Path, tmp_path: Path) -> Path:
    """A KREW_ROOT where krew installed the archive from the generated manifest."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        unavailable("kubectl is not on PATH")
    tools = tmp_path / "tools"  # what `kubectl krew` needs: kubectl and kubectl-krew
    tools.mkdir()
    (tools / "kubectl").symlink_to(Path(kubectl).resolve())
    (tools / "kubectl-krew").symlink_to(krew_tools / "krew")
    root = tmp_path / "krew-root"
    env = {"PATH": str(tools), "HOME": str(tmp_path), "KREW_ROOT": str(root),
           "KREW_NO_UPGRADE_CHECK": "1"}
    r = subprocess.run([str(tools / "kubectl"), "krew", "install",
                        f"--manifest={dist_build.manifest}", f"--archive={dist_build.archive}"],
                       capture_output=True, text=True, check=False, timeout=300, env=env,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Installed plugin: podwhy" in r.stdout + r.stderr
    return root


def test_krew_installs_the_archive_and_kubectl_finds_podwhy(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str,
        krew_root: Path, tmp_path: Path) -> None:
    plugin = krew_root / "bin" / "kubectl-podwhy"
    assert plugin.is_symlink()
    assert plugin.resolve().is_relative_to((krew_root / "store" / "podwhy").resolve())
    # PATH: krew's bin and a directory holding only kubectl; no PYTHON* variables
    path = f"{krew_root / 'bin'}:{tmp_path / 'tools'}"
    for python in ("python", "python3"):
        assert shutil.which(python, path=path) is None
    plugin_env = {"PATH": path, "HOME": str(tmp_path)}
    r = subprocess.run([str(tmp_path / "tools" / "kubectl"), "plugin", "list"],
                       capture_output=True, text=True, check=False, env=plugin_env)
    assert str(plugin) in r.stdout, r.stdout + r.stderr

    live_cluster.apply(live_cluster.scenario_pod("p", SCENARIO), namespace)
    local_control_plane.set_container_logs(namespace, "p", {
        "app": ([], ["starting worker", "panic: cannot open /etc/app/config.yaml"])})
    args = ["--kubeconfig", live_cluster.kubeconfig, "--context", live_cluster.context,
            "-n", namespace, "p", "-o", "json"]
    dev = [sys.executable, "-m", "kubectl_podwhy", *args]
    wait_for(f"{VERDICT} from the development install",
             lambda: _verdict(_json_run(dev, None)[1]) == VERDICT, timeout=60)

    # judged at one fixed moment, the two agree whenever the pod did not change in between:
    # the development install before and after the plugin's run tells that it did not
    now = ["--now", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")]
    kubectl_podwhy = [str(tmp_path / "tools" / "kubectl"), "podwhy", *args, *now]
    for _ in range(5):
        before = _json_run([*dev, *now], None)
        got = _json_run(kubectl_podwhy, plugin_env)
        after = _json_run([*dev, *now], None)
        if before == after:
            break
    else:
        pytest.fail("the pod kept changing between runs")
    assert got == before
    assert got[0] == 1
    assert _verdict(got[1]) == VERDICT
    assert "panic: cannot open /etc/app/config.yaml" in json.dumps(got[1])
