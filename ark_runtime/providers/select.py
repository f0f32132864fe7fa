"""Which provider serves a model (reference §13)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ark_runtime.config import ConfigError, ProviderName
from ark_runtime.limits import Limits
from ark_runtime.providers.base import Provider
from ark_runtime.providers.mock import MockProvider

_NAMES: tuple[ProviderName, ...] = ("anthropic", "openai", "mock")


def provider_name_for(model: str, explicit: str | None = None) -> ProviderName:
    """An explicit choice wins (``auto``/empty means none); else ``claude-*`` -> anthropic,
    ``gpt-*``/``o1*``/``o3*``/``o4*`` -> openai, ``mock`` -> mock, anything else -> OpenAI-compatible."""
    choice = (explicit or "").strip().lower()
    if choice and choice != "auto":
        if choice not in _NAMES:
            raise ConfigError(f"unknown provider {explicit!r}; choose one of auto, {', '.join(_NAMES)}")
        return choice
    lowered = model.strip().lower()
    if lowered.startswith("claude-"):
        return "anthropic"
    if lowered == "mock":
        return "mock"
    return "openai"


def select_provider(
    model: str,
    explicit: str | None = None,
    env: Mapping[str, str] | None = None,
    limits: Limits | None = None,
) -> Provider:
    """Build the provider for ``model``; a missing key raises :class:`ConfigError` naming the variable.

    ``limits`` bounds what the HTTP providers read (default: :class:`Limits` defaults).
    """
    env = os.environ if env is None else env
    name = provider_name_for(model, explicit)
    if name == "mock":
        return MockProvider()
    # The HTTP providers bring httpx; import them only when one is wanted.
    if name == "anthropic":
        from ark_runtime.providers import anthropic

        key = env.get("ANTHROPIC_API_KEY", "").strip()
        if not key:
            raise ConfigError(
                f"model {model!r} uses the anthropic provider, which needs ANTHROPIC_API_KEY; it is not set"
            )
        return anthropic.AnthropicProvider(
            model, key, env.get("ANTHROPIC_BASE_URL") or anthropic.DEFAULT_BASE_URL, limits
        )
    from ark_runtime.providers import openai

    key = env.get("OPENAI_API_KEY", "").strip()
    if not key:
        raise ConfigError(
            f"model {model!r} uses the openai provider, which needs OPENAI_API_KEY; it is not set "
            "(for Ollama, vLLM or llama.cpp set OPENAI_BASE_URL and any non-empty OPENAI_API_KEY)"
        )
    return openai.OpenAIProvider(model, key, env.get("OPENAI_BASE_URL") or openai.DEFAULT_BASE_URL, limits)
