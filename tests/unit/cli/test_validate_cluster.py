"""``ark validate --check-agents``, the pure part: notes become nothing (found) or errors (missing)."""

from __future__ import annotations

from ark.api.loading import load_texts
from ark.cli.findings import Line, findings
from ark.cli.validate_cluster import OpenReference, open_references, resolve

FILES = """\
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: t}
spec:
  roles:
    - {name: a, arkAgent: helper}
    - name: b
      model: m
      systemPromptRef: {configMapKeyRef: {name: prompts, key: b}}
    - name: c
      model: m
      systemPromptRef: {secretKeyRef: {name: keys, key: c, optional: true}}
  pipeline: [{role: a}, {role: b}, {role: c}]
---
apiVersion: arkonis.dev/v1alpha1
kind: ArkAgent
metadata: {name: other, namespace: elsewhere}
spec: {model: m, systemPrompt: p, configRef: {name: settings}}
"""


def _setup() -> tuple[list[Line], list[OpenReference]]:
    result = load_texts([("team.yaml", FILES)])
    lines = findings(result)
    return lines, open_references(result, lines, "work")


def test_every_note_is_tied_to_the_object_and_namespace_it_names() -> None:
    lines, wanted = _setup()
    assert [line.severity for line in lines] == ["note"] * 4
    assert [(w.kind, w.namespace, w.name, w.key, w.optional) for w in wanted] == [
        ("ArkAgent", "work", "helper", None, False),
        ("ConfigMap", "work", "prompts", "b", False),
        ("Secret", "work", "keys", "c", True),
        ("ArkSettings", "elsewhere", "settings", None, False),
    ]


def test_found_objects_drop_their_notes_and_missing_ones_become_errors() -> None:
    lines, wanted = _setup()
    objects = {
        ("ArkAgent", "work", "helper"): {"metadata": {"name": "helper"}},
        ("ConfigMap", "work", "prompts"): {"data": {"a": "1"}, "binaryData": {"z": "AA=="}},
        ("Secret", "work", "keys"): {"data": {}},
        ("ArkSettings", "elsewhere", "settings"): None,
    }
    lookup = resolve(lines, wanted, objects)
    assert [(line.severity, line.path, line.message, line.hint) for line in lookup.lines] == [
        (
            "error",
            "spec.roles[1].systemPromptRef.configMapKeyRef.key",
            'ConfigMap work/prompts has no key "b" (keys: a, z)',
            "name an existing key",
        ),
        (
            "error",
            "spec.configRef.name",
            'ArkSettings "settings" does not exist in namespace "elsewhere" of the cluster',
            "create it, or correct the name",
        ),
    ]
    assert lookup.found == ["ArkAgent work/helper", "ConfigMap work/prompts", "Secret work/keys"]
    assert lookup.missing == ["ArkSettings elsewhere/settings"]
    assert lookup.text() == (
        "Agents: 3 found (ArkAgent work/helper, ConfigMap work/prompts, Secret work/keys), "
        "1 missing in the cluster"
    )


def test_all_found_is_agents_ok() -> None:
    lines, wanted = _setup()
    objects = {w.object_key: {"data": {"b": "x"}} for w in wanted}
    lookup = resolve(lines, wanted, objects)
    assert lookup.lines == []
    assert lookup.text().startswith("Agents ok (ArkAgent work/helper, ConfigMap work/prompts, ")
    assert resolve([], [], {}).text() == (
        "Agents ok (nothing to look up: the files define every object they reference)"
    )
