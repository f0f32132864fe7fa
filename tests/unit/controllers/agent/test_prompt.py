"""Prompt resolution: inline or referenced, ArkSettings fragments, missing objects named, the hash."""

from __future__ import annotations

import base64
import hashlib

import pytest
from podrunner.env import expand

from ark.controllers.agent.prompt import PromptResolutionError, compose, escape, resolve_prompt
from tests.unit.controllers.conftest import settings, spec

CM_REF = {"configMapKeyRef": {"name": "prompts", "key": "main"}}
SECRET_REF = {"secretKeyRef": {"name": "vault", "key": "prompt"}}


def cm(data: dict[str, str]) -> dict[str, object]:
    return {"metadata": {"name": "prompts"}, "data": data}


def sec(data: dict[str, str]) -> dict[str, object]:
    return {
        "metadata": {"name": "vault"},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def test_inline_prompt_is_a_literal() -> None:
    prompt = resolve_prompt(
        spec(systemPrompt="Be $ careful"), None, configmap=lambda _: None, secret=lambda _: None
    )
    assert prompt.text == "Be $ careful"
    assert prompt.env == ({"name": "AGENT_SYSTEM_PROMPT", "value": "Be $$ careful"},)
    assert prompt.hash == hashlib.sha256(b"Be $ careful").hexdigest()


def test_reference_wins_over_inline_and_is_passed_by_reference() -> None:
    agent = spec(systemPrompt="inline", systemPromptRef=CM_REF)
    prompt = resolve_prompt(
        agent, None, configmap=lambda name: cm({"main": "from cm"}), secret=lambda _: None
    )
    assert prompt.text == "from cm"
    assert prompt.env == ({"name": "AGENT_SYSTEM_PROMPT", "valueFrom": CM_REF},)


def test_secret_prompt_value_never_appears_in_the_env() -> None:
    agent = spec(systemPromptRef=SECRET_REF)
    prompt = resolve_prompt(
        agent,
        settings(promptFragments={"persona": "P"}),
        configmap=lambda _: None,
        secret=lambda _: sec({"prompt": "hidden"}),
    )
    assert prompt.text == "P\n\nhidden"
    assert "hidden" not in str(prompt.env)
    assert prompt.env[0] == {"name": "ARK_SYSTEM_PROMPT_SOURCE", "valueFrom": SECRET_REF}


def test_missing_configmap_or_key_is_named() -> None:
    agent = spec(systemPromptRef=CM_REF)
    with pytest.raises(PromptResolutionError, match=r"^systemPromptRef: ConfigMap 'prompts' not found$"):
        resolve_prompt(agent, None, configmap=lambda _: None, secret=lambda _: None)
    with pytest.raises(
        PromptResolutionError, match=r"^systemPromptRef: ConfigMap 'prompts' has no key 'main'$"
    ):
        resolve_prompt(agent, None, configmap=lambda _: cm({"other": "x"}), secret=lambda _: None)


def test_missing_secret_or_key_is_named() -> None:
    agent = spec(systemPromptRef=SECRET_REF)
    with pytest.raises(PromptResolutionError, match="Secret 'vault' not found"):
        resolve_prompt(agent, None, configmap=lambda _: None, secret=lambda _: None)
    with pytest.raises(PromptResolutionError, match="Secret 'vault' has no key 'prompt'"):
        resolve_prompt(agent, None, configmap=lambda _: None, secret=lambda _: sec({"x": "y"}))


def test_fragments_order_persona_prompt_others_alphabetically_output_rules_last() -> None:
    style = settings(
        promptFragments={"outputRules": "O", "zeta": "Z", "persona": "P", "alpha": "A", "empty": ""}
    )
    assert compose("BASE", style) == "P\n\nBASE\n\nA\n\nZ\n\nO"
    assert compose("BASE", None) == "BASE"
    assert compose("BASE", settings()) == "BASE"


def test_referenced_prompt_with_fragments_expands_to_the_composed_text() -> None:
    style = settings(promptFragments={"persona": "Costs $(5)", "outputRules": "Use $$ signs"})
    prompt = resolve_prompt(
        spec(systemPromptRef=CM_REF),
        style,
        configmap=lambda _: cm({"main": "Ask $(me)"}),
        secret=lambda _: None,
    )
    source, composed = prompt.env
    assert source == {"name": "ARK_SYSTEM_PROMPT_SOURCE", "valueFrom": CM_REF}
    assert composed["name"] == "AGENT_SYSTEM_PROMPT"
    # What the kubelet does: the source variable is substituted, $$ becomes $.
    assert expand(composed["value"], {"ARK_SYSTEM_PROMPT_SOURCE": "Ask $(me)"}) == prompt.text
    assert prompt.text == "Costs $(5)\n\nAsk $(me)\n\nUse $$ signs"


def test_escape_round_trips_through_expansion() -> None:
    for text in ("plain", "$", "$$", "$(VAR)", "a$b$(c)$$(d)$"):
        assert expand(escape(text), {"VAR": "no", "c": "no", "d": "no"}) == text
