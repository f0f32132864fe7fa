"""The samples validate cleanly, cover every kind and mode, and survive model -> YAML -> model."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from ark.api import KINDS, ArkTeam, parse_object, to_wire
from ark.api.loading import load_texts
from ark.api.source import load_documents
from tests.unit.api.conftest import SAMPLES, Validate

SAMPLE_FILES = sorted(SAMPLES.glob("*.yaml"))


def sample_documents() -> list[tuple[str, dict[str, Any]]]:
    """Every ark document of the samples, with an id ``file:Kind/name``."""
    found = []
    for path in SAMPLE_FILES:
        docs, problems = load_documents(path.read_text(), path.name)
        assert not problems
        for doc in docs:
            if doc.data.get("kind") in KINDS:
                found.append((f"{path.name}:{doc.data['kind']}/{doc.data['metadata']['name']}", doc.data))
    return found


DOCUMENTS = sample_documents()

# Compatibility spellings the samples use on purpose, normalised by the models.
NORMALISED = {("spec", "mcpServers", 0, "headers")}


def test_every_sample_file_validates_on_its_own(validate: Validate) -> None:
    for path in SAMPLE_FILES:
        outcome = validate(str(path))
        assert outcome.code == 0, "\n".join(outcome.lines)
        assert not [line for line in outcome.lines if ": warning: " in line], outcome.lines


def test_the_samples_together_have_no_finding_at_all(validate: Validate) -> None:
    outcome = validate(str(SAMPLES))

    assert outcome.code == 0
    assert outcome.lines == [
        f"valid: 27 documents in {len(SAMPLE_FILES)} files (1 of other kinds, skipped): 0 errors, 0 warnings"
    ]


def test_there_is_a_sample_of_every_kind_and_a_team_of_every_mode() -> None:
    result = load_texts([(str(path), path.read_text()) for path in SAMPLE_FILES])
    kinds = {obj.kind for obj in result.objects}
    modes = {obj.spec.mode for obj in result.objects if isinstance(obj, ArkTeam)}
    steps = [step for obj in result.objects if isinstance(obj, ArkTeam) for step in obj.spec.pipeline or ()]

    assert kinds == set(KINDS)
    assert {"Pipeline", "Dynamic", "Routed"} <= modes
    assert any(step.if_ for step in steps)
    assert any(step.loop for step in steps)
    assert any(step.output_schema for step in steps)


@pytest.mark.parametrize(("label", "data"), DOCUMENTS, ids=[label for label, _ in DOCUMENTS])
def test_round_trip_is_lossless(label: str, data: dict[str, Any]) -> None:
    obj = parse_object(data)

    text = yaml.safe_dump(to_wire(obj), sort_keys=False)
    (again,) = load_documents(text, label)[0]
    reparsed = parse_object(again.data)

    assert reparsed == obj
    assert to_wire(reparsed) == to_wire(obj)
    _assert_kept(data, to_wire(obj), ())


def _assert_kept(written: Any, wire: Any, path: tuple[Any, ...]) -> None:
    """Everything the author wrote is in the wire form, unchanged (defaults may be added)."""
    if path in NORMALISED:
        return
    if isinstance(written, dict):
        assert isinstance(wire, dict), path
        for key, value in written.items():
            assert key in wire, (*path, key)
            _assert_kept(value, wire[key], (*path, key))
    elif isinstance(written, list):
        assert isinstance(wire, list), path
        assert len(wire) == len(written), path
        for index, (a, b) in enumerate(zip(written, wire, strict=True)):
            _assert_kept(a, b, (*path, index))
    else:
        assert written == wire, path
