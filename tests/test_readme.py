"""The README shows what the tool prints: every ``$ kubectl podwhy -f ...`` example block is
compared, byte for byte, with a real run (scripts/readme_examples.py generates them), and a
block that needs a live cluster is marked as such."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))
from readme_examples import (  # noqa: E402 (scripts/ is not a package)
    LIVE,
    REGENERATE,
    Example,
    examples,
    output_of,
    problems,
    regenerate,
)

TEXT = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_has_generated_example_blocks_including_make_demos_output() -> None:
    commands = [e.command for e in examples(TEXT) if e.offline]
    assert "kubectl podwhy -f examples/" in commands  # "Try it": what make demo prints
    assert len(commands) >= 5


def test_every_example_block_is_generated_or_marked_as_a_live_clusters_output() -> None:
    assert problems(TEXT) == []
    assert [e.command for e in examples(TEXT) if e.live] == ["kubectl podwhy -n shop --watch"]


@pytest.mark.parametrize("example", [e for e in examples(TEXT) if e.offline],
                         ids=lambda e: e.command[:60])
def test_readme_example_equals_what_the_tool_prints(example: Example) -> None:
    assert output_of(example.command) == example.shown, (
        f"README.md's `$ {example.command}` is stale: run {REGENERATE}")


def test_a_stale_example_is_named_with_the_command_that_regenerates_it() -> None:
    stale = "```\n$ kubectl podwhy -f examples/api-starting.yaml\nold output\n```\n"
    new, messages = regenerate(stale)
    assert messages == [
        "README.md: the output of `$ kubectl podwhy -f examples/api-starting.yaml` is not what "
        "the tool prints now: run make docs (or: python scripts/readme_examples.py --write)"]
    assert new == ("```\n$ kubectl podwhy -f examples/api-starting.yaml\n"
                   + output_of("kubectl podwhy -f examples/api-starting.yaml") + "```\n")


def test_a_block_that_reads_a_cluster_must_be_marked_live() -> None:
    block = "```\n$ kubectl podwhy -n shop\nsomething\n```\n"
    assert problems(block) == [
        "README.md: `$ kubectl podwhy -n shop` reads no -f file and is not marked live: give "
        "it -f, or put <!-- readme-examples: live --> on the line before its block"]
    assert problems(f"{LIVE}\n{block}") == []
