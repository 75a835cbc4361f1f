"""--wait and --watch decisions (kubectl_podwhy.follow), on saved inputs played as the cluster
changing, with fake clocks: when a wait ends, with which outcome and reason, and which changes
a watch reports. The watches themselves: tests/test_watching.py; live: tests/live/test_wait.py.
"""
from __future__ import annotations

import io
import shutil
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kubectl_podwhy.follow import (
    Request,
    StatusBoard,
    WaitOptions,
    observe,
    status_lines,
    wait,
    watch,
)
from kubectl_podwhy.gate import standings
from kubectl_podwhy.report import Change
from kubectl_podwhy.snapshot import Gathered, LogRequest
from kubectl_podwhy.sources.files import FileSource
from kubectl_podwhy.targets import Target

ROOT = Path(__file__).parent.parent
EX = ROOT / "examples"
FX = ROOT / "tests" / "fixtures"
START = datetime(2026, 11, 21, 10, 0, 0, tzinfo=timezone.utc)
EVERYTHING = Request(None, (), True, None)


class Played:
    """A source that shows one saved input after another: each wait for a change moves to
    the next one (the last one stays), and the fake clocks advance by the time waited."""

    def __init__(self, steps: Sequence[Path]) -> None:
        self.steps = list(steps)
        self.step = 0
        self.mono = 0.0
        self.gathers = 0

    def gather(self, namespace: str | None, targets: Sequence[Target] = (),
               all_namespaces: bool = False, selector: str | None = None) -> Gathered:
        self.gathers += 1
        return FileSource([str(self.steps[self.step])]).gather(namespace, targets,
                                                               all_namespaces, selector)

    def read_logs(self, g: Gathered, requests: Sequence[LogRequest]) -> None:
        """Saved inputs hold the logs a --dump recorded; nothing more to read."""

    def wait_changed(self, timeout: float) -> bool:
        self.mono += timeout
        if self.step + 1 < len(self.steps):
            self.step += 1
            return True
        return False

    def sweep(self) -> None:
        pass

    def clock(self) -> datetime:
        return START + timedelta(seconds=self.mono)

    def monotonic(self) -> float:
        return self.mono


def run_wait(steps: Sequence[Path], req: Request = EVERYTHING,
             **opts: float) -> tuple[str, float, str, tuple[str, ...]]:
    src = Played(steps)
    report = wait(src, req, WaitOptions(**{"tick": 1.0, **opts}),  # type: ignore[arg-type]
                  clock=src.clock, monotonic=src.monotonic)
    assert report.wait is not None
    w = report.wait
    return w.outcome, w.elapsed, w.reason, w.waiting_for


def test_a_wait_ends_healthy_once_the_targets_are() -> None:
    outcome, elapsed, reason, waiting = run_wait(
        [EX / "api-starting.yaml", EX / "api-starting.yaml", EX / "frontend-healthy.yaml"])
    assert (outcome, elapsed, reason, waiting) == (
        "healthy", 2.0, "every pod and workload is healthy", ())


def test_a_terminal_failure_ends_the_wait_at_once() -> None:
    outcome, elapsed, reason, _ = run_wait([FX / "PW201-image-not-found.yaml"])
    assert (outcome, elapsed) == ("failing", 0.0)
    assert "Kubernetes will not fix it by itself: PW201 " in reason


def test_a_failure_that_may_clear_is_tolerated_until_fail_after() -> None:
    # the readiness probe has failed for 25m48s before the wait: --fail-after 30m tolerates
    # 4m12s more of it; the clock runs one second a judgement
    outcome, elapsed, reason, _ = run_wait([FX / "PW232-readiness-failing.yaml"],
                                           fail_after=1800.0, timeout=3600.0)
    assert (outcome, elapsed) == ("failing", 252.0)
    assert "has been failing for 30m (--fail-after 30m): PW232 " in reason


def test_a_failure_older_than_fail_after_ends_the_wait_at_once() -> None:
    outcome, elapsed, reason, _ = run_wait([FX / "PW232-readiness-failing.yaml"],
                                           fail_after=5.0)
    assert (outcome, elapsed) == ("failing", 0.0)
    assert "has been failing for 25m (--fail-after 5s): PW232 " in reason


def test_a_failure_that_clears_within_fail_after_does_not_end_the_wait() -> None:
    outcome, elapsed, _, _ = run_wait(
        [FX / "PW232-readiness-failing.yaml", FX / "PW232-readiness-failing.yaml",
         EX / "frontend-healthy.yaml"], fail_after=3600.0)
    assert (outcome, elapsed) == ("healthy", 2.0)


