#!/usr/bin/env python3
"""``make demo-cluster``: break some workloads on the local control plane and ask podwhy why.

Uses the cluster of ``make cluster-up`` (starting one if none runs in --dir), creates namespace
``podwhy-demo`` with failures from the real scheduler and controllers (a Deployment whose pods
do not fit, a missing PVC, a scheduling gate) and kubelet-side failures simulated by kwok (OOM
crash loop, image not found, missing secret, failing readiness probe, init crash, mount
failure, eviction), then runs ``kubectl podwhy -n podwhy-demo``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import control_plane

NS = "podwhy-demo"
KUBELET_SCENARIOS = ("crashloop-oom", "image-not-found", "config-error", "readiness-fail",
                     "init-crash", "mount-failed", "evicted")


def manifests() -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    for scenario in KUBELET_SCENARIOS:
        objs.append(control_plane.scenario_pod_manifest(scenario, scenario, namespace=NS))
    objs.append(control_plane.scenario_pod_manifest("frontend", None, namespace=NS))
    objs.append({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "search", "namespace": NS},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "search"}},
                 "template": {"metadata": {"labels": {"app": "search"}},
                              "spec": {"containers": [{
                                  "name": "search", "image": "registry.example/search:2",
                                  "resources": {"requests": {"cpu": "12",
                                                             "memory": "48Gi"}}}]}}}})
    objs.append({"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": "reports-0", "namespace": NS},
                 "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}],
                          "volumes": [{"name": "data", "persistentVolumeClaim": {
                              "claimName": "reports-data"}}]}})
    objs.append({"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": "batch-gated", "namespace": NS},
                 "spec": {"schedulingGates": [{"name": "example.com/quota"}],
                          "containers": [{"name": "app", "image": "registry.example/app:1"}]}})
    return objs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True, help="the control plane's state directory")
    parser.add_argument("--wait", type=float, default=8.0, help="seconds to let things fail")
    args = parser.parse_args()
    state = Path(args.dir) / control_plane.STATE_FILE
    cp = None
    if state.is_file():
        try:
            cp = control_plane.ControlPlane.attach(args.dir)
            if "kube-apiserver" not in cp.running_components():
                cp = None
        except control_plane.ControlPlaneError:
            cp = None
    if cp is None:
        print(f"demo-cluster: starting a local control plane in {args.dir}", file=sys.stderr)
        control_plane.build()
        cp = control_plane.ControlPlane.start(args.dir)
    kc = str(cp.kubeconfig)
    cp.kubectl("create", "namespace", NS, check=False)
    cp.kubectl("apply", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "List", "items": manifests()}))
    print(f"demo-cluster: created broken workloads in namespace {NS}; waiting {args.wait:g}s",
          file=sys.stderr)
    time.sleep(args.wait)
    env = dict(os.environ, KUBECONFIG=kc)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    cmd = ["kubectl", "podwhy", "-n", NS] if shutil.which("kubectl", path=env["PATH"]) \
        else [os.path.join(bindir, "kubectl-podwhy"), "-n", NS]
    print(f"$ KUBECONFIG={kc} {' '.join(cmd)}", file=sys.stderr)
    rc = subprocess.run(cmd, env=env, check=False).returncode
    print(f"\n(exit code {rc}; try: KUBECONFIG={kc} kubectl podwhy -n {NS} crashloop-oom; "
          "make cluster-down when done)", file=sys.stderr)
    return 0 if rc in (0, 1) else rc


if __name__ == "__main__":
    sys.exit(main())
