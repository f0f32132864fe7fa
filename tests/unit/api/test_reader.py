"""The bounded reader of outside YAML and JSON: limits named in every refusal, anchors, merges."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ark.api.limits import MAX_DEPTH, LimitExceeded, RefusedInput, size_text
from ark.api.loading import load_texts
from ark.api.reader import load_json, load_yaml, read_file, read_stream
from ark.api.source import Budget, load_documents


def test_a_file_over_the_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: 1\n" * 1000)

    with pytest.raises(LimitExceeded) as info:
        read_file(path, limit=4096)

    assert str(info.value) == f"{path}: 4.9 KiB of input, over the limit of 4 KiB per file (split it)"
    assert read_file(path, limit=5000) == "a: 1\n" * 1000


def test_a_stream_is_read_only_up_to_the_limit() -> None:
    stream = io.BytesIO(b"x" * 10_000)

    with pytest.raises(LimitExceeded, match="more than 1 KiB of input, over the limit of 1 KiB"):
        read_stream(stream, "<stdin>", limit=1024)

    assert stream.tell() == 1025
    assert read_stream(io.StringIO("a: 1\n"), "<stdin>") == "a: 1\n"


def test_sizes_read_like_people_write_them() -> None:
    assert [size_text(n) for n in (900, 1024, 1536, 16 << 20, 3 << 30)] == [
        "900 bytes",
        "1 KiB",
        "1.5 KiB",
        "16 MiB",
        "3 GiB",
    ]


def test_an_alias_bomb_stops_at_the_alias_limit_without_expanding() -> None:
    lines = ["l0: &l0 [a, a, a, a, a, a, a, a, a, a]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]

    documents, (problem,) = load_documents("\n".join(lines) + "\n", "bomb.yaml")

    assert documents == []
    assert (problem.file, problem.line) == ("bomb.yaml", 5)  # l4: 10,000 strings through 1,110 aliases
    assert problem.message.startswith("aliases expand to more than 100,000 values, the limit for one input")


def test_aliases_share_what_they_name_and_repeat_its_findings_where_they_stand() -> None:
    text = "base: &b {model: m, on: x}\none: *b\ntwo: *b\n"

    (doc,), problems = load_documents(text, "f")

    assert problems == []
    assert doc.data["one"] is doc.data["two"] is doc.data["base"]
    assert [(issue.path, doc.line_of(issue.path)) for issue in doc.issues] == [
        (("base", "on"), 1),
        (("one", "on"), 1),
        (("two", "on"), 1),
    ]


def test_a_value_that_contains_its_own_alias_is_reported() -> None:
    (doc,), _ = load_documents("a: &r [1, *r]\n", "f")

    assert doc.data == {"a": [1, None]}
    (issue,) = doc.issues
    assert (issue.path, issue.message) == (("a", 1), "alias *r is inside the value it names")


def test_an_alias_placed_too_deep_is_refused_there() -> None:
    nested = "[" * 40 + "x" + "]" * 40
    (doc,), _ = load_documents(f"a: &a {nested}\nb: {'[' * 30}*a{']' * 30}\n", "f")

    (issue,) = doc.issues
    assert issue.message == f"nesting deeper than {MAX_DEPTH} levels"
    assert issue.path == ("b", *([0] * 30))


def test_merged_keys_are_overridden_silently_and_earlier_merges_win() -> None:
    text = (
        "a: &a {model: a, replicas: 1}\n"
        "b: &b {model: b, image: x}\n"
        "agent:\n"
        "  replicas: 3\n"
        "  <<: [*a, *b]\n"
        "  replicas: 4\n"
    )

    (doc,), _ = load_documents(text, "f")

    assert doc.data["agent"] == {"model": "a", "replicas": 4, "image": "x"}
    (issue,) = doc.issues  # a key written twice in the mapping itself is still one
    assert (issue.path, issue.message) == (
        ("agent", "replicas"),
        'duplicate key "replicas" (first at line 4)',
    )
    assert doc.line_of(("agent", "model")) == 1
    assert doc.line_of(("agent", "image")) == 2


def test_merging_something_else_than_mappings_is_a_syntax_error() -> None:
    _, (problem,) = load_documents("a: 1\nb: {<<: [{x: 1}, 3]}\n", "f")

    assert problem.line == 2
    assert problem.message == (
        "YAML syntax error: expected a mapping for merging, but found scalar "
        "(while constructing a mapping started at line 2)"
    )


def test_the_value_budget_is_shared_by_the_files_of_one_input() -> None:
    team = "apiVersion: arkonis.dev/v1alpha1\nkind: ArkAgent\nmetadata: {name: a%d}\nspec: {model: m}\n"
    many = [(f"f{i}.yaml", team % i) for i in range(3)]
    budget = Budget(nodes=10)  # each document is 7 values

    first, second = (load_documents(text, label, budget) for label, text in many[:2])

    assert first[1] == []
    assert second[1][0].message.startswith("more than 1,000,000 values, the limit for one input")
    assert load_texts(many).syntax_problems == []


def test_documents_are_counted_too() -> None:
    documents, (problem,) = load_documents("---\na: 1\n" * 5, "f", Budget(documents=3))

    assert len(documents) == 3
    assert problem.line == 7
    assert problem.message.startswith("more than 20,000 documents, the limit for one input")


def test_load_yaml_gives_plain_documents_or_refuses_naming_the_place() -> None:
    assert load_yaml("a: 1\n---\nb: [x]\n", "body") == [{"a": 1}, {"b": ["x"]}]

    with pytest.raises(RefusedInput, match=r"^body:2: a: duplicate key \"a\" \(first at line 1\)$"):
        load_yaml("a: 1\na: 2\n", "body")
    with pytest.raises(RefusedInput, match=r"^body:1:4: YAML syntax error: found undefined alias$"):
        load_yaml("a: *x\n", "body")


def test_load_json_bounds_size_and_nesting() -> None:
    assert load_json('{"a": [1, {"b": 2}]}', "body") == {"a": [1, {"b": 2}]}
    # The outer list is at depth 0, so MAX_DEPTH + 1 brackets put the innermost at MAX_DEPTH.
    allowed = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert load_json(allowed, "body") == json.loads(allowed)

    for deep in ("[" + allowed + "]", "[" * 100_000 + "]" * 100_000):
        with pytest.raises(LimitExceeded, match=r"^body: JSON nested too deep, over the limit of 64 levels"):
            load_json(deep, "body")
    with pytest.raises(LimitExceeded, match="over the limit of 1 KiB per file"):
        load_json(json.dumps(["x" * 2000]), "body", max_bytes=1024)
    with pytest.raises(json.JSONDecodeError):
        load_json("{", "body")
