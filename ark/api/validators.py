"""The kinds' validators, built from core schemas generated ahead of time (:mod:`ark.api.schemagen`).

pydantic builds a model's validator on its first use by turning the models into a core schema,
tens of milliseconds of every ``ark validate`` and ``ark run``; pydantic-core builds the same
validator from the generated schema in about a millisecond (and pydantic's plugin lookup, which
imports ``importlib.metadata``, is not involved). Same checks, same errors, instances of the
same classes: the schema is the one pydantic builds, and a drift test keeps the generated
modules equal to the models.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, cast

from pydantic_core import SchemaValidator

from ark.api.kinds import KIND_MODULES

if TYPE_CHECKING:
    from pydantic_core import CoreConfig, CoreSchema


@functools.cache
def validator(kind: str) -> SchemaValidator:
    """The validator of ``kind`` (one of :data:`~ark.api.kinds.KIND_NAMES`), built on first use."""
    module = importlib.import_module(f"ark.api.schemas.{KIND_MODULES[kind].rsplit('.', 1)[1]}")
    return SchemaValidator(cast("CoreSchema", module.SCHEMA), cast("CoreConfig", module.CONFIG))
