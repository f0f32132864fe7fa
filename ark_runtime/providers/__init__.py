"""Model providers: the :class:`Provider` protocol, the mock, Anthropic, OpenAI-compatible, and selection."""

from ark_runtime.providers.anthropic import AnthropicProvider
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
from ark_runtime.providers.openai import OpenAIProvider
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
