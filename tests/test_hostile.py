"""Hostile and broken input: never a traceback, always a documented exit code, bounded time,
nothing raw on a terminal, and never "healthy" for something that cannot be read.

Hand-made inputs of each kind are in tests/cases/issue-6/; property-based generators
(hypothesis) put arbitrary JSON values into every field the snapshot reads.
"""
from __future__ import annotations

import copy
import json
import os
import re
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubectl_podwhy.render import RENDERERS, RenderOptions, sanitize
from kubectl_podwhy.snapshot import Gathered
from kubectl_podwhy.verdict import assemble
from tests import podfactory as pf

ROOT = Path(__file__).parent.parent
HOSTILE = ROOT / "tests" / "cases" / "issue-6"
#: our own variants, from two rounds of attacks on podwhy (names ending in "never-healthy"
#: are pods that must not exit 0)
VARIANTS = ROOT / "tests" / "hostile"
INPUTS = sorted([*HOSTILE.iterdir(), *VARIANTS.iterdir()])
#: the exit codes a run may end with (errors.ExitCode)
DOCUMENTED = {0, 1, 2, 3, 4, 5, 70, 130}
#: escape sequences podwhy itself writes (colour), and nothing else
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)


def run(*args: str, tty: bool = False, timeout: float = 20) -> tuple[int, str, str, float]:
    env = {**{k: v for k, v in os.environ.items() if k != "NO_COLOR"},
           "KUBECONFIG": "/dev/null"}
    cmd = [sys.executable, "-m", "kubectl_podwhy", *args]
    if tty:  # a real pseudo-terminal, as people see it
        cmd = ["script", "-qec", shlex.join(cmd), "/dev/null"]
    start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, env=env, cwd=ROOT, timeout=timeout,
                       check=False)
    took = time.monotonic() - start
    return (r.returncode, r.stdout.decode("utf-8", "replace"),
            r.stderr.decode("utf-8", "replace"), took)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_hostile_file_gets_a_documented_answer_and_valid_json(path: Path) -> None:
    code, out, err, took = run("-f", str(path), "-o", "json")
    assert "Traceback" not in err + out
    assert code in DOCUMENTED, (code, err)
    assert took < 20
    if code in (0, 1, 5):
        json.loads(out)
    else:
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("error: ")
    assert code != 70, err  # an internal error is a bug
    if path.name == "containerstatuses-null.yaml" or path.stem.endswith("never-healthy"):
        assert code != 0  # a status that cannot be read is never healthy


