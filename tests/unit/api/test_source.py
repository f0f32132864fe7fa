"""The YAML reader: line numbers, kubectl's scalar rules, broken documents."""

from __future__ import annotations

from ark.api.loading import load_texts
from ark.api.source import load_documents

TEXT = """\
# a comment
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata:
  name: t
spec:
  pipeline:
    - role: a
      dependsOn:
        - b
---
kind: Second
"""


def test_every_field_and_item_has_its_line() -> None:
    docs, problems = load_documents(TEXT, "f.yaml")

    assert problems == []
    first, second = docs
    assert first.line == 2
    assert second.line == 12
    assert first.line_of(("spec", "pipeline", 0, "dependsOn", 0)) == 10
    assert first.line_of(("spec", "pipeline", 0, "role")) == 8
    # A path that does not exist resolves to its nearest existing parent.
    assert first.line_of(("spec", "pipeline", 0, "inputs", "x")) == 8
    assert first.line_of(("nothing",)) == 2


def test_a_syntax_error_names_its_line_and_keeps_the_other_documents() -> None:
    text = "kind: A\n---\nkind: B\nspec: [1, 2\n---\nkind: C\n"
    docs, problems = load_documents(text, "f.yaml")

    assert [doc.data["kind"] for doc in docs] == ["A", "C"]
    (problem,) = problems
    assert (problem.file, problem.line) == ("f.yaml", 5)
    assert "did not find expected ',' or ']'" in problem.message
    assert "started at line 4" in problem.message


def test_scalars_resolve_like_kubectl() -> None:
    (doc,), _ = load_documents("a: yes\nb: y\nc: off\nd: 2026-01-01\ne: '1'\nf: 0.5\ng: ~\n", "f")
    assert doc.data == {"a": True, "b": True, "c": False, "d": "2026-01-01", "e": "1", "f": 0.5, "g": None}


def test_an_unquoted_on_key_is_kept_but_warned_about() -> None:
    (doc,), _ = load_documents("spec:\n  on: [TeamFailed]\n  'off': 1\n", "f")

    assert doc.data == {"spec": {"on": ["TeamFailed"], "off": 1}}
    (issue,) = doc.issues
    assert issue.path == ("spec", "on")
    assert issue.severity == "warning"
    assert issue.hint == 'quote it: "on":'


def test_duplicate_keys_are_errors_on_the_second_line() -> None:
    (doc,), _ = load_documents("a: 1\nb: 2\na: 3\n", "f")

    assert doc.data == {"a": 3, "b": 2}
    (issue,) = doc.issues
    assert issue.message == 'duplicate key "a" (first at line 1)'
    assert doc.line_of(issue.path) == 3


def test_anchors_and_merge_keys_are_expanded() -> None:
    (doc,), _ = load_documents("base: &b {model: m, replicas: 2}\nagent:\n  <<: *b\n  replicas: 3\n", "f")
    assert doc.data["agent"] == {"model": "m", "replicas": 3}


def test_a_list_document_is_split_into_its_items() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - apiVersion: arkonis.dev/v1alpha1\n    kind: ArkRegistry\n    metadata: {name: r}\n"
        "  - apiVersion: arkonis.dev/v1alpha1\n    kind: ArkRegistry\n    metadata: {name: s}\n"
        "    spec: {policy: {maxDepth: 0}}\n"
    )
    result = load_texts([("list.yaml", text)])

    assert [doc.name for doc in result.documents] == ["r", "s"]
    second = result.documents[1]
    (issue,) = second.issues
    assert issue.location == "spec.policy.maxDepth"
    assert second.line_of(issue.path) == 10


def test_empty_documents_are_skipped() -> None:
    docs, problems = load_documents("---\n# only a comment\n---\n---\nkind: A\n", "f")
    assert [doc.data for doc in docs] == [{"kind": "A"}]
    assert problems == []
