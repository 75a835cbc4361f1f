"""Targets and selectors are parsed like kubectl parses them."""
from __future__ import annotations

import pytest

from kubectl_podwhy.errors import UsageError
from kubectl_podwhy.selector import parse_selector
from kubectl_podwhy.targets import Target, parse_targets


@pytest.mark.parametrize(("arg", "kind"), [
    ("web-0", "Pod"), ("pod/web-0", "Pod"), ("pods/web-0", "Pod"), ("po/web-0", "Pod"),
    ("deploy/web", "Deployment"), ("deployment/web", "Deployment"),
    ("deployments.apps/web", "Deployment"), ("deployment.v1.apps/web", "Deployment"),
    ("Deployment/web", "Deployment"), ("sts/web", "StatefulSet"),
    ("statefulsets.apps/web", "StatefulSet"), ("ds/web", "DaemonSet"),
    ("daemonset/web", "DaemonSet"), ("rs/web", "ReplicaSet"), ("replicasets/web", "ReplicaSet"),
    ("job/web", "Job"), ("jobs.batch/web", "Job"), ("cronjob/web", "CronJob"),
    ("cj/web", "CronJob"), ("cronjobs.batch/web", "CronJob"),
])
def test_every_kubectl_alias_names_its_kind(arg: str, kind: str) -> None:
    [t] = parse_targets([arg])
    assert t.kind == kind
    assert t.name == arg.rsplit("/", maxsplit=1)[-1]


def test_several_targets_keep_order_and_drop_duplicates() -> None:
    assert parse_targets(["deploy/web", "db-0", "deployment/web"]) == [
        Target("Deployment", "web"), Target("Pod", "db-0")]


@pytest.mark.parametrize("arg", ["svc/web", "deploy/", "deploy/Web", "pod/a/b", "-x", ""])
def test_bad_targets_are_usage_errors(arg: str) -> None:
    with pytest.raises(UsageError):
        parse_targets([arg])


@pytest.mark.parametrize(("selector", "labels", "match"), [
    ("app=web", {"app": "web"}, True),
    ("app==web", {"app": "web"}, True),
    ("app=web", {"app": "db"}, False),
    ("app!=web", {"app": "db"}, True),
    ("app!=web", {}, True),
    ("canary", {"canary": "true"}, True),
    ("!canary", {"canary": "true"}, False),
    ("env in (prod, staging)", {"env": "staging"}, True),
    ("env notin (prod,staging)", {"env": "staging"}, False),
    ("app=web,tier!=db", {"app": "web", "tier": "front"}, True),
    ("app=web,tier!=db", {"app": "web", "tier": "db"}, False),
    ("app.kubernetes.io/name=shop", {"app.kubernetes.io/name": "shop"}, True),
])
def test_label_selectors(selector: str, labels: dict[str, str], match: bool) -> None:
    assert parse_selector(selector)(labels) is match


@pytest.mark.parametrize("selector", ["", "a=b=c", "in (x)", "a in x", "app in ()",
                                      "a=b,,c=d", "a=b,", "a=" + "x" * 64, "x" * 64,
                                      "env in (ok, " + "y" * 64 + ")"])
def test_bad_selectors_are_usage_errors(selector: str) -> None:
    with pytest.raises(UsageError):
        parse_selector(selector)