@pytest.mark.parametrize(("redirect", "why"), [
    (">&-", "standard output is closed"),
    (">/dev/full", "No space left on device"),
])
@pytest.mark.parametrize("args", [["-f", "examples/"], ["--list-rules"]])
def test_output_that_cannot_be_written_is_one_line_and_exit_2(redirect: str, why: str,
                                                              args: list[str]) -> None:
    if redirect == ">/dev/full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "kubectl_podwhy", *args])
    proc = subprocess.run(["sh", "-c", f"{cmd} {redirect}"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, check=False,
                          env={**os.environ, "KUBECONFIG": "/dev/null"})
    assert (proc.returncode, proc.stderr) == (2, f"error: cannot write the output: {why}\n")


@pytest.mark.parametrize(("name", "args"), [
    ("deployment-without-uid-never-healthy.json", ["deploy/web"]),
    ("job-without-uid-never-healthy.json", ["cronjob/nightly"]),
    ("owner-uid-not-a-string-never-healthy.json", ["deploy/web"]),
    ("owner-references-an-object-never-healthy.json", ["deploy/web"]),
    ("namespace-empty-never-healthy.json", ["-n", "default"]),
    ("replicaset-owning-itself-never-healthy.json", ["rs/web-1"]),
])
def test_a_target_over_damaged_input_is_never_healthy(name: str, args: list[str]) -> None:
    # the owner-chain walk (or -n) must not lose the object that is not working, nor list it
    # twice
    code, out, err, _ = run("-f", str(VARIANTS / name), *args)
    assert code == 1, (out, err)
    assert out.count("1 of 1 pod:") <= 1, out


@pytest.mark.parametrize("output", ["table", "yaml"])
@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_hostile_file_puts_nothing_raw_on_a_terminal(path: Path, output: str) -> None:
    _, out, err, _ = run("-f", str(path), "-o", output, tty=True)
    shown = _COLOUR.sub("", out + err).replace("\r\n", "\n")
    raw = [c for c in shown if (ord(c) < 0x20 and c not in "\n") or 0x7f <= ord(c) <= 0x9f
           or 0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069]
    assert raw == [], repr(shown[:400])
    assert "Traceback" not in shown


def test_an_unexpected_error_is_one_line_and_exit_70(tmp_path: Path) -> None:
    """The last resort: a bug is never a verdict (1) nor a traceback, unless asked for."""
    # the CLI imports the engine when it runs (start-up time): the bug is planted there
    code = ("import sys, kubectl_podwhy.cli as c, kubectl_podwhy.verdict as v\n"
            "def boom(*a, **k): raise KeyError('surprise')\n"
            "v.assemble = boom\n"
            "c.main(sys.argv[1:])\n")
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(pf.pod()))
    env = {**os.environ, "KUBECONFIG": "/dev/null"}
    r = subprocess.run([sys.executable, "-c", code, "-f", str(f)], capture_output=True,
                       text=True, env=env, cwd=ROOT, check=False)
    assert r.returncode == 70
    assert r.stderr.startswith("error: internal error: KeyError: 'surprise'; please report")
    assert "Traceback" not in r.stderr
    debug = subprocess.run([sys.executable, "-c", code, "-f", str(f), "--debug"],
                           capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert "Traceback" in debug.stderr


@pytest.mark.parametrize(("content", "needle"), [
    ("kind: Pod\nmetadata: {name: a, name: b}\n", "duplicate key 'name'"),
    ('{"kind": "Pod", "metadata": {"name": "a", "name": "b"}}', "duplicate key 'name'"),
    ("a: &x [1]\nb: *x\n", "anchors and aliases are not accepted"),
])
def test_yaml_and_json_that_kubectl_would_not_write_are_refused(tmp_path: Path, content: str,
                                                                needle: str) -> None:
    f = tmp_path / "in.yaml"
    f.write_text(content)
    code, _, err, _ = run("-f", str(f))
    assert code == 2
    assert needle in err


@pytest.mark.parametrize("where", ["file", "stdin"])
def test_binary_input_past_the_first_slice_is_refused_at_its_first_byte(tmp_path: Path,
                                                                         where: str) -> None:
    # 20 MiB of binary: refused on its first 16 MiB, not read to the 1 GiB cap first
    f = tmp_path / "blob.bin"
    f.write_bytes(b"\xff" + bytes(range(256)) * (20 * 4096))
    if where == "file":
        code, _, err, _ = run("-f", str(f))
    else:
        with f.open("rb") as fh:
            r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", "-f", "-"], stdin=fh,
                               capture_output=True, text=True, cwd=ROOT, timeout=60,
                               check=False, env={**os.environ, "KUBECONFIG": "/dev/null"})
        code, err = r.returncode, r.stderr
    assert (code, "not UTF-8 text (byte 0, line 1)" in err) == (2, True), err


def test_non_utf8_and_closed_stdin_are_input_errors(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes(b"kind: Pod\nmetadata: {name: caf\xe9}\n")
    code, _, err, _ = run("-f", str(f))
    assert (code, "not UTF-8 text (byte 30, line 2)" in err) == (2, True), err
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", "-f", "-"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "KUBECONFIG": "/dev/null"}, check=False)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_a_pipe_and_dev_stdin_are_read(tmp_path: Path) -> None:
    pod = json.dumps(pf.pod())
    r = subprocess.run(["bash", "-c", f"{shlex.quote(sys.executable)} -m kubectl_podwhy "
                        "-f /dev/stdin -o json"], input=pod, capture_output=True, text=True,
                       cwd=ROOT, env={**os.environ, "KUBECONFIG": "/dev/null"}, check=False)
    assert r.returncode == 0, r.stderr


def test_symlink_loops_and_unreadable_directories_say_so(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    code, _, err, _ = run("-f", str(loop))
    assert code == 2
    assert "too many levels of symbolic links" in err.lower()


# --- property-based: any value in any field ---------------------------------------------------

def _json() -> st.SearchStrategy[Any]:
    leaves = (st.none() | st.booleans() | st.integers()
              | st.integers(min_value=2**31 - 2) | st.integers(max_value=-(2**31))
              | st.floats(allow_nan=True) | st.text(max_size=20)
              | st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                                 "2026-11-21T09:59:59+14:00", "\x1b]52;c;aGk=\x07", "\ud800"]))
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                        max_leaves=10)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


BASES = [pf.pod(statuses=pf.crashloop_statuses(137, "OOMKilled")),
         pf.pod(phase="Pending"), pf.pod()]
