"""Shell completion: what ``kubectl podwhy ... <TAB>`` offers through kubectl's plugin
completion (kubectl_complete-podwhy) and ``kubectl-podwhy ... <TAB>`` through click's scripts
(_KUBECTL_PODWHY_COMPLETE), with the exact lines each shell reads."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubectl_podwhy.cli import kubectl_complete
from kubectl_podwhy.errors import ClusterError
from kubectl_podwhy.sources import cluster

ROOT = Path(__file__).parent.parent


def offered(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    """What kubectl_complete-podwhy prints for ``kubectl podwhy WORDS<TAB>`` (kubectl passes
    the word being completed last, "" for a new one)."""
    with pytest.raises(SystemExit) as ended:
        kubectl_complete(list(words))
    assert ended.value.code == 0
    return capsys.readouterr().out


def test_output_and_colour_values_then_no_file_completion(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert offered(capsys, "-o", "") == "json\ntable\nwide\nyaml\n:4\n"
    assert offered(capsys, "-o=j") == "json\n:4\n"  # pflag's -o=json spelling
    assert offered(capsys, "--color", "a") == "auto\nalways\n:4\n"


def test_flag_names_come_with_their_help_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert offered(capsys, "--no-h") == (
        "--no-headers\tTable and wide output: print the pod rows only (no header, workloads, "
        "counts or pod block), like kubectl get --no-headers; ignored for json and yaml.\n:4\n")


@pytest.mark.parametrize("flag", ["-f", "--filename", "--kubeconfig", "--dump"])
def test_file_flags_leave_file_names_to_the_shell(capsys: pytest.CaptureFixture[str],
                                                  flag: str) -> None:
    assert offered(capsys, flag, "exam") == ":0\n"


def test_explain_offers_rule_ids_and_names_with_their_titles(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert offered(capsys, "--explain", "crashloop-e") == (
        "crashloop-exit\tCrash loop: the process keeps exiting with an error\n:4\n")
    assert offered(capsys, "--explain", "pw22").splitlines()[:2] == [
        "PW220\tCrash loop: killed for running out of memory",
        "PW221\tCrash loop: the process keeps exiting with an error"]


def test_contexts_come_from_the_kubeconfig_and_unprintable_names_are_left_out(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    kc = tmp_path / "config"
    kc.write_text(yaml.safe_dump({"contexts": [
        {"name": "prod", "context": {}}, {"name": "staging", "context": {}},
        {"name": "evil\n\x1b[2J", "context": {}}, {"context": {}}]}))
    monkeypatch.setenv("KUBECONFIG", str(kc))
    assert offered(capsys, "--context", "") == "prod\nstaging\n:4\n"
    assert offered(capsys, "--kubeconfig", str(kc), "--context", "st") == "staging\n:4\n"


#: the fake cluster's objects: (kind, namespace) -> names
NAMES = {("Pod", "shop"): ["api-1", "web-1", "web-2"],
         ("Pod", "dev"): ["web-dev", "web-\x1b]0;PWN\x07", "web-nl\nfake"],
         ("Deployment", "shop"): ["web", "worker"], ("Namespace", "shop"): ["dev", "shop"]}


class FakeSource:
    """What completion asks of the cluster source: names of a kind in a namespace."""

    default_namespace = "shop"

    def names(self, kind: str, namespace: str) -> list[str]:
        return NAMES.get((kind, namespace), [])


@pytest.fixture
def fake_cluster(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    opened: list[tuple[Any, ...]] = []

    def open_source(*args: Any) -> FakeSource:
        opened.append(args)
        return FakeSource()
    monkeypatch.setattr(cluster, "open_source", open_source)
    return opened


def test_targets_are_the_namespaces_pods_or_after_type_slash_that_kinds_names(
        capsys: pytest.CaptureFixture[str], fake_cluster: list[tuple[Any, ...]]) -> None:
    assert offered(capsys, "web") == "web-1\nweb-2\n:4\n"  # the context's namespace
    assert offered(capsys, "-n", "dev", "") == "web-dev\n:4\n"
    assert offered(capsys, "deploy/w") == "deploy/web\ndeploy/worker\n:4\n"
    assert offered(capsys, "deployments.apps/wo") == "deployments.apps/worker\n:4\n"
    assert offered(capsys, "-n", "") == "dev\nshop\n:4\n"
    # the plugin's own --kubeconfig and --context, bounded in time
    assert offered(capsys, "--kubeconfig", "k", "--context", "c", "a") == "api-1\n:4\n"
    assert fake_cluster[-1] == ("k", "c", 5.0)


def test_no_targets_are_offered_for_files_all_namespaces_or_unknown_types(
        capsys: pytest.CaptureFixture[str], fake_cluster: list[tuple[Any, ...]]) -> None:
    assert offered(capsys, "-f", "x.yaml", "") == ":4\n"
    assert offered(capsys, "-A", "") == ":4\n"
    assert offered(capsys, "svc/") == ":4\n"
    assert fake_cluster == []  # no cluster was asked


def test_a_cluster_that_cannot_be_read_offers_nothing_and_says_nothing(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(*args: Any) -> None:
        raise ClusterError("cannot reach https://10.0.0.1:6443")
    monkeypatch.setattr(cluster, "open_source", unreachable)
    assert offered(capsys, "") == ":4\n"
    assert offered(capsys, "-A=maybe", "") == ":4\n"
    assert capsys.readouterr().err == ""


def bash_complete(*words: str) -> subprocess.CompletedProcess[str]:
    """kubectl-podwhy WORDS<TAB> as click's bash script asks for it."""
    env = {**{k: v for k, v in os.environ.items() if k != "KUBECONFIG"},
           "_KUBECTL_PODWHY_COMPLETE": "bash_complete",
           "COMP_WORDS": " ".join(["kubectl-podwhy", *words]),
           "COMP_CWORD": str(len(words))}
    return subprocess.run([sys.executable, "-m", "kubectl_podwhy"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60, check=False)


def test_clicks_completion_scripts_are_for_the_kubectl_podwhy_command() -> None:
    env = {**os.environ, "_KUBECTL_PODWHY_COMPLETE": "bash_source"}
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy"], capture_output=True,
                       text=True, env=env, cwd=ROOT, timeout=60, check=False)
    assert r.returncode == 0
    # never "kubectl": that would take over kubectl's own completion
    assert "complete -o nosort -F _kubectl_podwhy_completion kubectl-podwhy\n" in r.stdout
    r = bash_complete("-o", "")
    assert (r.returncode, r.stdout) == (0, "plain,json\nplain,table\nplain,wide\nplain,yaml\n")
    r = bash_complete("-f", "")
    assert (r.returncode, r.stdout) == (0, "file,\n")


def test_names_with_control_characters_from_the_server_are_not_offered_by_clicks_completion(
        fake_cluster: list[tuple[Any, ...]]) -> None:
    from click.shell_completion import ShellComplete

    from kubectl_podwhy.cli import command
    comp = ShellComplete(command, {}, "kubectl-podwhy", "_KUBECTL_PODWHY_COMPLETE")
    offered = [c.value for c in comp.get_completions(["-n", "dev"], "web")]
    assert offered == ["web-dev"]


@pytest.mark.parametrize("env", [{"COMP_CWORD": "abc"}, {"COMP_CWORD": None},
                                 {"COMP_WORDS": None}])
def test_a_garbled_completion_request_offers_nothing_and_no_traceback(
        env: dict[str, str | None]) -> None:
    full = {**{k: v for k, v in os.environ.items() if k != "KUBECONFIG"},
            "_KUBECTL_PODWHY_COMPLETE": "bash_complete",
            "COMP_WORDS": "kubectl-podwhy -o ", "COMP_CWORD": "2"}
    for k, v in env.items():
        if v is None:
            del full[k]
        else:
            full[k] = v
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy"], capture_output=True,
                       text=True, env=full, cwd=ROOT, timeout=60, check=False)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
