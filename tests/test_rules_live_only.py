"""Rules whose input only a live lookup can provide, on hand-built bundles.

PW141 needs to know that a Node does NOT exist: a file cannot say that, the cluster source
records it after a 404 (``Gathered.missing_nodes``). The live tier checks it on a real server.
"""
from __future__ import annotations

from datetime import datetime, timezone

from kubectl_podwhy.snapshot import Gathered, build_snapshots
from kubectl_podwhy.verdict import diagnose_pod
from tests import podfactory as pf

#: rules that have a fixture here instead of in tests/fixtures (read by test_catalog)
COVERED = ("PW141",)
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)


def test_pw141_bound_pod_on_a_node_that_no_longer_exists() -> None:
    g = Gathered(pods=[pf.pod(node="gone-node")], missing_nodes={"gone-node"},
                 authoritative=True)
    r = diagnose_pod(build_snapshots(g)[0], NOW)
    assert r.verdict is not None
    assert (r.verdict.rule, r.verdict.level, r.verdict.reason, r.verdict.container) == \
        ("PW141", "pod", "NodeNotFound", None)
    assert "gone-node" in r.verdict.summary
    assert [f.rule for f in r.findings] == ["PW141"]


def test_an_unknown_node_in_a_file_is_not_a_missing_node() -> None:
    g = Gathered(pods=[pf.pod(node="not-in-the-file")])
    r = diagnose_pod(build_snapshots(g)[0], NOW)
    assert r.healthy
    assert r.findings == ()