BASES[1]["status"]["containerStatuses"] = [{
    "name": "app", "ready": False, "restartCount": 0,
    "state": {"waiting": {"reason": "ContainerCreating"}}}]
# every int, time and object the rules do arithmetic on, present so that it can be replaced
_PROBE = {"initialDelaySeconds": 5, "periodSeconds": 10, "failureThreshold": 3,
          "successThreshold": 1, "timeoutSeconds": 1, "httpGet": {"path": "/", "port": 80}}
BASES[2]["spec"]["containers"][0].update(livenessProbe=dict(_PROBE),
                                         readinessProbe=dict(_PROBE), startupProbe=dict(_PROBE))
BASES[2]["spec"].update(terminationGracePeriodSeconds=30, activeDeadlineSeconds=600)
BASES[2]["metadata"].update(deletionTimestamp="2026-11-21T09:59:30Z",
                            deletionGracePeriodSeconds=30, finalizers=["example.com/x"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(range(len(BASES))), data=st.data(), value=_json())
def test_any_value_in_any_field_never_crashes_the_engine(base: int, data: st.DataObject,
                                                        value: Any) -> None:
    pod = copy.deepcopy(BASES[base])
    paths = [p for p in _paths(pod) if p]
    path = data.draw(st.sampled_from(paths))
    parent = pod
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    event = pf.event("BackOff", "Back-off restarting failed container app",
                     field_path="spec.containers{app}")
    event_paths = [p for p in _paths(event) if p]
    epath = data.draw(st.sampled_from(event_paths))
    target = event
    for key in epath[:-1]:
        target = target[key]
    target[epath[-1]] = data.draw(_json())
    result = assemble(Gathered(pods=[pod], events=[event]), None, NOW, basis="flag")
    for render in RENDERERS.values():
        text = render(result, RenderOptions())
        assert isinstance(text, str)
    [item] = result.pods
    assert item.state in ("healthy", "progressing", "failing")
    if item.pod.damaged:  # a field of the wrong type: never vouched for
        assert item.state != "healthy", item.pod.damaged


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_sanitized_text_has_no_control_or_bidi_character(text: str) -> None:
    for single in (True, False):
        out = sanitize(text, single_line=single)
        assert not [c for c in out if (ord(c) < 0x20 and c not in "\n\t")
                    or 0x7f <= ord(c) <= 0x9f or 0x202a <= ord(c) <= 0x202e
                    or 0x2066 <= ord(c) <= 0x2069 or 0xd800 <= ord(c) <= 0xdfff]
        out.encode("utf-8")  # printable


def _workloads() -> list[dict[str, Any]]:
    owned = pf.pod("web-7d9c-a", "default", "p1")
    owned["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "web-7d9c",
                                             "uid": "rs1", "controller": True}]
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": "default", "uid": "d1", "generation": 2,
                           "creationTimestamp": "2026-11-21T09:00:00Z"},
              "spec": {"replicas": 2, "progressDeadlineSeconds": 600,
                       "template": {"metadata": {"labels": {"app": "web"}}}},
              "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 1,
                         "readyReplicas": 1, "availableReplicas": 1,
                         "conditions": [{"type": "Progressing", "status": "True",
                                         "reason": "ReplicaSetUpdated",
                                         "lastUpdateTime": "2026-11-21T09:59:00Z"}]}}
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": {"name": "web-7d9c", "namespace": "default", "uid": "rs1",
                       "annotations": {"deployment.kubernetes.io/revision": "2"},
                       "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": "d1",
                                            "controller": True}]},
          "spec": {"replicas": 2}, "status": {"replicas": 1, "readyReplicas": 1}}
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": "etl", "namespace": "default", "uid": "j1"},
           "spec": {"completions": 1, "suspend": False},
           "status": {"active": 1, "conditions": [{"type": "Failed", "status": "False"}]}}
    return [owned, deploy, rs, job]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from([1, 2, 3]), data=st.data(), value=_json(),
       targeted=st.booleans())
def test_any_value_in_any_workload_field_never_crashes(which: int, data: st.DataObject,
                                                      value: Any, targeted: bool) -> None:
    objs = _workloads()
    obj = objs[which]
    path = data.draw(st.sampled_from([p for p in _paths(obj) if p]))
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    event = pf.event("FailedCreate", "Error creating: pods is forbidden: exceeded quota: q",
                     uid="rs1", name="web-7d9c", kind="ReplicaSet")
    g = Gathered(pods=[objs[0]], workloads=objs[1:], events=[event])
    keys = [("Deployment", "default", "web"), ("Job", "default", "etl")] if targeted else None
    result = assemble(g, keys, NOW, basis="flag")
    for render in RENDERERS.values():
        assert isinstance(render(result, RenderOptions()), str)
    for w in result.workloads:  # a damaged workload (or child) is never vouched for
        if w.view.workload.damaged or any(c.damaged for c in w.view.children):
            assert w.state != "healthy", w.view.workload.damaged


