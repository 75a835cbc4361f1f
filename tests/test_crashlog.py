"""The crash in its own words (kubectl_podwhy.crashlog): which logs a run reads (one per
verdict group), the line it lifts into the summary, and what it attaches to the verdict."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from kubectl_podwhy.crashlog import (
    FETCH_LINES,
    MAX_LINE_CHARS,
    attach_logs,
    log_requests,
    telling_line,
    with_log,
)
from kubectl_podwhy.report import Evidence, Finding, PodReport
from kubectl_podwhy.rules.workload import group_text
from kubectl_podwhy.snapshot import ContainerLog, Gathered, LogRequest, build_snapshots
from kubectl_podwhy.verdict import assemble, diagnose_pod
from tests.podfactory import crashloop_statuses, pod

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)

PYTHON = """\
2026-11-21 09:59:58,101 INFO starting app v1.4.2
2026-11-21 09:59:58,220 INFO connecting to db:5432
Traceback (most recent call last):
  File "/app/main.py", line 12, in <module>
    conn = psycopg2.connect(dsn)
  File "/usr/lib/python3/site-packages/psycopg2/__init__.py", line 122, in connect
    raise OperationalError(msg)
psycopg2.OperationalError: connection to server at "db" (10.0.0.7), port 5432 failed: \
FATAL:  password authentication failed for user "app"
"""
GO = """\
listening on :8080
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]

goroutine 1 [running]:
main.main()
\t/src/main.go:17 +0x1c
exit status 2
"""
JAVA = """\
Exception in thread "main" java.lang.IllegalStateException: Failed to start server
\tat com.example.App.main(App.java:31)
Caused by: java.net.BindException: Address already in use
\tat java.base/sun.nio.ch.Net.bind0(Native Method)
\t... 4 more
"""
NODE = """\
> web@1.0.0 start
> node server.js

node:events:495
      throw er; // Unhandled 'error' event
      ^

Error: listen EADDRINUSE: address already in use :::3000
    at Server.setupListenHandle [as _listen2] (node:net:1817:16)

