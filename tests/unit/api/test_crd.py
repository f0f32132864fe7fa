"""The checked-in CRDs are exactly what the generator produces, and they are structural."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ark.api import ALL_KINDS, kind_name
from ark.api.crdgen import crd_for, differences, main
from ark.api.meta import ArkObject
from tests.unit.api.conftest import REPO

CRD_DIR = REPO / "manifests" / "crd"


def load(cls: type[ArkObject]) -> dict[str, Any]:
    """The checked-in CRD of a kind."""
    data: dict[str, Any] = yaml.safe_load((CRD_DIR / f"arkonis.dev_{cls.info.plural}.yaml").read_text())
    return data


def schema_of(cls: type[ArkObject]) -> dict[str, Any]:
    """The openAPIV3Schema of a kind."""
    schema: dict[str, Any] = load(cls)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def nodes(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema node with its path."""
    yield path, schema
    for name, child in schema.get("properties", {}).items():
        yield from nodes(child, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from nodes(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from nodes(schema["additionalProperties"], f"{path}{{}}")


def test_checked_in_crds_match_the_generator() -> None:
    assert differences(CRD_DIR) == [], "run `make manifests`"


def test_check_mode_fails_on_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "crd"
    shutil.copytree(CRD_DIR, copy)
    assert main([str(copy), "--check"]) == 0
    stale = copy / "arkonis.dev_arkteams.yaml"
    stale.write_text(stale.read_text().replace("minimum: 1", "minimum: 2", 1))
    (copy / "arkonis.dev_arkflows.yaml").write_text("{}\n")

    assert main([str(copy), "--check"]) == 1
    err = capsys.readouterr().err
    assert f"{stale}: differs from the generator's output" in err
    assert "arkonis.dev_arkflows.yaml: not produced by the generator" in err


def test_kustomization_lists_every_crd() -> None:
    kustomization = yaml.safe_load((CRD_DIR / "kustomization.yaml").read_text())
    assert kustomization["resources"] == sorted(f"arkonis.dev_{cls.info.plural}.yaml" for cls in ALL_KINDS)


@pytest.mark.parametrize("cls", ALL_KINDS, ids=kind_name)
def test_every_node_is_structural(cls: type[ArkObject]) -> None:
    for path, node in nodes(schema_of(cls)):
        if path == ".metadata":
            assert node == {"type": "object"}
            continue
        open_node = node.get("x-kubernetes-preserve-unknown-fields") is True
        int_or_string = node.get("x-kubernetes-int-or-string") is True
        assert "type" in node or open_node or int_or_string, path
        if "anyOf" in node:
            assert int_or_string, path
            assert node["anyOf"] == [{"type": "integer"}, {"type": "string"}], path
        assert not {"$ref", "oneOf", "allOf"} & set(node), path
        if "properties" in node:
            assert node["type"] == "object", path
        for required in node.get("required", []):
            assert required in node["properties"], (path, required)


def test_open_nodes_are_only_the_documented_ones() -> None:
    open_paths = {
        path.rsplit(".", 1)[-1]
        for cls in ALL_KINDS
        for path, node in nodes(schema_of(cls))
        if node.get("x-kubernetes-preserve-unknown-fields")
    }
    # Undocumented upstream blocks (accepted, ignored) and the two string-or-object / map-or-list
    # compatibility fields that a structural schema cannot type; and an ArkRun's snapshot of its
    # team, which the operator checks (D193).
    assert open_paths == {
        "autoscaling",
        "networkPolicy",
        "scaleToZero",
        "artifactStore",
        "registryLookup",
        "security",
        "auth",
        "configRef",
        "headers",
        "teamSpec",
    }


@pytest.mark.parametrize("cls", ALL_KINDS, ids=kind_name)
def test_names_category_and_subresources(cls: type[ArkObject]) -> None:
    crd = load(cls)
    kind = kind_name(cls)
    version = crd["spec"]["versions"][0]

    assert crd["metadata"]["name"] == f"{cls.info.plural}.arkonis.dev"
    assert crd["spec"]["scope"] == "Namespaced"
    assert crd["spec"]["names"]["categories"] == ["ark"]
    assert crd["spec"]["names"]["singular"] == kind.lower()
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"]["status"] == {}
    assert version["additionalPrinterColumns"][-1]["name"] == "Age"
    assert crd == crd_for(cls)


def test_short_names_from_the_reference() -> None:
    short = {kind_name(cls): load(cls)["spec"]["names"].get("shortNames") for cls in ALL_KINDS}
    assert short["ArkRun"] == ["aorun"]
    assert short["ArkService"] == ["aosvc"]
    assert short["ArkNotify"] == ["anfy"]


def test_printer_columns_tell_the_story() -> None:
    columns = {
        kind_name(cls): [c["name"] for c in load(cls)["spec"]["versions"][0]["additionalPrinterColumns"]]
        for cls in ALL_KINDS
    }
    assert columns["ArkAgent"] == ["Model", "Replicas", "Ready", "Tokens(24h)", "Age"]
    assert columns["ArkTeam"] == ["Mode", "Phase", "Entry", "Last Run", "Age"]
    assert columns["ArkRun"] == ["Team", "Phase", "Tokens", "Duration", "Started", "Age"]
    assert columns["ArkEvent"] == ["Type", "Suspended", "Fired", "Last Fired", "Next Fire", "Age"]
    assert columns["ArkService"] == ["Agent", "Strategy", "Ready", "Endpoint", "Age"]


def test_agent_has_a_scale_subresource_on_replicas() -> None:
    from ark.api import ArkAgent

    scale = load(ArkAgent)["spec"]["versions"][0]["subresources"]["scale"]
    assert scale == {
        "specReplicasPath": ".spec.replicas",
        "statusReplicasPath": ".status.replicas",
        "labelSelectorPath": ".status.selector",
    }


def test_enums_defaults_and_bounds_come_from_the_models() -> None:
    from ark.api import ArkAgent, ArkEvent, ArkTeam

    agent = schema_of(ArkAgent)["properties"]["spec"]["properties"]
    assert agent["replicas"] == {
        "description": "Number of agent pods (the scale subresource).",
        "type": "integer",
        "minimum": 0,
        "maximum": 50,
        "default": 1,
    }
    assert agent["limits"]["properties"]["timeoutSeconds"]["default"] == 120
    assert agent["tools"]["items"]["properties"]["method"]["enum"] == ["GET", "POST", "PUT", "PATCH"]
    event = schema_of(ArkEvent)["properties"]["spec"]["properties"]
    assert event["source"]["properties"]["type"]["enum"] == [
        "webhook",
        "cron",
        "team-output",
        "pipeline-output",
        "flow-output",
    ]
    assert event["targets"]["minItems"] == 1
    steps = schema_of(ArkTeam)["properties"]["spec"]["properties"]["pipeline"]
    assert steps["x-kubernetes-list-map-keys"] == ["role"]
    assert steps["items"]["properties"]["loop"]["properties"]["maxIterations"]["maximum"] == 100


def test_cross_field_rules_are_cel_validations() -> None:
    from ark.api import ArkAgent, ArkRun, ArkTeam

    agent_rules = schema_of(ArkAgent)["properties"]["spec"]["x-kubernetes-validations"]
    assert {
        "rule": "has(self.systemPrompt) || has(self.systemPromptRef)",
        "message": "at least one of systemPrompt or systemPromptRef must be set",
        "fieldPath": ".systemPrompt",
    } in agent_rules
    team_rules = [r["rule"] for r in schema_of(ArkTeam)["properties"]["spec"]["x-kubernetes-validations"]]
    assert "[has(self.pipeline), has(self.entry), has(self.routing)].exists_one(x, x)" in team_rules
    run_rules = schema_of(ArkRun)["properties"]["spec"]["x-kubernetes-validations"]
    assert run_rules[0]["rule"] == "self == oldSelf || !has(oldSelf.teamSpec)"