@pytest.mark.parametrize(("args", "code"), [
    (("-f", "examples/"), 1),  # a failing pod among them: | head must not turn it into 0
    (("--list-rules",), 0),
])
def test_a_reader_that_stops_early_keeps_the_verdicts_exit_code(args: tuple[str, ...],
                                                                 code: int) -> None:
    env = {**os.environ, "KUBECONFIG": "/dev/null", "NO_COLOR": "1"}
    with subprocess.Popen([sys.executable, "-m", "kubectl_podwhy", *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          cwd=ROOT) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.read(10)
        proc.stdout.close()  # as `| head -c 10` does
        err = proc.stderr.read().decode()
        assert (proc.wait(timeout=20), err) == (code, "")


@pytest.mark.parametrize(("module", "stderr"), [
    # the command's own import (__main__ catches it)
    ("kubectl_podwhy.targets", "error: interrupted\n"),
    # the engine's, which the command imports when it runs (click ends the terminal's line
    # after ^C first, as for a Ctrl-C at any other moment of a run); the error line must not
    # need the renderer that was being imported
    ("kubectl_podwhy.render", "\nerror: interrupted\n"),
])
def test_ctrl_c_while_the_command_is_imported_is_one_line_and_exit_130(module: str,
                                                                       stderr: str) -> None:
    # the imports take a few hundred ms: Ctrl-C there, simulated by an import hook
    code = ("import sys\n"
            "class Interrupt:\n"
            "    def find_spec(self, name, path, target=None):\n"
            f"        if name == {module!r}:\n"
            "            raise KeyboardInterrupt\n"
            "sys.meta_path.insert(0, Interrupt())\n"
            "from kubectl_podwhy.__main__ import main\n"
            "main()\n")
    proc = subprocess.run([sys.executable, "-c", code, "-f", "x.yaml"], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (130, "", stderr)


def _wait_until_reading_stdin(pid: int) -> None:
    """Until the process blocks reading its stdin pipe (Linux: /proc/PID/wchan), at most 60 s;
    elsewhere, 1.5 s. A fixed sleep raced with start-up on a loaded machine."""
    wchan = Path(f"/proc/{pid}/wchan")
    if not wchan.exists():
        time.sleep(1.5)
        return
    end = time.monotonic() + 60
    while time.monotonic() < end and "pipe" not in wchan.read_text():
        time.sleep(0.05)


def test_ctrl_c_is_one_line_and_exit_130() -> None:
    env = {**os.environ, "KUBECONFIG": "/dev/null"}
    # a test run started in the background of a shell ignores SIGINT, and so would the
    # child (Python then installs no handler): the child gets the default back
    default_sigint = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                      "os.execv(sys.executable, [sys.executable, '-m', 'kubectl_podwhy', "
                      "'-f', '-'])")
    with subprocess.Popen([sys.executable, "-c", default_sigint],
                          stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          cwd=ROOT) as proc:
        assert proc.stderr is not None
        _wait_until_reading_stdin(proc.pid)
        proc.send_signal(2)
        assert proc.wait(timeout=20) == 130
        # click ends the terminal's line after ^C first
        assert proc.stderr.read().decode().strip() == "error: interrupted"


def test_a_field_of_the_wrong_type_is_read_as_absent_and_named(tmp_path: Path) -> None:
    pod = pf.pod()
    status = pod["status"]["containerStatuses"][0]
    status["restartCount"] = "x"
    status["ready"] = 1
    pod["metadata"]["labels"] = ["app"]
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(pod))
    code, _, err, _ = run("-f", str(f), "--now", "2026-11-21T10:00:00Z")
    name = pod["metadata"]["name"]
    c = status["name"]
    assert err == (f"warning: pod default/{name}: read as absent, of the wrong type: "
                   f"metadata.labels is a list, not an object; status.containerStatuses[{c}]."
                   f"ready is an integer, not a boolean; status.containerStatuses[{c}]."
                   "restartCount is a string, not a non-negative int32\n"), err
    assert code in DOCUMENTED