Node.js v18.19.0
"""
JSON_LOGS = """\
{"level":"info","ts":1732183198,"msg":"starting"}
{"level":"error","ts":1732183199,"msg":"cannot open config","error":"open /etc/app/config.yaml: \
no such file or directory"}
{"level":"info","ts":1732183199,"msg":"shutting down"}
"""


GO_FATAL = "fatal error: concurrent map writes\n\n" + "".join(
    f"goroutine {i} [running]:\nnet/http.(*conn).serve(0xc000{i:03d}, {{0x7f, 0xc0}})\n"
    f"\t/usr/local/go/src/net/http/server.go:3285 +0x4b4\ncreated by net/http.(*Server).Serve"
    f" in goroutine 1\n\t/usr/local/go/src/net/http/server.go:3415 +0x485\n\n"
    for i in range(30))
NPM = """\
Error: Cannot find module 'express'
Require stack:
- /app/server.js
npm ERR! code 1
npm ERR! A complete log of this run can be found in:
npm ERR!     /root/.npm/_logs/2026-11-30T10_00_00_000Z-debug-0.log
"""


@pytest.mark.parametrize(("log", "line"), [
    (GO_FATAL, "fatal error: concurrent map writes"),
    (NPM, "Error: Cannot find module 'express'"),
    ("\x1b[31mERROR\x1b[0m cannot load /etc/app.yaml\n\x1b[32mINFO\x1b[0m exiting with "
     "status 3\n", "ERROR cannot load /etc/app.yaml"),
    ('ERROR: relation "users" already exists\nmigration failed\n',
     'ERROR: relation "users" already exists'),
    ("2026-11-30 10:00:00,123 ERROR boom\n", "ERROR boom"),
    ("E1130 10:00:00.000000       1 main.go:42] open /etc/x: no such file or directory\n"
     "I1130 10:00:00.100000       1 main.go:50] exiting\n",
     "E1130 10:00:00.000000       1 main.go:42] open /etc/x: no such file or directory"),
], ids=["go-fatal-error-above-180-frame-lines", "npm-boilerplate-below-the-error",
        "ansi-colours", "an-error-line-over-a-generic-failure", "python-logging-comma-stamp",
        "klog"])
def test_the_telling_line_is_found_past_noise(log: str, line: str) -> None:
    assert telling_line(log.splitlines()[-FETCH_LINES:]) == line


@pytest.mark.parametrize(("log", "line"), [
    (PYTHON, 'psycopg2.OperationalError: connection to server at "db" (10.0.0.7), port 5432 '
             'failed: FATAL:  password authentication failed for user "app"'),
    (GO, "panic: runtime error: invalid memory address or nil pointer dereference"),
    (JAVA, "Caused by: java.net.BindException: Address already in use"),
    (NODE, "Error: listen EADDRINUSE: address already in use :::3000"),
    (JSON_LOGS, "error: cannot open config: open /etc/app/config.yaml: no such file or "
                "directory"),
    ("starting\nlistening on :8080\nreceived SIGTERM, bye\n", "received SIGTERM, bye"),
    ("2026-11-21T09:59:59.123Z loaded 3 plugins\n2026-11-21T09:59:59.500Z exiting\n",
     "exiting"),
    ("ERROR: could not connect\nWARN retrying\n", "ERROR: could not connect"),
    ("level=info msg=\"retry after error\"\nlevel=info msg=done\n",
     "level=info msg=\"retry after error\""),
], ids=["python-traceback", "go-panic", "java-caused-by", "node-eaddrinuse", "json-lines",
        "no-error-word: the last line", "timestamps left off", "an error over a warning",
        "a routine line naming an error, over plain routine lines"])
def test_the_telling_line_is_the_cause_not_the_stack_or_the_shutdown(log: str,
                                                                     line: str) -> None:
    assert telling_line(log.splitlines()) == line


def test_a_log_of_blank_lines_tells_nothing() -> None:
    assert telling_line(["", "   ", "\t"]) is None
    assert telling_line([]) is None


def test_stack_frames_alone_fall_back_to_the_last_line() -> None:
    assert telling_line(["  File \"x.py\", line 1", "    raise Error(x)"]) == "raise Error(x)"


# --- which logs are read -----------------------------------------------------------------------

def crashloop_pod(name: str, owner_uid: str | None = "rs-1", exit_code: int = 1,
                  message: str = "") -> dict[str, object]:
    """A pod of ReplicaSet ``owner_uid`` whose container app is in CrashLoopBackOff."""
    raw = pod(name, "shop", f"uid-{name}", statuses=crashloop_statuses(
        exit_code, "Error" if exit_code else "Completed", message))
    if owner_uid is not None:
        raw["metadata"]["ownerReferences"] = [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner_uid,
            "uid": owner_uid, "controller": True}]
    return raw


def _report(name: str, owner: str | None = "rs-1", exit_code: int = 1,
            message: str = "") -> PodReport:
    raw = crashloop_pod(name, owner, exit_code, message)
    g = Gathered(pods=[raw])
    return diagnose_pod(build_snapshots(g)[0], NOW)


def test_a_namespace_of_5000_pods_crashing_alike_reads_one_log() -> None:
    first = _report("web-0")
    many = [first] + [_report(f"web-{i}") for i in range(1, 5000)]
    wanted = log_requests(many, shown=10)
    assert wanted == [LogRequest("shop", "web-0", "uid-web-0", "app", True, FETCH_LINES)]


def test_each_owner_and_each_verdict_gets_its_own_log() -> None:
    a, b = _report("web-0", owner="rs-1"), _report("api-0", owner="rs-2")
    c = _report("web-1", owner="rs-1", exit_code=0)  # another verdict (PW222) in rs-1
    wanted = log_requests([a, b, c], shown=10)
    assert [(r.pod, r.container) for r in wanted] == [("web-0", "app"), ("api-0", "app"),
                                                       ("web-1", "app")]


def test_logs_already_at_hand_are_not_read_again_and_the_count_is_bounded() -> None:
    pods = [_report(f"p{i}", owner=f"rs-{i}") for i in range(30)]
    assert len(log_requests(pods, shown=10)) == 20
    have = {log_requests(pods[:1], shown=10)[0].key}
    assert [r.pod for r in log_requests(pods[:3], shown=10, have=have)] == ["p1", "p2"]


def test_a_verdict_that_names_no_log_reads_none() -> None:
    r = _report("web-0")
    assert r.verdict is not None
    quiet = replace(r, verdict=replace(r.verdict, log_source=None))
    assert log_requests([quiet], shown=10) == []


def test_more_lines_are_read_than_shown_so_the_cause_is_found_above_a_stack() -> None:
    assert log_requests([_report("web-0")], shown=200)[0].tail_lines == 200
    assert log_requests([_report("web-0")], shown=3)[0].tail_lines == FETCH_LINES


# --- what the verdict gets ----------------------------------------------------------------------

def _log(r: PodReport, text: str, previous: bool = True) -> ContainerLog:
    req = LogRequest(r.pod.namespace, r.pod.name, r.pod.uid, "app", previous, 50)
    return ContainerLog(req, tuple(text.splitlines()))


def test_the_verdict_gets_the_last_lines_as_evidence_and_the_cause_in_its_summary() -> None:
    r = _report("web-0")
    out = with_log(r, _log(r, PYTHON), shown=3)
    v = out.verdict
    assert v is not None
    assert r.verdict is not None
    assert v.summary == (r.verdict.summary + '; log: psycopg2.OperationalError: connection to '
                         'server at "db" (10.0.0.7), port 5432 failed: FATAL:  password '
                         'authentication failed for user "app"')
    e = v.evidence[-1]
    assert e.source == "logs:previous"
    assert e.lines == tuple(PYTHON.splitlines()[-3:])
    assert out.findings == tuple(v if f is r.verdict else f for f in r.findings)


def test_a_message_that_already_holds_the_line_is_not_repeated() -> None:
    r = _report("web-0", message="FATAL: bad config")
    out = with_log(r, _log(r, "starting\nFATAL: bad config\n"), shown=10)
    assert out.verdict is not None
    assert r.verdict is not None
    assert out.verdict.summary == r.verdict.summary
    assert out.verdict.evidence[-1].text == "FATAL: bad config"


def test_an_empty_log_is_evidence_without_a_summary_line() -> None:
    r = _report("web-0")
    out = with_log(r, _log(r, "\n  \n"), shown=10)
    assert out.verdict is not None
    assert r.verdict is not None
    assert out.verdict.summary == r.verdict.summary
    assert out.verdict.evidence[-1] == Evidence("logs:previous", "the log is empty")


def test_a_log_naming_no_cause_gives_its_last_line_as_such() -> None:
    r = _report("web-0")
    out = with_log(r, _log(r, "starting\nWARN slow request 12s\ndeadlock detected in pool\n"),
                   shown=10)
    assert out.verdict is not None
    assert r.verdict is not None
    assert out.verdict.summary == r.verdict.summary + \
        "; last log line: deadlock detected in pool"


def test_a_megabyte_line_is_cut_in_the_middle() -> None:
    r = _report("web-0")
    out = with_log(r, _log(r, "E" * 1_000_000 + " fatal"), shown=10)
    assert out.verdict is not None
    line = out.verdict.evidence[-1].lines[0]
    assert len(line) < MAX_LINE_CHARS + 60
    assert line.endswith(" fatal")
    assert len(out.verdict.summary) < len(r.verdict.summary if r.verdict else "") + 300


def test_only_the_log_of_the_verdicts_own_container_and_run_is_attached() -> None:
    r = _report("web-0")
    current = _log(r, "FATAL: x", previous=False)  # the verdict names the previous run
    assert attach_logs([r], {current.request.key: current}, shown=10) == [r]
    prev = _log(r, "FATAL: x")
    assert attach_logs([r], {prev.request.key: prev}, shown=0) == [r]


def test_assemble_reads_logs_once_per_group_and_attaches_them() -> None:
    pods = [crashloop_pod(f"web-{i}", owner_uid="rs-1") for i in range(3)]
    g = Gathered(pods=pods)
    asked: list[list[LogRequest]] = []

    def read(g: Gathered, requests: list[LogRequest]) -> None:
        asked.append(list(requests))
        for req in requests:
            g.logs[req.key] = ContainerLog(req, ("FATAL: no db",))

    report = assemble(g, None, NOW, log_lines=10, read_logs=read)  # type: ignore[arg-type]
    assert [[r.pod for r in a] for a in asked] == [["web-0"]]
    verdicts: list[Finding | None] = [r.verdict for r in report.pods]
    assert verdicts[0] is not None
    assert verdicts[0].summary.endswith("; log: FATAL: no db")
    assert all(v is not None and "log:" not in v.summary for v in verdicts[1:])
    # the group's line (its first pod's verdict) says it, and whose log it is
    assert report.owners[0].groups[0].verdict is verdicts[0]
    assert group_text(report.owners[0].groups[0], 3).endswith(
        "; log of pod web-0: FATAL: no db")
    # with --log-lines 0 nothing is read
    asked.clear()
    assemble(Gathered(pods=pods), None, NOW, log_lines=0, read_logs=read)  # type: ignore[arg-type]
    assert asked == []


def test_only_the_tail_a_run_asks_for_is_judged_however_long_a_log_is() -> None:
    r = _report("web-0")
    req = LogRequest("shop", "web-0", "uid-web-0", "app", True, 10)
    log = ContainerLog(req, ("FATAL: early",) + ("a",) * 1_000_000)
    out = with_log(r, log, shown=10)
    assert out.verdict is not None
    assert out.verdict.evidence[-1].text == "a"  # FATAL is far above the tail
