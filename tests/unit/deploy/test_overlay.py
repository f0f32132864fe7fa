"""What `make deploy` sends: manifests/default with the image and agent environment it is given."""

from __future__ import annotations

import pytest
import yaml
from deploy import REPOSITORY, ImageRef, overlay, parse_agent_env, split_image

from ark.operator.config import ConfigError


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("ghcr.io/arkonis-dev/ark:0.1.0", ImageRef("ghcr.io/arkonis-dev/ark", "0.1.0", None)),
        ("ark", ImageRef("ark", None, None)),
        ("registry:5000/team/ark", ImageRef("registry:5000/team/ark", None, None)),
        ("registry:5000/team/ark:dev", ImageRef("registry:5000/team/ark", "dev", None)),
        (
            "ghcr.io/arkonis-dev/ark@sha256:" + "a" * 64,
            ImageRef("ghcr.io/arkonis-dev/ark", None, "sha256:" + "a" * 64),
        ),
        ("ark:1.2@sha256:" + "b" * 64, ImageRef("ark", "1.2", "sha256:" + "b" * 64)),
    ],
)
def test_split_image(image: str, expected: ImageRef) -> None:
    assert split_image(image) == expected


@pytest.mark.parametrize("image", ["", " ark", "ark:", "ark@md5:00", "a b", ":tag"])
def test_split_image_refuses_what_is_not_an_image(image: str) -> None:
    with pytest.raises(ValueError, match="not an image reference"):
        split_image(image)


def test_overlay_sets_the_image_everywhere_and_the_agents_image_and_env() -> None:
    env = [("AGENT_PROVIDER", "mock"), ("X", "a,b")]
    kustomization = overlay("registry:5000/me/ark:dev", env, "../default")
    assert kustomization["resources"] == ["../default"]
    (image,) = kustomization["images"]
    assert image == {"name": REPOSITORY, "newName": "registry:5000/me/ark", "newTag": "dev"}
    (patch,) = kustomization["patches"]
    assert patch["target"] == {"kind": "Deployment", "name": "ark-operator"}
    container = yaml.safe_load(patch["patch"])["spec"]["template"]["spec"]["containers"][0]
    assert container["name"] == "operator"
    assert container["env"] == [
        {"name": "AGENT_IMAGE", "value": "registry:5000/me/ark:dev"},
        {"name": "AGENT_EXTRA_ENV", "value": "AGENT_PROVIDER=mock\nX=a,b"},
    ]


def test_overlay_by_digest_and_without_agent_env() -> None:
    digest = "sha256:" + "c" * 64
    kustomization = overlay(f"me/ark@{digest}", [], "base")
    assert kustomization["images"] == [{"name": REPOSITORY, "newName": "me/ark", "digest": digest}]
    patch = yaml.safe_load(kustomization["patches"][0]["patch"])
    env = patch["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["AGENT_IMAGE"]


def test_agent_env_is_checked_as_the_operator_checks_it_and_never_echoes_a_value() -> None:
    assert parse_agent_env(["A=1", "B=x=y"]) == [("A", "1"), ("B", "x=y")]
    with pytest.raises(ConfigError, match="AGENT_ENV") as error:
        parse_agent_env(["1BAD=secret-value"])
    assert "secret-value" not in str(error.value)
