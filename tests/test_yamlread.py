"""The streaming YAML reader reads what kubectl writes exactly as yaml.safe_load does, and
refuses, with the place, what kubectl never writes."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kubectl_podwhy.sources.yamlread import MAX_DEPTH, YAMLInputError, load_all

ROOT = Path(__file__).parent.parent

# NEL and the Unicode line separators: PyYAML's pure-Python writer and reader disagree with
# libyaml about them, whoever reads
text = st.text(st.characters(exclude_characters="\x85\u2028\u2029",
                             exclude_categories=["Cs"]), max_size=30)
scalars = (st.none() | st.booleans() | st.integers(-10**30, 10**30)
           | st.floats(allow_nan=False) | text)
json_like = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(text, inner, max_size=4),
                         max_leaves=30)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None)
@given(json_like, st.sampled_from([yaml.SafeDumper, yaml.CSafeDumper]),
       st.booleans())
def test_what_a_yaml_writer_writes_reads_back_as_safe_load_reads_it(
        value: Any, dumper: Any, flow: bool) -> None:
    text = yaml.dump(value, Dumper=dumper, default_flow_style=flow, allow_unicode=True)
    assert _same(list(load_all(text.encode())), [yaml.load(text, Loader=yaml.CSafeLoader)])
    assert _same(list(load_all(text.encode())), [value])


def test_every_bundled_yaml_reads_as_safe_load_reads_it_but_timestamps_stay_text() -> None:
    class Text(yaml.SafeLoader):
        pass
    def as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        assert isinstance(node, yaml.ScalarNode)
        return loader.construct_scalar(node)
    Text.add_constructor("tag:yaml.org,2002:timestamp", as_text)
    files = sorted([*ROOT.glob("tests/fixtures/*.yaml"), *ROOT.glob("examples/*.yaml"),
                    *ROOT.glob("tests/cases/issue-5/*.yaml")])
    assert len(files) > 200
    for f in files:
        data = f.read_bytes()
        assert list(load_all(data)) == list(yaml.load_all(data, Loader=Text)), f


def test_documents_of_a_stream_come_one_by_one_and_an_empty_one_is_none() -> None:
    assert list(load_all(b"a: 1\n---\n---\n- x\n...\n--- 5\n")) == [{"a": 1}, None, ["x"], 5]
    assert list(load_all(b"")) == []


def test_unquoted_timestamps_and_quoted_numbers_stay_text() -> None:
    doc = next(load_all(b"t: 2026-11-30T08:00:00Z\nd: 2026-11-30\nn: '5'\nb: 'true'\n"
                        b"i: 5\nf: 1.5\nx: yes\nz: ~\n"))
    assert doc == {"t": "2026-11-30T08:00:00Z", "d": "2026-11-30", "n": "5", "b": "true",
                   "i": 5, "f": 1.5, "x": True, "z": None}


@pytest.mark.parametrize(("text", "problem", "line"), [
    (b"a: &x [1]\nb: *x\n", "anchors and aliases are not accepted", 1),
    (b"a: 1\nb: &x 2\n", "anchors and aliases are not accepted", 2),
    (b"a: 1\nb:\n  c: *x\n", "anchors and aliases are not accepted", 3),
    (b"a:\n  <<: {b: 1}\n", "merge keys (<<) are not accepted", 2),
    (b"metadata:\n  name: a\n  name: b\n", "duplicate key 'name'", 3),
    (b"{a: 1, a: 1}\n", "duplicate key 'a'", 1),
    (b"? [a]\n: 1\n", "a key that is a mapping or a list is not accepted", 1),
    (b"a: !!set {x}\n", "the tag tag:yaml.org,2002:set is not accepted", 1),
    (b"a: !!binary aGk=\n", "the tag tag:yaml.org,2002:binary is not accepted", 1),
    (b"a: !!python/name:os.system x\n", "is not accepted", 1),
    (b"a: !custom x\n", "the tag !custom is not accepted", 1),
])
def test_what_kubectl_never_writes_is_refused_with_its_line(text: bytes, problem: str,
                                                            line: int) -> None:
    with pytest.raises(YAMLInputError) as info:
        list(load_all(text))
    assert problem in info.value.problem
    assert info.value.line == line


@pytest.mark.parametrize("text", [
    b"[" * 100_000 + b"]" * 100_000,
    "".join("  " * i + "a:\n" for i in range(MAX_DEPTH + 50)).encode(),
])
def test_nesting_is_bounded_without_recursion(text: bytes) -> None:
    # libyaml stops at 1,000 levels itself; MAX_DEPTH guards a parser built without it
    with pytest.raises((YAMLInputError, yaml.YAMLError), match="nest"):
        list(load_all(text))
    assert next(load_all(b"[" * 900 + b"]" * 900)) is not None


def test_an_alias_bomb_is_refused_at_its_first_alias() -> None:
    bomb = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        b"%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n"
        % ((chr(98 + i).encode(),) * 2 + (chr(97 + i).encode(),) * 9) for i in range(9))
    with pytest.raises(YAMLInputError, match="anchors"):
        list(load_all(bomb))


def test_yaml_that_does_not_parse_raises_yamls_own_error_with_the_place() -> None:
    with pytest.raises(yaml.YAMLError) as info:
        list(load_all(b"kind: Pod\nmetadata: {name: [unclosed\n"))
    assert getattr(info.value, "problem_mark", None) is not None


def test_without_libyaml_the_pure_python_parser_reads_the_same_and_is_bounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted(ROOT.glob("tests/fixtures/*.yaml"))[:40]
    expected = [list(load_all(f.read_bytes())) for f in files]
    monkeypatch.setattr("kubectl_podwhy.sources.yamlread._Loader", yaml.SafeLoader)
    assert [list(load_all(f.read_bytes())) for f in files] == expected
    with pytest.raises(YAMLInputError, match="nested more than"):
        list(load_all(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)))
    with pytest.raises(YAMLInputError, match="anchors"):
        list(load_all(b"a: &x 1\n"))
