"""The registry of kinds, and parsing/serialising objects in their wire form.

Kinds are known by name first (:data:`KIND_NAMES`); a kind's module, and so its models, is
imported the first time :func:`kind_class` is asked for it. :data:`ALL_KINDS` and :data:`KINDS`
(the classes) import every kind.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ark.api.base import ArkModel
    from ark.api.meta import ArkObject

    ALL_KINDS: tuple[type[ArkObject], ...]
    KINDS: dict[str, type[ArkObject]]

# In the order of every listing users see ("one of ArkAgent, ArkTeam, ...").
KIND_MODULES: dict[str, str] = {
    "ArkAgent": "ark.api.agent",
    "ArkTeam": "ark.api.team",
    "ArkRun": "ark.api.run",
    "ArkEvent": "ark.api.event",
    "ArkService": "ark.api.service",
    "ArkSettings": "ark.api.settings",
    "ArkMemory": "ark.api.memory",
    "ArkNotify": "ark.api.notify",
    "ArkRegistry": "ark.api.registry",
}
KIND_NAMES: tuple[str, ...] = tuple(KIND_MODULES)

# Kinds users may still have in old files, and what to do about them.
RETIRED_KINDS: dict[str, str] = {
    "ArkFlow": "ArkFlow was split into ArkTeam (the pipeline) and ArkRun (one execution); use kind: ArkTeam",
    "ArkonisDeployment": "the first-generation kind; use kind: ArkAgent",
    "ArkonisService": "the first-generation kind; use kind: ArkService",
    "ArkonisMemory": "the first-generation kind; use kind: ArkMemory",
    "ArkBudget": "ArkBudget is not supported yet; use spec.limits.maxDailyTokens on agents and teams",
    "ArkSecret": "ArkSecret is not supported yet; use a Kubernetes Secret",
}


def kind_class(kind: str) -> type[ArkObject]:
    """The model class of ``kind`` (one of :data:`KIND_NAMES`), imported on first use."""
    cls: type[ArkObject] = getattr(importlib.import_module(KIND_MODULES[kind]), kind)
    return cls


def kind_name(cls: type[ArkObject]) -> str:
    """The ``kind`` string of a kind class."""
    default = cls.model_fields["kind"].default
    assert isinstance(default, str)
    return default


def __getattr__(name: str) -> Any:
    if name == "ALL_KINDS":
        value: Any = tuple(kind_class(kind) for kind in KIND_NAMES)
    elif name == "KINDS":
        value = {kind: kind_class(kind) for kind in KIND_NAMES}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


class UnknownKindError(ValueError):
    """The document's kind is not one of ours."""


def parse_object(data: Mapping[str, Any]) -> ArkObject:
    """Validate one wire-form document (camelCase keys only) into its kind's model.

    Raises :class:`UnknownKindError` for a kind we do not serve and
    :class:`pydantic.ValidationError` for an invalid document.
    """
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KIND_MODULES:
        raise UnknownKindError(f"unknown kind {kind!r}")
    from ark.api.validators import validator

    obj: ArkObject = validator(kind).validate_python(data, by_alias=True, by_name=False)
    return obj


def to_wire(obj: ArkModel, *, exclude_defaults: bool = False) -> dict[str, Any]:
    """The wire (JSON-compatible, camelCase) form of ``obj``, without unset optional fields."""
    from ark.api.base import API_VERSION
    from ark.api.meta import ArkObject

    data: dict[str, Any] = obj.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude_defaults=exclude_defaults
    )
    if isinstance(obj, ArkObject):
        # apiVersion and kind identify the document even when they equal their defaults.
        data["apiVersion"] = API_VERSION
        data["kind"] = obj.kind
    return data