@pytest.mark.parametrize("change", [
    {"spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                              "readinessProbe": {"initialDelaySeconds": 10**22}}]}},
    {"spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                              "startupProbe": {"periodSeconds": 2**40}}]}},
    {"metadata": {"name": "web-0", "namespace": "default", "uid": "uid-web-0",
                  "deletionTimestamp": "0001-01-01T00:00:01Z",
                  "deletionGracePeriodSeconds": 10**9}},
    {"metadata": {"name": "web-0", "namespace": "default", "uid": "uid-web-0",
                  "deletionTimestamp": "9999-12-31T23:59:59Z",
                  "deletionGracePeriodSeconds": 10**22}},
], ids=["probe-1e22", "probe-2e40", "deleted-year-1", "deleted-year-9999-grace-1e22"])
def test_numbers_and_times_past_a_datetime_never_crash(change: dict[str, Any]) -> None:
    pod = pf.pod(statuses=[{"name": "app", "ready": False, "restartCount": 0,
                            "started": True, "image": "nginx:1.27",
                            "state": {"running": {"startedAt": "2026-11-21T09:59:00Z"}}}])
    for key, value in change.items():
        pod[key].update(value)
    result = assemble(Gathered(pods=[pod]), None, NOW, basis="flag")
    for render in RENDERERS.values():
        assert isinstance(render(result, RenderOptions()), str)
    assert result.pods[0].state != "healthy"


def test_a_name_that_is_not_a_string_is_no_crash_in_the_cli(tmp_path: Path) -> None:
    for name in ({"a": 1}, ["a"]):
        pod = pf.pod()
        pod["metadata"]["name"] = name
        f = tmp_path / "pod.json"
        f.write_text(json.dumps(pod))
        code, _, err, _ = run("-f", str(f))
        assert code in (1, 5), (code, err)
        assert "internal error" not in err
        assert "metadata.name is " in err


def test_a_name_that_looks_like_a_flag_is_never_a_flag_in_the_next_command() -> None:
    from kubectl_podwhy.rules.base import kubectl

    assert kubectl("logs", "web-0", "-n", "shop", "-c", "app", "--previous") == (
        "kubectl logs web-0 -n shop -c app --previous")
    # pflag reads everything after "--" as names: kubectl takes it as a pod name
    assert kubectl("logs", "--server=http://evil.example", "-n", "-x", "-c", "app",
                   "--previous") == (
        "kubectl logs -n -x -c app --previous -- --server=http://evil.example")


def test_text_longer_than_any_real_value_is_cut_on_the_screen_not_in_json(
        tmp_path: Path) -> None:
    pod = pf.pod(statuses=[{"name": "app", "ready": False, "restartCount": 0,
                            "state": {"waiting": {"reason": "R" * 3000,
                                                  "message": "m" * 200_000}}}])
    pod["metadata"]["name"] = "a" * 100_000
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(pod))
    code, out, _, _ = run("-f", str(f))
    assert code == 1
    assert len(out) < 60_000
    assert "characters left out)" in out
    code, out, _, _ = run("-f", str(f), "-o", "json")
    assert json.loads(out)["items"][0]["pod"]["name"] == "a" * 100_000
    bad = tmp_path / "tag.yaml"
    bad.write_text("kind: !" + "k" * 1_000_000 + " Pod\n")
    code, _, err, _ = run("-f", str(bad))
    assert code == 2
    assert len(err) < 500


def test_a_lone_surrogate_is_written_as_an_escape_in_yaml_and_reads_back(
        tmp_path: Path) -> None:
    import yaml

    f = tmp_path / "pod.json"
    f.write_text('{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "status": '
                 '{"phase": "Running", "containerStatuses": [{"name": "app", "state": '
                 '{"waiting": {"reason": "Weird\\ud800"}}}]}}')
    code, out, err, _ = run("-f", str(f), "-o", "yaml")
    assert code in (1, 5)
    assert err == ""
    assert 'status: "Weird\\uD800"' in out
    assert yaml.safe_load(out)["items"][0]["pod"]["status"] == "Weird\ud800"


@pytest.mark.parametrize(("path", "shown"), [
    ("flag-like-pod-name-in-next.json", "--previous -- --server=http://evil.example:8080"),
    ("flag-like-node-name-in-fix.json",
     "kubectl uncordon -- '--kubeconfig=/tmp/evil;$(touch /tmp/pwned)'"),
])
def test_a_name_that_looks_like_a_flag_is_never_one_in_a_command_to_paste(path: str,
                                                                         shown: str) -> None:
    _, out, _, _ = run("-f", str(VARIANTS / path))
    assert shown in out
