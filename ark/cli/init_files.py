"""What ``ark init NAME`` writes: a quickstart team, the provider variables, a README.

Interface::

    check_name("my-team")          # raises ValueError naming the rule when NAME is no valid name
    files = project_files("my-team")   # {relative path: content}, nothing written

The team is an ArkTeam with two steps: ``researcher`` plays the ArkAgent ``<name>-researcher``
(defined in the same file, so the agent can also be applied and scaled on its own) and
``writer`` is an inline role. ``ark run team.yaml --provider mock`` completes it with no key and
no network; the README says how to use a real model and how to run it in a cluster.
"""

from __future__ import annotations

import re
from string import Template

# Names become an ArkTeam, an ArkAgent "<name>-researcher" and its Deployment
# "<name>-researcher-agent", each a DNS-1123 label of at most 63 characters.
MAX_NAME = 63 - len("-researcher-agent")
NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")

TEAM = Template("""\
# $name: an ArkAgent and an ArkTeam that uses it (ark init).
#   ark run team.yaml --provider mock --input topic="green tea"      # here, no key needed
#   kubectl apply -f team.yaml && ark trigger $name --input topic="green tea" --watch
apiVersion: arkonis.dev/v1alpha1
kind: ArkAgent
metadata:
  name: $name-researcher
spec:
  model: gpt-4o-mini
  systemPrompt: |
    You research a topic and list the five facts about it that matter most, one per line.
  limits:
    maxTokensPerCall: 2000
    timeoutSeconds: 120
  envFrom:
    - secretRef:
        name: $name-llm
        optional: true
---
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata:
  name: $name
spec:
  inputs:
    - name: topic
      description: What the team writes about.
      required: true
  roles:
    - name: researcher
      arkAgent: $name-researcher
    - name: writer
      model: gpt-4o-mini
      systemPrompt: You turn a list of facts into one short, friendly paragraph.
      envFrom:
        - secretRef:
            name: $name-llm
            optional: true
  pipeline:
    - role: researcher
      inputs:
        topic: "{{ .input.topic }}"
    - role: writer
      dependsOn: [researcher]
      inputs:
        facts: "{{ .steps.researcher.output }}"
  output: "{{ .steps.writer.output }}"
""")

ENV_EXAMPLE = Template("""\
# Copy to .env and fill in one provider (never commit .env).
# ark run reads these from the environment:  set -a; . ./.env; set +a
# In a cluster the agents read them from the Secret $name-llm:
#   kubectl create secret generic $name-llm --from-env-file=.env

# auto (by model name: claude-* Anthropic, anything else OpenAI-compatible), mock, openai, anthropic
ARK_PROVIDER=auto

# OpenAI, or any OpenAI-compatible server (Ollama, vLLM, llama.cpp): set the base URL too.
OPENAI_API_KEY=
# OPENAI_BASE_URL=http://127.0.0.1:11434/v1

# Anthropic (models named claude-*).
# ANTHROPIC_API_KEY=
""")

README = Template("""\
# $name

An ark team made by `ark init`: `team.yaml` holds the ArkAgent `$name-researcher` and the
ArkTeam `$name`, a two-step pipeline (researcher, then writer).

## Run it here

```sh
ark run team.yaml --provider mock --input topic="green tea" --watch   # the mock model: no key
cp .env.example .env   # then fill in a key
set -a; . ./.env; set +a
ark run team.yaml --input topic="green tea" --watch                   # a real model
```

## Run it in a cluster

With ark installed (`make deploy` in the ark repository, or its Helm chart):

```sh
kubectl create secret generic $name-llm --from-env-file=.env
kubectl apply -f team.yaml
ark trigger $name --input topic="green tea" --watch
ark status
```

`ark validate team.yaml` checks the file without a cluster.
""")

GITIGNORE = ".env\n"


def check_name(name: str) -> None:
    """Raise ValueError unless ``name`` can name the team and the objects made from it."""
    if not NAME.fullmatch(name) or len(name) > MAX_NAME:
        raise ValueError(
            f"{name!r} is not a valid name: lower-case letters, digits and '-', starting and ending "
            f"with a letter or digit, at most {MAX_NAME} characters (it names the ArkTeam and the "
            f"ArkAgent {name}-researcher)"
        )


def project_files(name: str) -> dict[str, str]:
    """The files of a new project named ``name`` (checked with :func:`check_name`)."""
    check_name(name)
    return {
        "team.yaml": TEAM.substitute(name=name),
        ".env.example": ENV_EXAMPLE.substitute(name=name),
        "README.md": README.substitute(name=name),
        ".gitignore": GITIGNORE,
    }
