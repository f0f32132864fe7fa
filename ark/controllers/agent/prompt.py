"""An agent's system prompt: where it comes from, how ArkSettings fragments wrap it, its hash.

Pure functions over objects read from the informer caches; no I/O.

* ``systemPromptRef`` wins over ``systemPrompt`` (reference §2.1). A referenced ConfigMap or
  Secret key reaches the pod through ``valueFrom``, never as a literal copy, so a Secret's
  content does not end up readable in the Deployment. The operator still reads the key: to
  report a missing object or key (``PromptResolutionError``) and to hash the prompt.
* ArkSettings ``promptFragments`` (reference §7): ``persona`` first, then the prompt, then the
  other fragments in alphabetical order, then ``outputRules`` last; joined by a blank line.
  With a referenced prompt the fragments are literal text around ``$(ARK_SYSTEM_PROMPT_SOURCE)``,
  which the kubelet expands from the variable defined just before (``$`` in the fragments is
  escaped as ``$$``, which the kubelet turns back into ``$``).
* The hash (pod annotation ``arkonis.dev/system-prompt-hash``) is the sha256 of the prompt the
  agent will see, so editing the ConfigMap or Secret rolls the pods.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ark.api import ArkAgentSpec, ArkSettingsSpec

Obj = dict[str, Any]
EnvVar = dict[str, Any]
Lookup = Callable[[str], Obj | None]
"""Object by name in the agent's namespace (from a cache), or None."""

PROMPT_VARIABLE = "AGENT_SYSTEM_PROMPT"
SOURCE_VARIABLE = "ARK_SYSTEM_PROMPT_SOURCE"
SEPARATOR = "\n\n"


class PromptResolutionError(Exception):
    """The referenced ConfigMap or Secret, or its key, does not exist; the message names it."""


def escape(value: str) -> str:
    """A literal env value the kubelet will not expand: ``$`` becomes ``$$``."""
    return value.replace("$", "$$")


def prompt_hash(text: str) -> str:
    """sha256 of a prompt (hex), the value of the pod annotation."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ResolvedPrompt:
    """The env entries that deliver the prompt, its hash, and its text (None when carried over)."""

    env: tuple[EnvVar, ...]
    hash: str
    text: str | None = None

    @classmethod
    def of(cls, text: str, *env: EnvVar) -> ResolvedPrompt:
        """The prompt ``text`` delivered by ``env``."""
        return cls(env, prompt_hash(text), text)


def fragments(settings: ArkSettingsSpec | None) -> tuple[list[str], list[str]]:
    """(text before the prompt, text after it) from the settings' prompt fragments."""
    parts = dict(settings.prompt_fragments or {}) if settings is not None else {}
    before = [parts.pop("persona", "")]
    last = parts.pop("outputRules", "")
    after = [parts[key] for key in sorted(parts)] + [last]
    return [p for p in before if p], [p for p in after if p]


def compose(base: str, settings: ArkSettingsSpec | None) -> str:
    """``base`` wrapped in the settings' fragments."""
    before, after = fragments(settings)
    return SEPARATOR.join([*before, base, *after])


def _key_value(obj: Obj, key: str, *, secret: bool) -> str | None:
    if secret:
        encoded = (obj.get("data") or {}).get(key)
        if encoded is None:
            return None
        try:
            return base64.b64decode(encoded).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
    value = (obj.get("data") or {}).get(key)
    return value if isinstance(value, str) else None


def resolve_prompt(
    spec: ArkAgentSpec,
    settings: ArkSettingsSpec | None,
    *,
    configmap: Lookup,
    secret: Lookup,
) -> ResolvedPrompt:
    """The agent's prompt; raises :class:`PromptResolutionError` naming a missing object or key."""
    ref = spec.system_prompt_ref
    if ref is None:
        text = compose(spec.system_prompt or "", settings)
        return ResolvedPrompt.of(text, {"name": PROMPT_VARIABLE, "value": escape(text)})
    if ref.config_map_key_ref is not None:
        kind, name, key, is_secret = (
            "ConfigMap",
            ref.config_map_key_ref.name,
            ref.config_map_key_ref.key,
            False,
        )
        source: Obj = {"configMapKeyRef": {"name": name, "key": key}}
        obj = configmap(name)
    else:
        assert ref.secret_key_ref is not None  # the CRD requires exactly one of the two
        kind, name, key, is_secret = "Secret", ref.secret_key_ref.name, ref.secret_key_ref.key, True
        source = {"secretKeyRef": {"name": name, "key": key}}
        obj = secret(name)
    if obj is None:
        raise PromptResolutionError(f"systemPromptRef: {kind} {name!r} not found")
    base = _key_value(obj, key, secret=is_secret)
    if base is None:
        raise PromptResolutionError(f"systemPromptRef: {kind} {name!r} has no key {key!r}")
    before, after = fragments(settings)
    text = SEPARATOR.join([*before, base, *after])
    if not before and not after:
        return ResolvedPrompt.of(text, {"name": PROMPT_VARIABLE, "valueFrom": source})
    template = SEPARATOR.join([*map(escape, before), f"$({SOURCE_VARIABLE})", *map(escape, after)])
    return ResolvedPrompt.of(
        text, {"name": SOURCE_VARIABLE, "valueFrom": source}, {"name": PROMPT_VARIABLE, "value": template}
    )