def test_a_crash_loop_is_terminal_past_max_restarts_only() -> None:
    crash = [FX / "PW221-crashloop-exit-1.yaml"]  # restartCount 8
    assert run_wait(crash, max_restarts=8)[:2] == ("failing", 0.0)
    outcome, elapsed, reason, _ = run_wait(crash, max_restarts=9, fail_after=3.0)
    assert (outcome, elapsed) == ("failing", 3.0)
    assert "--fail-after 3s" in reason


def test_a_timeout_says_what_it_still_waited_for_and_since_when() -> None:
    outcome, elapsed, reason, waiting = run_wait([EX / "api-starting.yaml"], timeout=3.0)
    assert (outcome, elapsed) == ("timeout", 3.0)
    assert reason.startswith("still waiting for pod/")
    assert "progressing: PW232 " in reason
    assert "(since 20" in reason
    assert waiting[0] == reason.removeprefix("still waiting for ")


def test_a_target_that_does_not_exist_is_waited_for() -> None:
    req = Request("default", (Target("Pod", "nope"),), False, None)
    outcome, _, reason, waiting = run_wait([EX / "frontend-healthy.yaml"], req, timeout=2.0)
    assert outcome == "timeout"
    missing = "pod \"nope\" not found in namespace 'default' in the input"
    assert reason == f"still waiting for {missing}"
    assert waiting == (f"{missing} (waited for it)",)


def test_a_watch_reports_each_change_of_state_or_verdict_once() -> None:
    src = Played([EX / "api-starting.yaml", EX / "api-starting.yaml",
                  FX / "PW232-readiness-failing.yaml", EX / "frontend-healthy.yaml"])
    seen: list[Change] = []
    watch(src, EVERYTHING, seen.append, timeout=10.0, tick=1.0, clock=src.clock,
          monotonic=src.monotonic)
    lines = [(c.object, c.old, c.new, c.verdict.rule if c.verdict else None) for c in seen]
    # the second, identical input brings no line; a pod that is gone says so once
    assert lines == [
        ("pod/shop/api-5d7c9b8f6d-k2x8p", None, "progressing", "PW232"),
        ("pod/shop/product-api-srmxkxlkcb-9svq8", None, "failing", "PW232"),
        ("pod/shop/api-5d7c9b8f6d-k2x8p", "progressing", "deleted", None),
        ("pod/shop/frontend-79d8c6b5f4-2xq7l", None, "healthy", None),
        ("pod/shop/product-api-srmxkxlkcb-9svq8", "failing", "deleted", None)]


def test_status_lines_name_each_target_and_the_elapsed_time() -> None:
    src = Played([EX / "api-starting.yaml"])
    obs = observe(src, EVERYTHING, src.clock)
    assert obs.report is not None
    lines = status_lines(obs, standings(obs.report), EVERYTHING, 75.0)
    assert lines[0] == "[  75s] all namespaces: 0 failing, 1 progressing, 0 healthy " \
                       "(pods and workloads)"
    assert lines[1].startswith("[  75s]   pod/")


def test_the_status_board_rewrites_its_lines_in_place() -> None:
    out = io.StringIO()
    board = StatusBoard(out)
    board.show(["a", "b"])
    board.show(["a", "b"])  # unchanged: not drawn again
    board.show(["c\x1b[31m", "x" * 500])
    board.clear()
    long = "x" * (shutil.get_terminal_size((100, 20)).columns - 4) + "..."
    assert out.getvalue() == f"a\nb\n\x1b[2F\x1b[Jc\\x1b[31m\n{long}\n\x1b[2F\x1b[J"


@pytest.mark.parametrize("args", [
    ["--wait", "-f", "examples/"],
    ["--watch", "-f", "examples/"],
    ["--wait", "--watch"],
    ["--timeout", "5s"],
    ["--fail-after", "5s"],
    ["--max-restarts", "3"],
    ["--watch", "--fail-after", "1m"],
    ["--wait", "--timeout", "soon"],
    ["--wait", "--dump", "x.json"],
    ["--wait", "--list-rules"],
    ["--wait", "--timeout", ""],
    ["--wait", "--fail-after", " "],
    ["--wait", "--timeout", "\u0661s"],
])
def test_follow_flags_misused_are_usage_errors(args: list[str]) -> None:
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", *args], capture_output=True,
                       text=True, cwd=ROOT, check=False, timeout=60)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert r.stderr.startswith("error: ")
