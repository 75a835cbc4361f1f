"""The CLI contract scripts rely on: flags, output shapes, exit codes, one-line errors."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubectl_podwhy.rules.catalog import RULES
from kubectl_podwhy.rules.docs import find_rule
from tests import podfactory as pf

ROOT = Path(__file__).parent.parent


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "KUBECONFIG")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "kubectl_podwhy", *args], input=stdin,
                          capture_output=True, text=True, env=full_env, timeout=timeout,
                          cwd=ROOT, check=False)


def write(tmp_path: Path, obj: Any, name: str = "in.yaml") -> str:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(obj) if name.endswith(".yaml") else json.dumps(obj))
    return str(p)


def assert_one_line_error(r: subprocess.CompletedProcess[str], code: int, needle: str) -> None:
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    assert needle.lower() in lines[0].lower()


def test_help_says_kubectl_podwhy_and_has_examples() -> None:
    r = run("--help")
    assert r.returncode == 0
    assert "Usage: kubectl podwhy" in r.stdout
    assert "Examples:" in r.stdout
    assert "kubectl podwhy -f incident.yaml" in r.stdout
    # each example keeps its own line (click re-wraps paragraphs not marked with \\b)
    for line in ("kubectl podwhy deploy/web -n shop", "kubectl podwhy -n shop",
                 "kubectl podwhy --list-rules", "kubectl podwhy --explain PW220"):
        assert f"\n    {line}\n" in r.stdout, line


def test_list_rules_prints_one_line_per_rule_starting_with_its_id() -> None:
    r = run("--list-rules")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert [ln.split()[0] for ln in lines] == [x.id for x in RULES]


def test_explain_prints_why_fix_and_link() -> None:
    r = run("--explain", "pw220")
    assert r.returncode == 0
    assert r.stdout.startswith("PW220 crashloop-oomkilled")
    assert "Why it happens:" in r.stdout
    assert "How to fix it:" in r.stdout
    assert "https://kubernetes.io/docs/" in r.stdout


def test_explain_unknown_rule_is_a_usage_error() -> None:
    assert_one_line_error(run("--explain", "PW999"), 2, "unknown rule")


def test_explain_finds_a_rule_by_name_and_suggests_close_names() -> None:
    r = run("--explain", "crashloop-exit")
    assert r.returncode == 0
    assert r.stdout.startswith("PW221 crashloop-exit"), r.stdout
    assert_one_line_error(run("--explain", "crashloop"), 2,
                          "(did you mean crashloop-exit, crashloop-oomkilled, ")


def test_explain_takes_every_name_as_list_rules_prints_it_in_any_case() -> None:
    # ID  level  severity  name  title
    listed = [(f[0], f[3]) for f in map(str.split, run("--list-rules").stdout.splitlines())]
    assert [(find_rule(name).id, name) for _, name in listed] == listed
    assert [find_rule(name.upper()).id for _, name in listed] == [i for i, _ in listed]
    by_name = run("--explain", "CrashLoop-Exit", "-o", "json")
    assert by_name.returncode == 0
    assert by_name.stdout == run("--explain", "PW221", "-o", "json").stdout
    doc = yaml.safe_load(run("--explain", "crashloop-exit", "-o", "yaml").stdout)
    assert (doc["id"], doc["name"]) == ("PW221", "crashloop-exit")


def test_explain_says_a_rule_with_a_deadline_waits_before_it_is_an_error() -> None:
    r = run("--explain", "PW310")
    assert "\nSeverity: waiting until its deadline, then error\n" in r.stdout
    assert "\nSeverity: error\n" in run("--explain", "PW221").stdout


def test_explain_and_list_rules_follow_output_json_and_yaml() -> None:
    doc = json.loads(run("--explain", "PW221", "-o", "json").stdout)
    assert (doc["id"], doc["name"], doc["severity"]) == ("PW221", "crashloop-exit", "error")
    listing = yaml.safe_load(run("--list-rules", "-o", "yaml").stdout)
    assert listing["kind"] == "RuleList"
    assert [x["id"] for x in listing["items"]] == [x.id for x in RULES]


def test_bad_flag_is_a_one_line_usage_error() -> None:
    assert_one_line_error(run("--bogus"), 2, "no such option")


def test_bad_output_format_is_a_usage_error() -> None:
    assert_one_line_error(run("-o", "xml", "-f", "x"), 2, "xml")


@pytest.mark.parametrize(("content", "needle"), [
    ("kind: Pod\nmetadata: {name: [unclosed\n", "malformed YAML at line"),
    ('{"kind": "Pod", ', "malformed JSON"),
    ("just a string\n", "expected Kubernetes objects"),
])
def test_malformed_input_is_exit_2_with_one_line(tmp_path: Path, content: str,
                                                 needle: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(content)
    assert_one_line_error(run("-f", str(p)), 2, needle)


def test_missing_file_is_exit_2() -> None:
    assert_one_line_error(run("-f", "/nonexistent/pods.yaml"), 2, "no such file")


def test_input_without_pods_is_exit_2(tmp_path: Path) -> None:
    f = write(tmp_path, pf.as_list(pf.event("BackOff", "x")))
    assert_one_line_error(run("-f", f), 2, "no pods in the input")


def test_named_pod_missing_from_input_is_exit_4(tmp_path: Path) -> None:
    f = write(tmp_path, pf.pod())
    assert_one_line_error(run("-f", f, "nope"), 4, 'pod "nope" not found')


def test_file_mode_never_touches_a_cluster(tmp_path: Path) -> None:
    f = write(tmp_path, pf.pod())
    r = run("-f", f, env={"KUBECONFIG": "/dev/null"})
    assert r.returncode == 0, r.stderr
    assert "healthy" in r.stdout


def test_healthy_pod_exits_0_broken_pod_exits_1(tmp_path: Path) -> None:
    ok = write(tmp_path, pf.pod(), "ok.yaml")
    bad = write(tmp_path, pf.pod(statuses=pf.crashloop_statuses()), "bad.yaml")
    assert run("-f", ok).returncode == 0
    assert run("-f", bad).returncode == 1
    assert run("-f", ok, "-f", bad).returncode == 1


def test_stdin_input_and_pod_prefix(tmp_path: Path) -> None:
    r = run("-f", "-", "pod/web-0", "--now", pf.NOW,
            stdin=json.dumps(pf.pod(statuses=pf.crashloop_statuses(exit_code=127))))
    assert r.returncode == 1
    assert "exit code 127 (command not found)" in r.stdout


def test_json_output_has_exactly_the_documented_shape(tmp_path: Path) -> None:
    f = write(tmp_path, pf.as_list(pf.pod(statuses=pf.crashloop_statuses(137, "OOMKilled")),
                                   pf.event("BackOff", "Back-off restarting failed container "
                                            "app in pod web-0_default(uid-web-0)",
                                            field_path="spec.containers{app}", count=12)))
    r = run("-f", f, "-o", "json", "--now", pf.NOW)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert set(doc) == {"apiVersion", "kind", "asOf", "asOfBasis", "state", "counts", "items",
                        "workloads"}
    assert doc["workloads"] == []
    assert (doc["apiVersion"], doc["kind"]) == ("podwhy/v1", "Report")
    assert (doc["asOf"], doc["asOfBasis"], doc["state"]) == (pf.NOW, "flag", "failing")
    assert doc["counts"] == {"pods": {"healthy": 0, "progressing": 0, "failing": 1},
                             "workloads": {"healthy": 0, "progressing": 0, "failing": 0}}
    item = doc["items"][0]
    assert set(item) == {"pod", "state", "healthy", "verdict", "findings"}
    assert item["state"] == "failing"
    assert item["pod"] == {"namespace": "default", "name": "web-0", "uid": "uid-web-0",
                           "node": "node-1", "phase": "Running", "status": "CrashLoopBackOff"}
    assert item["healthy"] is False
    v = item["verdict"]
    assert set(v) == {"rule", "level", "severity", "reason", "container", "containerType",
                      "summary", "detail", "hint", "docs", "nextCommand", "since", "deadline",
                      "evidence"}
    assert (v["severity"], v["since"], v["deadline"]) == ("error", None, None)
    # the table's "Next:" line
    assert v["nextCommand"] == "kubectl logs web-0 -n default -c app --previous"
    assert (v["rule"], v["level"], v["reason"], v["container"], v["containerType"]) == \
        ("PW220", "container", "OOMKilled", "app", "app")
    assert item["findings"][0] == v
    for e in v["evidence"]:
        assert set(e) == {"source", "text", "count", "lastSeen"}
    backoff = next(e for e in v["evidence"] if e["source"] == "event:BackOff")
    assert (backoff["count"], backoff["lastSeen"]) == (12, "2026-11-21T09:58:00Z")


def test_yaml_output_is_the_same_content_as_json(tmp_path: Path) -> None:
    f = write(tmp_path, pf.pod(statuses=pf.crashloop_statuses()))
    j = json.loads(run("-f", f, "-o", "json", "--now", pf.NOW).stdout)
    y = yaml.safe_load(run("-f", f, "-o", "yaml", "--now", pf.NOW).stdout)
    assert j == y


def test_healthy_pod_json_has_null_verdict(tmp_path: Path) -> None:
    doc = json.loads(run("-f", write(tmp_path, pf.pod()), "-o", "json").stdout)
    assert doc["items"][0]["healthy"] is True
    assert doc["items"][0]["verdict"] is None
    assert doc["items"][0]["findings"] == []


def test_single_pod_table_shows_detail_block_with_next_command(tmp_path: Path) -> None:
    f = write(tmp_path, pf.pod(statuses=pf.crashloop_statuses()))
    r = run("-f", f, "--now", pf.NOW)
    head = r.stdout.splitlines()[0].split()
    assert head == ["NAMESPACE", "NAME", "STATUS", "STATE", "LEVEL", "CONTAINER", "REASON",
                    "SUMMARY"]
    assert "State:     failing\n" in r.stdout
    assert "Verdict:   PW221 Error" in r.stdout
    assert "Fix:" in r.stdout
    assert "Docs:      https://kubernetes.io/docs/" in r.stdout
    assert "Next:      kubectl logs web-0 -n default -c app --previous" in r.stdout


def test_wide_output_adds_kubectls_ready_restarts_age_and_rule_and_node(tmp_path: Path) -> None:
    f = write(tmp_path, pf.pod(statuses=pf.crashloop_statuses()))
    lines = run("-f", f, "-o", "wide", "--now", pf.NOW).stdout.splitlines()
    assert [re.split(r"\s{2,}", ln)[:11] for ln in lines[:2]] == [
        ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "STATE", "RULE", "LEVEL",
         "CONTAINER", "REASON"],
        ["default", "web-0", "0/1", "CrashLoopBackOff", "7 (5m ago)", "60m", "failing", "PW221",
         "container", "app", "Error"]]


def test_no_headers_prints_rows_only_and_is_ignored_by_json_like_kubectl(tmp_path: Path) -> None:
    f = write(tmp_path, pf.pod(statuses=pf.crashloop_statuses()))
    rows = run("-f", f, "--no-headers", "--now", pf.NOW)
    assert rows.returncode == 1  # the verdict's exit code, as without it
    assert rows.stdout == (
        "default  web-0  CrashLoopBackOff  failing  container  app  Error  container app keeps "
        "crashing: exit code 1 (application error), restarted 7 times\n")
    assert run("-f", f, "--no-headers=false", "--now", pf.NOW).stdout.startswith("NAMESPACE ")
    assert run("-f", f, "--no-headers=true", "--now", pf.NOW).stdout == rows.stdout
    assert run("-f", f, "--no-headers", "-o", "json", "--now", pf.NOW).stdout == \
        run("-f", f, "-o", "json", "--now", pf.NOW).stdout
    assert_one_line_error(run("-f", f, "--no-headers=yes"), 2,
                          "invalid value 'yes' for --no-headers: use true or false")


def test_terminal_escapes_from_the_cluster_never_reach_the_screen(tmp_path: Path) -> None:
    evil = "boom \x1b[2J\x1b]0;pwned\x07\x1b[31mred\x9b1m \x07bell"
    f = write(tmp_path, pf.pod(statuses=pf.crashloop_statuses(message=evil)), "e.json")
    for fmt in ("table", "wide"):
        r = run("-f", f, "-o", fmt, "--color", "never", "--now", pf.NOW)
        assert "\x1b" not in r.stdout
        assert "\x07" not in r.stdout
        assert "\x9b" not in r.stdout
        assert "boom" in r.stdout


def test_color_always_colours_and_never_or_no_color_does_not(tmp_path: Path) -> None:
    f = write(tmp_path, pf.pod(statuses=pf.crashloop_statuses()))
    assert "\x1b[31m" in run("-f", f, "--color", "always").stdout
    assert "\x1b[" not in run("-f", f, "--color", "never").stdout
    # auto: not a terminal here, and NO_COLOR is honoured too
    assert "\x1b[" not in run("-f", f, env={"NO_COLOR": "1"}).stdout


def test_directory_input_reads_every_file_recursively(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    write(tmp_path / "a", pf.pod("one", uid="u1"), "one.yaml")
    write(tmp_path, pf.pod("two", uid="u2"), "two.json")
    doc = json.loads(run("-f", str(tmp_path), "-o", "json").stdout)
    assert sorted(i["pod"]["name"] for i in doc["items"]) == ["one", "two"]


def test_namespace_filter_applies_to_files(tmp_path: Path) -> None:
    f = write(tmp_path, pf.as_list(pf.pod("a", "shop", "u1"), pf.pod("b", "other", "u2")))
    doc = json.loads(run("-f", f, "-n", "shop", "-o", "json").stdout)
    assert [i["pod"]["name"] for i in doc["items"]] == ["a"]


def test_unknown_target_type_is_a_usage_error(tmp_path: Path) -> None:
    assert_one_line_error(run("svc/web", "-f", write(tmp_path, pf.pod())), 2,
                          "unsupported target type 'svc'")


def test_workload_target_missing_from_input_is_exit_4(tmp_path: Path) -> None:
    assert_one_line_error(run("deploy/web", "-f", write(tmp_path, pf.pod())), 4,
                          'deployment "web" not found in the input')


@pytest.mark.parametrize("value", ["abc", "5x", "-1s"])
def test_bad_request_timeout_is_a_usage_error(value: str) -> None:
    assert_one_line_error(run("web", "--request-timeout", value,
                              env={"KUBECONFIG": "/dev/null"}), 2, "request-timeout")


def test_no_usable_kubeconfig_is_exit_3(tmp_path: Path) -> None:
    assert_one_line_error(run("web", env={"KUBECONFIG": "/dev/null"}), 3, "kubeconfig")
    assert_one_line_error(run("web", "--kubeconfig", str(tmp_path / "none")), 3, "kubeconfig")
    garbage = tmp_path / "garbage"
    garbage.write_text("{{{ not yaml")
    assert_one_line_error(run("web", "--kubeconfig", str(garbage)), 3, "kubeconfig")


def test_unknown_context_is_exit_3(tmp_path: Path) -> None:
    kc = tmp_path / "kc"
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "a",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u"}}]}))
    assert_one_line_error(run("web", "--kubeconfig", str(kc), "--context", "nope"), 3, "nope")


def test_connection_refused_is_exit_3_and_fast(tmp_path: Path) -> None:
    kc = tmp_path / "kc"
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "a",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1",
                                               "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u"}}]}))
    r = run("web", "--kubeconfig", str(kc), "--request-timeout", "5s", timeout=30)
    assert_one_line_error(r, 3, "cannot reach https://127.0.0.1:1")


def test_python_dash_m_and_console_script_agree(tmp_path: Path) -> None:
    f = write(tmp_path, pf.pod(statuses=pf.crashloop_statuses()))
    script = Path(sys.executable).parent / "kubectl-podwhy"
    a = subprocess.run([str(script), "-f", f, "-o", "json", "--now", pf.NOW],
                       capture_output=True, text=True, check=False)
    b = run("-f", f, "-o", "json", "--now", pf.NOW)
    assert (a.returncode, a.stdout) == (b.returncode, b.stdout)


def _owned(name: str, uid: str, statuses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    p = pf.pod(name, "shop", uid, statuses=statuses)
    p["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                         "name": "web-7d9c", "uid": "rs-uid",
                                         "controller": True}]
    return p


def test_many_pods_are_grouped_by_owner_and_healthy_ones_counted(tmp_path: Path) -> None:
    f = write(tmp_path, pf.as_list(
        _owned("web-7d9c-a", "a", pf.crashloop_statuses()),
        _owned("web-7d9c-b", "b", pf.crashloop_statuses()),
        _owned("web-7d9c-c", "c"),
        pf.pod("other", "shop", "o")))
    r = run("-f", f, "--color", "never", "--now", pf.NOW)
    assert r.returncode == 1
    table = r.stdout.split("\n\n")[0]
    assert "web-7d9c-a" in table
    assert "web-7d9c-c" not in table
    assert ("4 pods: 2 failing, 0 progressing, 2 healthy (not listed; --show-healthy lists "
            "them)") in r.stdout
    assert ("ReplicaSet shop/web-7d9c: 2 of 3 pods: Error in container app: container app "
            "keeps crashing") in r.stdout
    assert "outliers: web-7d9c-c (healthy)" in r.stdout
    shown = run("-f", f, "--color", "never", "--show-healthy").stdout
    assert "web-7d9c-c" in shown.split("\n\n")[0]
    doc = json.loads(run("-f", f, "-o", "json", "--now", pf.NOW).stdout)
    [w] = doc["workloads"]
    assert (w["kind"], w["namespace"], w["name"], w["state"], w["healthy"]) == (
        "ReplicaSet", "shop", "web-7d9c", "failing", False)
    assert [(g["count"], g["of"], (g["verdict"] or {}).get("rule")) for g in w["groups"]] == [
        (2, 3, "PW221"), (1, 3, None)]
    assert w["groups"][0]["pods"] == ["shop/web-7d9c-a", "shop/web-7d9c-b"]


def test_workload_target_offline_has_the_workload_shape() -> None:
    f = str(ROOT / "tests" / "fixtures" / "live-wl-progress-deadline.yaml")
    ns = yaml.safe_load(Path(f).read_text().split("\n---")[0])["namespace"]
    r = run("-f", f, "deploy/web", "-n", ns, "-o", "json")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    [w] = doc["workloads"]
    assert set(w) == {"kind", "namespace", "name", "uid", "replicas", "state", "healthy",
                      "verdict", "findings", "groups", "owners"}
    assert w["state"] == "failing"
    assert (w["kind"], w["name"], w["verdict"]["rule"], w["verdict"]["level"]) == (
        "Deployment", "web", "PW302", "workload")
    assert set(w["replicas"]) == {"desired", "ready", "available", "updated", "pods"}
    assert [o["kind"] for o in w["owners"]] == ["ReplicaSet"]
    assert all(i["verdict"]["rule"] == "PW201" for i in doc["items"])
    table = run("-f", f, "deploy/web", "-n", ns, "--color", "never").stdout
    assert table.startswith(f"Deployment {ns}/web  0/2 ready  (failing)")
    assert "PW302 ProgressDeadlineExceeded: rollout stuck" in table
    assert "└─ ReplicaSet web-" in table


def test_selector_filters_file_input(tmp_path: Path) -> None:
    a = pf.pod("a", "shop", "ua")
    a["metadata"]["labels"] = {"app": "web"}
    b = pf.pod("b", "shop", "ub", statuses=pf.crashloop_statuses())
    b["metadata"]["labels"] = {"app": "db"}
    f = write(tmp_path, pf.as_list(a, b))
    doc = json.loads(run("-f", f, "-l", "app=web", "-o", "json").stdout)
    assert [i["pod"]["name"] for i in doc["items"]] == ["a"]
    # a selector that matches nothing is a typo, not an all-clear: not found, as live
    assert_one_line_error(run("-f", f, "-l", "app=nope"), 4, "no pods match 'app=nope'")
    assert_one_line_error(run("-f", f, "-l", "a=b=c"), 2, "invalid label selector")


def _unscheduled(name: str, uid: str) -> dict[str, Any]:
    p = pf.pod(name, "shop", uid, phase="Pending")
    del p["spec"]["nodeName"]
    p["status"] = {"phase": "Pending"}
    return p


def test_progressing_exits_5_and_failing_after_the_deadline_exits_1(tmp_path: Path) -> None:
    f = write(tmp_path, _unscheduled("new", "u1"))  # created 2026-11-21T09:00:00Z
    soon = run("-f", f, "-o", "json", "--now", "2026-11-21T09:00:30Z")
    assert soon.returncode == 5, soon.stderr
    item = json.loads(soon.stdout)["items"][0]
    assert (item["state"], item["healthy"], item["verdict"]["rule"],
            item["verdict"]["severity"]) == ("progressing", False, "PW130", "waiting")
    assert item["verdict"]["deadline"] == "2026-11-21T09:02:00Z"
    later = run("-f", f, "-o", "json", "--now", "2026-11-21T09:10:00Z")
    assert later.returncode == 1, later.stderr
    assert json.loads(later.stdout)["items"][0]["verdict"]["severity"] == "error"


def test_the_exit_code_is_the_worst_state_of_the_targets(tmp_path: Path) -> None:
    ok = pf.pod("ok", "shop", "u-ok")
    new = _unscheduled("new", "u-new")
    bad = pf.pod("bad", "shop", "u-bad", statuses=pf.crashloop_statuses())
    now = ("--now", "2026-11-21T09:00:30Z")
    assert run("-f", write(tmp_path, pf.as_list(ok, new), "a.json"), *now).returncode == 5
    both = write(tmp_path, pf.as_list(ok, new, bad), "b.json")
    assert run("-f", both, *now).returncode == 1
    # named pods: only they count
    assert run("-f", both, "ok", *now).returncode == 0
    assert run("-f", both, "ok", "new", *now).returncode == 5


def test_namespace_runs_list_what_is_down_first(tmp_path: Path) -> None:
    warned = pf.pod("a-warned", "shop", "u-w")
    warned["status"]["containerStatuses"][0].update(restartCount=1, lastState={"terminated": {
        "exitCode": 137, "reason": "OOMKilled", "finishedAt": "2026-11-21T08:59:30Z"}})
    f = write(tmp_path, pf.as_list(warned, _unscheduled("b-new", "u-n"),
                                   pf.pod("c-bad", "shop", "u-b",
                                          statuses=pf.crashloop_statuses())))
    r = run("-f", f, "--color", "never", "--now", "2026-11-21T09:00:30Z")
    names = [ln.split()[1] for ln in r.stdout.splitlines()[1:4]]
    assert names == ["c-bad", "b-new", "a-warned"]
    assert ("3 pods: 1 failing, 1 progressing, 1 healthy (1 with warnings)"
            in r.stdout), r.stdout


def test_capture_time_of_a_dump_is_the_reference_for_f(tmp_path: Path) -> None:
    doc = pf.as_list(_unscheduled("new", "u1"))
    doc["metadata"] = {"annotations": {"kubectl-podwhy/captured-at": "2026-11-21T09:01:00Z"}}
    r = run("-f", write(tmp_path, doc, "d.json"), "-o", "json")
    out = json.loads(r.stdout)
    assert (out["asOf"], out["asOfBasis"]) == ("2026-11-21T09:01:00Z", "capture")
    assert r.returncode == 5
    assert "for 60s" in out["items"][0]["verdict"]["summary"]


def test_now_must_be_a_time_and_a_now_before_the_input_is_warned(tmp_path: Path) -> None:
    f = write(tmp_path, pf.pod())
    assert_one_line_error(run("-f", f, "--now", "2026-11-21"), 2, "invalid --now")
    assert_one_line_error(run("-f", f, "--now", "0001-01-01T00:00:00Z"), 2,
                          "in the years 2 to 8999")
    assert run("-f", f, "--now", "2026-11-21t10:00:00z").returncode in (0, 1, 5)
    r = run("-f", f, "--now", "2026-11-21T08:00:00Z")
    assert "warning: --now 2026-11-21T08:00:00Z is before the input's newest timestamp" \
        in r.stderr


def test_f_takes_comma_separated_files_like_kubectl(tmp_path: Path) -> None:
    a = write(tmp_path, pf.pod("one", uid="u1"), "one.yaml")
    b = write(tmp_path, pf.pod("two", uid="u2"), "two.json")
    doc = json.loads(run("-f", f"{a},{b}", "-o", "json").stdout)
    assert sorted(i["pod"]["name"] for i in doc["items"]) == ["one", "two"]


def test_several_captures_are_each_judged_at_their_own_capture_time(tmp_path: Path) -> None:
    def captured(name: str, uid: str, at: str) -> str:
        doc = pf.as_list(_unscheduled(name, uid))  # created 2026-11-21T09:00:00Z
        doc["metadata"] = {"annotations": {"kubectl-podwhy/captured-at": at}}
        return write(tmp_path, doc, f"{name}.json")
    early = captured("early", "u1", "2026-11-21T09:01:00Z")
    late = captured("late", "u2", "2026-11-21T11:00:00Z")
    r = run("-f", early, "-f", late, "-o", "json")
    doc = json.loads(r.stdout)
    states = {i["pod"]["name"]: i["state"] for i in doc["items"]}
    assert states == {"early": "progressing", "late": "failing"}
    assert (doc["asOf"], doc["asOfBasis"]) == ("2026-11-21T11:00:00Z", "capture")
    table = run("-f", early, "-f", late, "--color", "never").stdout
    assert ("As of:     each capture's own time, 2026-11-21T09:01:00Z to 2026-11-21T11:00:00Z "
            "(recorded by --dump)") in table


def test_selector_keeps_the_workloads_whose_pods_it_would_select(tmp_path: Path) -> None:
    """-l app=web on a capture with a ReplicaSet that cannot create any pod: the ReplicaSet
    is what the selector is about, so the run is failing, not empty or healthy."""
    def rs(name: str, uid: str, app: str) -> dict[str, Any]:
        return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": name, "namespace": "shop", "uid": uid,
                             "creationTimestamp": "2026-11-21T09:00:00Z"},
                "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": app}}}},
                "status": {"replicas": 0}}
    failed = pf.event("FailedCreate", 'Error creating: pods "web-7d9c-" is forbidden: error '
                      'looking up service account shop/web: serviceaccount "web" not found',
                      uid="rs-uid", name="web-7d9c", kind="ReplicaSet")
    failed["involvedObject"]["namespace"] = "shop"
    f = write(tmp_path, pf.as_list(rs("web-7d9c", "rs-uid", "web"),
                                   rs("db-5f6d", "db-uid", "db"), failed))
    r = run("-f", f, "-l", "app=web", "-o", "json", "--now", pf.NOW)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert [(w["name"], w["state"], w["verdict"]["rule"]) for w in doc["workloads"]] == [
        ("web-7d9c", "failing", "PW301")]
    # without a selector match, that is: nothing
    assert_one_line_error(run("-f", f, "-l", "app=nope"), 4, "no pods match")


def test_the_same_pod_in_two_captures_is_judged_from_the_newer(tmp_path: Path) -> None:
    def capture(name: str, at: str, statuses: list[dict[str, Any]] | None) -> str:
        doc = pf.as_list(pf.pod("web-0", "shop", "u1", statuses=statuses))
        doc["metadata"] = {"annotations": {"kubectl-podwhy/captured-at": at}}
        return write(tmp_path, doc, name)
    newer = capture("a-after.json", "2026-11-21T10:00:00Z", None)  # Running and Ready
    older = capture("b-before.json", "2026-11-21T09:01:00Z", pf.crashloop_statuses())
    for order in ((newer, older), (older, newer)):  # whatever the order read
        r = run("-f", order[0], "-f", order[1], "-o", "json")
        assert r.returncode == 0, r.stdout
        assert [i["state"] for i in json.loads(r.stdout)["items"]] == ["healthy"]


@pytest.mark.parametrize(("args", "expected"), [
    (["-o=json", "-n=shop", "-l=app=web", "-f=x.yaml"],
     ["-o", "json", "-n", "shop", "-l", "app=web", "-f", "x.yaml"]),
    (["-A=true", "--all-namespaces=false", "--show-healthy=True", "--debug=0"],
     ["-A", "--show-healthy"]),
    (["--output=json", "-ojson", "web", "--", "-o=json"],
     ["--output=json", "-ojson", "web", "--", "-o=json"]),
])
def test_flag_spellings_kubectl_accepts_are_accepted(args: list[str],
                                                     expected: list[str]) -> None:
    from kubectl_podwhy.cli import kubectl_style
    assert kubectl_style(args) == expected


def test_a_boolean_flag_with_another_value_is_a_usage_error() -> None:
    r = run("-A=maybe")
    assert (r.returncode, r.stderr) == (2, "error: invalid value 'maybe' for -A: use true or "
                                           "false\n")


def test_a_bad_request_timeout_is_a_usage_error_with_f_too() -> None:
    r = run("-f", "examples/frontend-healthy.yaml", "--request-timeout", "abc")
    assert (r.returncode, r.stderr) == (2, "error: invalid --request-timeout 'abc': use e.g. "
                                           "30s, 1m or 0 for none\n")


def test_a_selector_that_leaves_out_the_new_replicaset_does_not_call_an_old_one_new() -> None:
    example = str(ROOT / "examples" / "web-rollout-stalled.yaml")
    r = run("-f", example, "-l", "pod-template-hash!=86996c9c99")
    assert "ReplicaSet web-8b99dc548 (revision 1, old): 2 pods" in r.stdout, r.stdout
    assert "new)" not in r.stdout
    assert r.returncode != 0  # the Deployment's rollout is not done: never an all-clear


@pytest.mark.parametrize("namespace", ["kube-system/secrets?x=", "x#frag", "", "A", "a" * 64,
                                       "../../apis"])
def test_a_namespace_that_cannot_exist_is_a_usage_error_before_any_request(
        namespace: str) -> None:
    r = run("-n", namespace, "web", env={"KUBECONFIG": "/nonexistent"})
    assert_one_line_error(r, 2, "invalid namespace")


def test_an_empty_explain_or_a_blank_request_timeout_is_a_usage_error() -> None:
    assert_one_line_error(run("--explain", ""), 2, "unknown rule ''")
    assert_one_line_error(run("--request-timeout", "\n", "-f", "examples"), 2,
                          "invalid --request-timeout")
