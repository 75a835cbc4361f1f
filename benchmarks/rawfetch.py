#!/usr/bin/env python3
"""The physical limit of ``kubectl podwhy -A``: fetch the same LISTs, page by page, and do
nothing with them.

    KUBECONFIG=... python3 benchmarks/rawfetch.py --via kubectl   # kubectl get --raw per page
    KUBECONFIG=... python3 benchmarks/rawfetch.py --via http      # one keep-alive connection

The LISTs are those of an all-namespaces run (kubectl_podwhy.sources.cluster): pods, the
events about pods (without the lifecycle reasons no rule reads), the FailedCreate events of
workloads, nodes and PVCs, in pages of PAGE_SIZE. Bodies are read whole and not parsed (the
continue token is found near the start of each page). Prints one JSON line: pages, bytes,
seconds. Used by ``make bench`` (bench.py); asserts nothing.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import yaml

_CONTINUE = re.compile(rb'"continue":"([^"]*)"')


def lists(unread_reasons: list[str]) -> list[tuple[str, dict[str, str]]]:
    pod_events = "involvedObject.kind=Pod" + "".join(f",reason!={r}" for r in unread_reasons)
    return [("/api/v1/pods", {}),
            ("/api/v1/events", {"fieldSelector": pod_events}),
            ("/api/v1/events", {"fieldSelector": "involvedObject.kind!=Pod,reason=FailedCreate"}),
            ("/api/v1/nodes", {}),
            ("/api/v1/persistentvolumeclaims", {})]


def pages(fetch: Any, page_size: int, unread_reasons: list[str]) -> dict[str, Any]:
    n_pages = n_bytes = 0
    start = time.perf_counter()
    for path, query in lists(unread_reasons):
        token = ""
        while True:
            q = dict(query, limit=str(page_size), **({"continue": token} if token else {}))
            body: bytes = fetch(f"{path}?{urllib.parse.urlencode(q)}")
            n_pages += 1
            n_bytes += len(body)
            m = _CONTINUE.search(body[:4096])
            token = m.group(1).decode() if m else ""
            if not token:
                break
    return {"pages": n_pages, "bytes": n_bytes,
            "seconds": round(time.perf_counter() - start, 4)}


def via_kubectl(kubectl: str) -> Any:
    def fetch(url: str) -> bytes:
        return subprocess.run([kubectl, "get", "--raw", url], check=True,
                              capture_output=True).stdout
    return fetch


def via_http(tmp: str) -> Any:
    """One keep-alive HTTPS connection with the current context's credentials (client
    certificate or token), as the local control plane's kubeconfig holds them."""
    path = os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    kc = yaml.safe_load(Path(path.split(os.pathsep)[0]).read_text())
    ctx = next(c["context"] for c in kc["contexts"] if c["name"] == kc["current-context"])
    cluster = next(c["cluster"] for c in kc["clusters"] if c["name"] == ctx["cluster"])
    user = next(u["user"] for u in kc["users"] if u["name"] == ctx["user"])

    def material(key: str) -> str:
        if f"{key}-data" in user or f"{key}-data" in cluster:
            f = Path(tmp) / key
            f.write_bytes(base64.b64decode(user.get(f"{key}-data") or cluster[f"{key}-data"]))
            return str(f)
        return str(user.get(key) or cluster[key])

    tls = ssl.create_default_context(cafile=material("certificate-authority"))
    if "client-certificate-data" in user or "client-certificate" in user:
        tls.load_cert_chain(material("client-certificate"), material("client-key"))
    url = urllib.parse.urlsplit(cluster["server"])
    conn = http.client.HTTPSConnection(url.hostname or "127.0.0.1", url.port or 443,
                                       context=tls, timeout=120)
    headers = {"Accept": "application/json"}
    if user.get("token"):
        headers["Authorization"] = f"Bearer {user['token']}"

    def fetch(path: str) -> bytes:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise SystemExit(f"GET {path}: HTTP {resp.status}")
        return body
    return fetch


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--via", choices=("kubectl", "http"), required=True)
    ap.add_argument("--kubectl", default="kubectl")
    ap.add_argument("--page-size", type=int, required=True, help="podwhy's PAGE_SIZE")
    ap.add_argument("--unread-reasons", default="",
                    help="podwhy's UNREAD_EVENT_REASONS, comma-separated")
    args = ap.parse_args()
    reasons = [r for r in args.unread_reasons.split(",") if r]
    with tempfile.TemporaryDirectory() as tmp:
        fetch = via_kubectl(args.kubectl) if args.via == "kubectl" else via_http(tmp)
        print(json.dumps(pages(fetch, args.page_size, reasons)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
