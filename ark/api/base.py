"""The base model every API type derives from, and the markers the CRD generator reads.

Wire format is camelCase (the alias generator); Python attributes are snake_case. Parsing
user YAML goes through :func:`ark.api.kinds.parse_object`, which validates by alias only, so
``system_prompt:`` in a file is an unknown field exactly as it is for the API server.

The model modules do not use ``from __future__ import annotations``: pydantic would evaluate each
string annotation (compiling it) when the class is defined, a few milliseconds of every command.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

GROUP = "arkonis.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"


@dataclass(frozen=True)
class CelRule:
    """A CEL ``x-kubernetes-validations`` rule the API server enforces on the object it sits on."""

    rule: str
    message: str
    field_path: str | None = None
    reason: str | None = None


# eq=False: hashed by identity, since Annotated[...] metadata must be hashable inside unions.
@dataclass(frozen=True, eq=False)
class Crd:
    """Schema facts for one field that its Python type alone cannot express.

    ``schema`` replaces the generated schema of the field entirely; the other attributes
    adjust the generated one.
    """

    schema: Mapping[str, Any] | None = None
    list_map_keys: tuple[str, ...] = ()
    enum_extra: tuple[str, ...] = ()
    preserve_unknown: bool = False
    int_or_string: bool = False
    format: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class ArkModel(BaseModel):
    """Base of every API type: camelCase aliases, strict scalars, unknown fields forbidden."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        # Strict like the API server: "3" is not an integer and 1 is not a string.
        strict=True,
        # Validators are built on a model's first use, so a command pays only for the kinds it
        # reads (field docstrings, which only the CRD generator needs, are read by it).
        defer_build=True,
    )

    crd_rules: ClassVar[tuple[CelRule, ...]] = ()
    """Cross-field rules of this object, emitted as ``x-kubernetes-validations``."""

    legacy_aliases: ClassVar[Mapping[str, str]] = {}
    """Older wire names still accepted: ``{legacy name: current wire name}``."""

    @model_validator(mode="before")
    @classmethod
    def _rename_legacy(cls, data: Any) -> Any:
        if not cls.legacy_aliases or not isinstance(data, dict):
            return data
        renamed = dict(data)
        for legacy, current in cls.legacy_aliases.items():
            if legacy not in renamed:
                continue
            if current in renamed:
                raise PydanticCustomError(
                    "ark_conflict",
                    "both {current} and its older spelling {legacy} are set",
                    {"current": current, "legacy": legacy, "hint": f"keep only {current}"},
                )
            renamed[current] = renamed.pop(legacy)
        return renamed


def _rfc3339(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


Time = Annotated[
    datetime,
    Field(strict=False),
    PlainSerializer(_rfc3339, return_type=str, when_used="json"),
    Crd(format="date-time"),
]
"""A ``metav1.Time``: RFC 3339 on the wire, an aware ``datetime`` in Python."""

OpenObject = Annotated[dict[str, Any], Crd(preserve_unknown=True)]
"""An object whose content is not ours to check (undocumented upstream blocks, ``fieldsV1``)."""
