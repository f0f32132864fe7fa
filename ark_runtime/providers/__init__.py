"""Model providers: the :class:`Provider` protocol, the mock, Anthropic, OpenAI-compatible, and selection.

The HTTP providers (and so ``httpx``) are imported on first use, so a process that only needs the
mock (``ark run --provider mock``) starts without them.
"""

from typing import TYPE_CHECKING, Any

from ark_runtime.providers.base import (
    AssistantTurn,
    ChatRequest,
    ChatResponse,
    Message,
    Provider,
    ProviderError,
    StopReason,
    ToolCall,
    ToolResultBlock,
    ToolResultsTurn,
    ToolSpec,
    Usage,
    UserTurn,
)
from ark_runtime.providers.mock import MockProvider
from ark_runtime.providers.schema_instance import SchemaInstanceError, instance_for
from ark_runtime.providers.select import provider_name_for, select_provider

__all__ = [
    "AnthropicProvider",
    "AssistantTurn",
    "ChatRequest",
    "ChatResponse",
    "Message",
    "MockProvider",
    "OpenAIProvider",
    "Provider",
    "ProviderError",
    "SchemaInstanceError",
    "StopReason",
    "ToolCall",
    "ToolResultBlock",
    "ToolResultsTurn",
    "ToolSpec",
    "Usage",
    "UserTurn",
    "instance_for",
    "provider_name_for",
    "select_provider",
]

if TYPE_CHECKING:
    from ark_runtime.providers.anthropic import AnthropicProvider
    from ark_runtime.providers.openai import OpenAIProvider

_LAZY = {
    "AnthropicProvider": "ark_runtime.providers.anthropic",
    "OpenAIProvider": "ark_runtime.providers.openai",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
