#!/usr/bin/env python3
"""Big offline inputs for ``make bench``, grown from what kubectl wrote about a real cluster.

    python3 benchmarks/bigfiles.py --capture CAPTURE.json --pods 20000 --out DIR

CAPTURE.json is ``kubectl get pods,events -A -o json``. Its pods (and the events about each)
are copied, with new names and UIDs, until there are ``--pods`` of them, then written as
DIR/big.json (kubectl's JSON layout: 4-space indent, UTF-8) and DIR/big.yaml (kubectl's YAML
shape: block style, sorted keys; written by PyYAML's C emitter), the same objects in both.
DIR/targets.json holds ``--targets`` of those pods in one namespace (``bench-targets``) and
DIR/targets.txt their names, one per line: naming them all must cost no more than not naming
any. Prints one JSON line describing the files.
"""
from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

JSON = dict[str, Any]
TARGETS_NAMESPACE = "bench-targets"


def _clone(obj: JSON) -> JSON:
    copied: JSON = json.loads(json.dumps(obj))
    return copied


def grow(capture: JSON, pods: int) -> Iterator[JSON]:
    """``pods`` pods and their events: the captured ones, then renamed copies."""
    items = capture.get("items") or []
    base = [i for i in items if i.get("kind", "Pod") == "Pod" and "spec" in i]
    events: dict[str, list[JSON]] = {}
    for e in items:
        if "involvedObject" in e:
            events.setdefault(str(e["involvedObject"].get("uid")), []).append(e)
    if not base:
        raise SystemExit("bigfiles: the capture holds no pods")
    made = 0
    copy = 0
    while made < pods:
        for pod in base:
            if made == pods:
                return
            uid = str(pod["metadata"].get("uid"))
            p = _clone(pod)
            if copy:
                p["metadata"]["name"] = f"{pod['metadata']['name']}-c{copy}"
                p["metadata"]["uid"] = str(uuid.uuid5(uuid.NAMESPACE_OID, f"{uid}/{copy}"))
            p.setdefault("kind", "Pod")
            p.setdefault("apiVersion", "v1")
            yield p
            for e in events.get(uid, []):
                ev = _clone(e)
                ev["involvedObject"]["name"] = p["metadata"]["name"]
                ev["involvedObject"]["uid"] = p["metadata"]["uid"]
                if copy:
                    ev["metadata"]["name"] = f"{e['metadata']['name']}-c{copy}"
                    ev["metadata"]["uid"] = str(uuid.uuid5(uuid.NAMESPACE_OID,
                                                           f"{e['metadata'].get('uid')}/{copy}"))
                ev.setdefault("kind", "Event")
                ev.setdefault("apiVersion", "v1")
                yield ev
            made += 1
        copy += 1


def as_list(items: list[JSON]) -> JSON:
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
            "items": items}


def write(capture: JSON, pods: int, targets: int, out: Path) -> JSON:
    out.mkdir(parents=True, exist_ok=True)
    items = list(grow(capture, pods))
    doc = as_list(items)
    with (out / "big.json").open("w", encoding="utf-8") as f:
        json.dump(doc, f, indent=4, ensure_ascii=False)
    with (out / "big.yaml").open("w", encoding="utf-8") as f:
        yaml.dump(doc, f, Dumper=yaml.CSafeDumper, default_flow_style=False,
                  allow_unicode=True, sort_keys=True)
    chosen = [_clone(i) for i in items if i["kind"] == "Pod"][:targets]
    for p in chosen:
        p["metadata"]["namespace"] = TARGETS_NAMESPACE
    with (out / "targets.json").open("w", encoding="utf-8") as f:
        json.dump(as_list(chosen), f, indent=4, ensure_ascii=False)
    (out / "targets.txt").write_text("".join(f"{p['metadata']['name']}\n" for p in chosen))
    return {"pods": sum(1 for i in items if i["kind"] == "Pod"),
            "events": sum(1 for i in items if i["kind"] == "Event"),
            "json_mb": round((out / "big.json").stat().st_size / 2**20, 1),
            "yaml_mb": round((out / "big.yaml").stat().st_size / 2**20, 1),
            "targets": len(chosen), "targets_namespace": TARGETS_NAMESPACE}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--capture", required=True, help="kubectl get pods,events -A -o json")
    ap.add_argument("--pods", type=int, default=20000)
    ap.add_argument("--targets", type=int, default=8000)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    capture = json.loads(Path(args.capture).read_text(encoding="utf-8"))
    print(json.dumps(write(capture, args.pods, args.targets, Path(args.out))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
