"""The registry of kinds, and parsing/serialising objects in their wire form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ark.api.agent import ArkAgent
from ark.api.base import API_VERSION, ArkModel
from ark.api.event import ArkEvent
from ark.api.memory import ArkMemory
from ark.api.meta import ArkObject
from ark.api.notify import ArkNotify
from ark.api.registry import ArkRegistry
from ark.api.run import ArkRun
from ark.api.service import ArkService
from ark.api.settings import ArkSettings
from ark.api.team import ArkTeam

ALL_KINDS: tuple[type[ArkObject], ...] = (
    ArkAgent,
    ArkTeam,
    ArkRun,
    ArkEvent,
    ArkService,
    ArkSettings,
    ArkMemory,
    ArkNotify,
    ArkRegistry,
)


def kind_name(cls: type[ArkObject]) -> str:
    """The ``kind`` string of a kind class."""
    default = cls.model_fields["kind"].default
    assert isinstance(default, str)
    return default


KINDS: dict[str, type[ArkObject]] = {kind_name(cls): cls for cls in ALL_KINDS}

# Kinds users may still have in old files, and what to do about them.
RETIRED_KINDS: dict[str, str] = {
    "ArkFlow": "ArkFlow was split into ArkTeam (the pipeline) and ArkRun (one execution); use kind: ArkTeam",
    "ArkonisDeployment": "the first-generation kind; use kind: ArkAgent",
    "ArkonisService": "the first-generation kind; use kind: ArkService",
    "ArkonisMemory": "the first-generation kind; use kind: ArkMemory",
    "ArkBudget": "ArkBudget is not supported yet; use spec.limits.maxDailyTokens on agents and teams",
    "ArkSecret": "ArkSecret is not supported yet; use a Kubernetes Secret",
}


class UnknownKindError(ValueError):
    """The document's kind is not one of ours."""


def parse_object(data: Mapping[str, Any]) -> ArkObject:
    """Validate one wire-form document (camelCase keys only) into its kind's model.

    Raises :class:`UnknownKindError` for a kind we do not serve and
    :class:`pydantic.ValidationError` for an invalid document.
    """
    kind = data.get("kind")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise UnknownKindError(f"unknown kind {kind!r}")
    return cls.model_validate(data, by_alias=True, by_name=False)


def to_wire(obj: ArkModel, *, exclude_defaults: bool = False) -> dict[str, Any]:
    """The wire (JSON-compatible, camelCase) form of ``obj``, without unset optional fields."""
    data: dict[str, Any] = obj.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude_defaults=exclude_defaults
    )
    if isinstance(obj, ArkObject):
        # apiVersion and kind identify the document even when they equal their defaults.
        data["apiVersion"] = API_VERSION
        data["kind"] = obj.kind
    return data
