"""Invalid documents, each with the finding `ark validate` must report.

``server`` is set for the structural cases: a fragment of the API server's rejection, which
names the same field (checked by tests/integration/api against a real kube-apiserver).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

HEADER = "apiVersion: arkonis.dev/v1alpha1\n"


@dataclass(frozen=True)
class Case:
    """One invalid input and the finding it must produce."""

    id: str
    yaml: str
    subject: str
    """``Kind/name`` of the document holding the problem."""
    path: str
    reason: str
    """A fragment of the reported reason."""
    server: str | None = None
    """A fragment of the API server's error (structural cases only)."""

    @property
    def text(self) -> str:
        """The YAML text of the case."""
        return textwrap.dedent(self.yaml).lstrip()


def agent(spec: str, name: str = "a") -> str:
    """An ArkAgent document with ``spec`` (indented YAML)."""
    body = textwrap.indent(textwrap.dedent(spec).strip(), "  ")
    return f"{HEADER}kind: ArkAgent\nmetadata:\n  name: {name}\nspec:\n{body}\n"


def team(spec: str, name: str = "t") -> str:
    """An ArkTeam document with ``spec``."""
    body = textwrap.indent(textwrap.dedent(spec).strip(), "  ")
    return f"{HEADER}kind: ArkTeam\nmetadata:\n  name: {name}\nspec:\n{body}\n"


def doc(kind: str, spec: str, name: str = "x") -> str:
    """A document of any kind with ``spec``."""
    body = textwrap.indent(textwrap.dedent(spec).strip(), "  ")
    return f"{HEADER}kind: {kind}\nmetadata:\n  name: {name}\nspec:\n{body}\n"


ROLES_AB = """
roles:
  - {name: a, model: m, systemPrompt: p}
  - {name: b, model: m, systemPrompt: p}
"""

CASES: tuple[Case, ...] = (
    # --- ArkAgent, structural ---------------------------------------------------------------
    Case(
        "agent-unknown-field",
        agent("modle: m\nsystemPrompt: p"),
        "ArkAgent/a",
        "spec.modle",
        'unknown field "modle" (did you mean "model"?)',
        server='unknown field "spec.modle"',
    ),
    Case(
        "agent-snake-case-field",
        agent("model: m\nsystem_prompt: p"),
        "ArkAgent/a",
        "spec.system_prompt",
        'unknown field "system_prompt" (did you mean "systemPrompt"?)',
        server='unknown field "spec.system_prompt"',
    ),
    Case(
        "agent-missing-model",
        agent("systemPrompt: p"),
        "ArkAgent/a",
        "spec.model",
        "required field is missing (add model)",
        server="spec.model: Required value",
    ),
    Case(
        "agent-replicas-above-max",
        agent("model: m\nsystemPrompt: p\nreplicas: 51"),
        "ArkAgent/a",
        "spec.replicas",
        "must be <= 50, got 51",
        server="spec.replicas: Invalid value: 51",
    ),
    Case(
        "agent-replicas-quoted",
        agent('model: m\nsystemPrompt: p\nreplicas: "3"'),
        "ArkAgent/a",
        "spec.replicas",
        'expected an integer, got string "3"',
        server='spec.replicas: Invalid value: "string"',
    ),
    Case(
        "agent-no-prompt",
        agent("model: m"),
        "ArkAgent/a",
        "spec.systemPrompt",
        "at least one of systemPrompt or systemPromptRef must be set",
        server="spec.systemPrompt: Invalid value",
    ),
    Case(
        "agent-tool-method",
        agent("model: m\nsystemPrompt: p\ntools:\n  - {name: t, url: 'http://t:1/x', method: DELETE}"),
        "ArkAgent/a",
        "spec.tools[0].method",
        'must be one of "GET", "POST", "PUT", "PATCH"; got string "DELETE"',
        server='spec.tools[0].method: Unsupported value: "DELETE"',
    ),
    Case(
        "agent-probe-type",
        agent("model: m\nsystemPrompt: p\nlivenessProbe: {type: semantik}"),
        "ArkAgent/a",
        "spec.livenessProbe.type",
        'got string "semantik" (did you mean "semantic"?)',
        server='spec.livenessProbe.type: Unsupported value: "semantik"',
    ),
    Case(
        "agent-limits-zero",
        agent("model: m\nsystemPrompt: p\nlimits: {maxTokensPerCall: 0}"),
        "ArkAgent/a",
        "spec.limits.maxTokensPerCall",
        "must be >= 1, got 0",
        server="spec.limits.maxTokensPerCall: Invalid value: 0",
    ),
    Case(
        "agent-prompt-ref-both",
        agent(
            """
            model: m
            systemPromptRef:
              configMapKeyRef: {name: c, key: k}
              secretKeyRef: {name: s, key: k}
            """
        ),
        "ArkAgent/a",
        "spec.systemPromptRef",
        "exactly one of configMapKeyRef or secretKeyRef must be set",
        server="spec.systemPromptRef: Invalid value",
    ),
    Case(
        "agent-quantity-malformed",
        agent("model: m\nsystemPrompt: p\nresources: {limits: {cpu: lots}}"),
        "ArkAgent/a",
        "spec.resources.limits.cpu",
        'string "lots" does not match the pattern',
        server="spec.resources.limits.cpu",
    ),
    Case(
        "agent-env-from-both",
        agent("model: m\nsystemPrompt: p\nenvFrom:\n  - {configMapRef: {name: c}, secretRef: {name: s}}"),
        "ArkAgent/a",
        "spec.envFrom[0]",
        "exactly one of configMapRef or secretRef must be set",
        server="spec.envFrom[0]: Invalid value",
    ),
    Case(
        "agent-name-invalid",
        agent("model: m\nsystemPrompt: p", name="Research_Agent"),
        "ArkAgent/Research_Agent",
        "metadata.name",
        '"Research_Agent" is not a valid object name',
        server='metadata.name: Invalid value: "Research_Agent"',
    ),
    # --- ArkAgent, semantic -------------------------------------------------------------------
    Case(
        "agent-tool-schema-invalid",
        agent(
            """
            model: m
            systemPrompt: p
            tools:
              - {name: t, url: 'http://t:1/x', inputSchema: '{"type": "objekt"}'}
            """
        ),
        "ArkAgent/a",
        "spec.tools[0].inputSchema",
        "not a valid JSON Schema at type",
    ),
    Case(
        "agent-tool-url",
        agent("model: m\nsystemPrompt: p\ntools:\n  - {name: t, url: tools/search}"),
        "ArkAgent/a",
        "spec.tools[0].url",
        '"tools/search" is not an absolute http(s) URL',
    ),
    Case(
        "agent-config-ref-malformed",
        agent("model: m\nsystemPrompt: p\nconfigRef: My_Settings"),
        "ArkAgent/a",
        "spec.configRef.name",
        '"My_Settings" is not a valid ArkSettings name',
    ),
    Case(
        "agent-mcp-header-key-missing",
        agent(
            """
            model: m
            systemPrompt: p
            mcpServers:
              - name: kb
                url: http://kb:8099
                headers:
                  Authorization: {secretKeyRef: {name: kb-token}}
            """
        ),
        "ArkAgent/a",
        "spec.mcpServers[0].headers[0].valueFrom.secretKeyRef.key",
        "required field is missing",
    ),
    Case(
        "agent-request-above-limit",
        agent("model: m\nsystemPrompt: p\nresources: {requests: {memory: 1Gi}, limits: {memory: 512Mi}}"),
        "ArkAgent/a",
        "spec.resources.requests.memory",
        "the memory request (1Gi) exceeds its limit (512Mi)",
    ),
    Case(
        "agent-prompt-key-missing",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: prompts}\ndata: {writer: You write.}\n---\n"
        + agent("model: m\nsystemPromptRef:\n  configMapKeyRef: {name: prompts, key: editor}"),
        "ArkAgent/a",
        "spec.systemPromptRef.configMapKeyRef.key",
        'ConfigMap "prompts" has no key "editor" (keys: writer)',
    ),
    Case(
        "agent-defined-twice",
        agent("model: m\nsystemPrompt: p") + "---\n" + agent("model: m2\nsystemPrompt: p"),
        "ArkAgent/a",
        "metadata.name",
        "ArkAgent/a is defined twice (first at",
    ),
    # --- ArkTeam, structural -------------------------------------------------------------------
    Case(
        "team-no-mode",
        team(ROLES_AB),
        "ArkTeam/t",
        "spec",
        "a team needs one of pipeline (pipeline mode), entry (dynamic mode) or routing (routed mode)",
        server="exactly one of pipeline (pipeline mode), entry (dynamic mode) or routing (routed mode)",
    ),
    Case(
        "team-pipeline-and-routing",
        team(ROLES_AB + "pipeline: [{role: a}]\nrouting: {registryRef: {name: r}, model: m}"),
        "ArkTeam/t",
        "spec.routing",
        "routing cannot be combined with pipeline",
        server="exactly one of pipeline (pipeline mode), entry (dynamic mode) or routing (routed mode)",
    ),
    Case(
        "team-entry-unknown",
        team(ROLES_AB + "entry: c"),
        "ArkTeam/t",
        "spec.entry",
        'entry "c" is not a role of this team (roles: a, b)',
        server="spec.entry: Invalid value",
    ),
    Case(
        "team-duplicate-role",
        team(
            "entry: a\nroles:\n"
            "  - {name: a, model: m, systemPrompt: p}\n"
            "  - {name: a, model: m, systemPrompt: q}"
        ),
        "ArkTeam/t",
        "spec.roles[1].name",
        'duplicate role "a" (also roles[0])',
        server="spec.roles[1]: Duplicate value",
    ),
    Case(
        "team-role-two-references",
        team("entry: a\nroles:\n  - {name: a, arkAgent: helper, arkTeam: other}"),
        "ArkTeam/t",
        "spec.roles[0].arkTeam",
        "a role references either arkAgent or arkTeam, not both",
        server="spec.roles[0].arkTeam: Invalid value",
    ),
    Case(
        "team-reference-role-inline-field",
        team("entry: a\nroles:\n  - {name: a, arkAgent: x, systemPrompt: p}"),
        "ArkTeam/t",
        "spec.roles[0].systemPrompt",
        "systemPrompt is not allowed on a role that references arkAgent",
        server="cannot also set inline agent fields",
    ),
    Case(
        "team-inline-role-without-model",
        team("entry: a\nroles:\n  - {name: a, systemPrompt: p}"),
        "ArkTeam/t",
        "spec.roles[0].model",
        "an inline role needs model",
        server="spec.roles[0].model: Invalid value",
    ),
    Case(
        "team-routed-with-roles",
        team(ROLES_AB + "routing: {registryRef: {name: r}, model: m}"),
        "ArkTeam/t",
        "spec.roles",
        "a routed team has no roles",
        server="spec.roles: Invalid value",
    ),
    Case(
        "team-duplicate-step",
        team(ROLES_AB + "pipeline: [{role: a}, {role: a}]"),
        "ArkTeam/t",
        "spec.pipeline[1].role",
        'role "a" already has a step (pipeline[0])',
        server="spec.pipeline[1]: Duplicate value",
    ),
    Case(
        "team-loop-too-many-iterations",
        team(ROLES_AB + "pipeline:\n  - {role: a, loop: {condition: '{{ true }}', maxIterations: 101}}"),
        "ArkTeam/t",
        "spec.pipeline[0].loop.maxIterations",
        "must be <= 100, got 101",
        server="spec.pipeline[0].loop.maxIterations: Invalid value: 101",
    ),
    Case(
        "team-validate-on-failure",
        team(ROLES_AB + "pipeline:\n  - {role: a, validate: {contains: ok, onFailure: ignore}}"),
        "ArkTeam/t",
        "spec.pipeline[0].validate.onFailure",
        'must be one of "retry", "fail"; got string "ignore"',
        server='spec.pipeline[0].validate.onFailure: Unsupported value: "ignore"',
    ),
    Case(
        "team-validate-without-check",
        team(ROLES_AB + "pipeline:\n  - {role: a, validate: {onFailure: retry}}"),
        "ArkTeam/t",
        "spec.pipeline[0].validate",
        "validate needs at least one of contains, schema or semantic",
        server="spec.pipeline[0].validate: Invalid value",
    ),
    Case(
        "team-input-type",
        team(ROLES_AB + "pipeline: [{role: a}]\ninputs: [{name: count, type: text}]"),
        "ArkTeam/t",
        "spec.inputs[0].type",
        'must be one of "string", "number", "integer", "boolean", "object", "array"; got string "text"',
        server='spec.inputs[0].type: Unsupported value: "text"',
    ),
    Case(
        "team-step-if-not-string",
        team(ROLES_AB + "pipeline: [{role: a, if: true}]"),
        "ArkTeam/t",
        "spec.pipeline[0].if",
        "expected a string, got boolean true (quote the value to make it a string)",
        server='spec.pipeline[0].if: Invalid value: "boolean"',
    ),
    # --- ArkTeam, semantic ---------------------------------------------------------------------
    Case(
        "team-depends-on-unknown",
        team(ROLES_AB + "pipeline:\n  - {role: a}\n  - {role: b, dependsOn: [ghost]}"),
        "ArkTeam/t",
        "spec.pipeline[1].dependsOn[0]",
        'unknown step "ghost" in dependsOn (steps: a, b)',
    ),
    Case(
        "team-dependency-cycle",
        team(ROLES_AB + "pipeline:\n  - {role: a, dependsOn: [b]}\n  - {role: b, dependsOn: [a]}"),
        "ArkTeam/t",
        "spec.pipeline[0].dependsOn",
        "dependency cycle: a -> b -> a",
    ),
    Case(
        "team-step-unknown-role",
        team(ROLES_AB + "pipeline: [{role: a}, {role: c}]"),
        "ArkTeam/t",
        "spec.pipeline[1].role",
        'unknown role "c" (roles: a, b)',
    ),
    Case(
        "team-can-delegate-unknown",
        team(
            "entry: a\nroles:\n  - {name: a, model: m, systemPrompt: p, canDelegate: [bb]}\n"
            "  - {name: b, model: m, systemPrompt: p}"
        ),
        "ArkTeam/t",
        "spec.roles[0].canDelegate[0]",
        'canDelegate names unknown role "bb" (roles: a, b)',
    ),
    Case(
        "team-delegation-cycle",
        team(
            "entry: a\nroles:\n  - {name: a, model: m, systemPrompt: p, canDelegate: [b]}\n"
            "  - {name: b, model: m, systemPrompt: p, canDelegate: [a]}"
        ),
        "ArkTeam/t",
        "spec.roles[0].canDelegate",
        "delegation cycle: a -> b -> a",
    ),
    Case(
        "team-template-syntax",
        team(ROLES_AB + "pipeline:\n  - {role: a, inputs: {prompt: '{{ .input.topic '}}"),
        "ArkTeam/t",
        "spec.pipeline[0].inputs.prompt",
        "template does not parse: unclosed action",
    ),
    Case(
        "team-template-unknown-input",
        team(
            ROLES_AB
            + "inputs: [{name: topic}]\npipeline:\n  - {role: a, inputs: {prompt: '{{ .input.topc }}'}}"
        ),
        "ArkTeam/t",
        "spec.pipeline[0].inputs.prompt",
        'unknown input "topc" (declared inputs: topic) (did you mean "topic"?)',
    ),
    Case(
        "team-output-unknown-step",
        team(ROLES_AB + "pipeline: [{role: a}, {role: b}]\noutput: '{{ .steps.c.output }}'"),
        "ArkTeam/t",
        "spec.output",
        'unknown step "c" (steps: a, b)',
    ),
    Case(
        "team-output-schema-invalid",
        team(ROLES_AB + 'pipeline:\n  - {role: a, outputSchema: \'{"type": "objekt"}\'}'),
        "ArkTeam/t",
        "spec.pipeline[0].outputSchema",
        "not a valid JSON Schema at type",
    ),
    Case(
        "team-output-schema-not-json",
        team(ROLES_AB + "pipeline:\n  - {role: a, outputSchema: 'type: object'}"),
        "ArkTeam/t",
        "spec.pipeline[0].outputSchema",
        "not valid JSON: Expecting value at line 1 column 1",
    ),
    Case(
        "team-input-default-type",
        team(ROLES_AB + "pipeline: [{role: a}]\ninputs: [{name: count, type: integer, default: many}]"),
        "ArkTeam/t",
        "spec.inputs[0].default",
        'default "many" is not a valid integer',
    ),
    Case(
        "team-generated-agent-name-too-long",
        team(
            "entry: a-very-long-role-name-for-the-planner\nroles:\n"
            "  - {name: a-very-long-role-name-for-the-planner, model: m, systemPrompt: p}",
            name="a-team-with-a-rather-long-name-too",
        ),
        "ArkTeam/a-team-with-a-rather-long-name-too",
        "spec.roles[0].name",
        "is longer than 63 characters",
    ),
    # --- ArkEvent ----------------------------------------------------------------------------
    Case(
        "event-no-targets",
        doc("ArkEvent", "source: {type: webhook}\ntargets: []"),
        "ArkEvent/x",
        "spec.targets",
        "must have at least 1 item",
        server="spec.targets: Invalid value: 0",
    ),
    Case(
        "event-source-type",
        doc("ArkEvent", "source: {type: manual}\ntargets: [{team: t}]"),
        "ArkEvent/x",
        "spec.source.type",
        'must be one of "webhook", "cron", "team-output"; got string "manual"',
        server='spec.source.type: Unsupported value: "manual"',
    ),
    Case(
        "event-cron-missing",
        doc("ArkEvent", "source: {type: cron}\ntargets: [{team: t}]"),
        "ArkEvent/x",
        "spec.source.cron",
        "a cron source needs cron",
        server="spec.source.cron: Invalid value",
    ),
    Case(
        "event-target-input-number",
        doc("ArkEvent", "source: {type: webhook}\ntargets: [{team: t, input: {count: 3}}]"),
        "ArkEvent/x",
        "spec.targets[0].input.count",
        "expected a string, got integer 3",
        server='spec.targets[0].input.count: Invalid value: "integer"',
    ),
    Case(
        "event-target-team-and-pipeline",
        doc("ArkEvent", "source: {type: webhook}\ntargets: [{team: t, pipeline: p}]"),
        "ArkEvent/x",
        "spec.targets[0]",
        "both team and its older spelling pipeline are set (keep only team)",
        server="exactly one of team or pipeline (its older name) must be set",
    ),
    Case(
        "event-cron-invalid",
        doc("ArkEvent", "source: {type: cron, cron: '61 * * * *'}\ntargets: [{team: t}]"),
        "ArkEvent/x",
        "spec.source.cron",
        '"61 * * * *" is not a valid cron expression',
    ),
    Case(
        "event-trigger-field-unknown",
        doc("ArkEvent", "source: {type: webhook}\ntargets: [{team: t, input: {a: '{{ .trigger.bdy.x }}'}}]"),
        "ArkEvent/x",
        "spec.targets[0].input.a",
        'unknown trigger field ".trigger.bdy" (did you mean "body"?)',
    ),
    Case(
        "event-target-misses-required-input",
        team(ROLES_AB + "pipeline: [{role: a}]\ninputs: [{name: dish, required: true}]")
        + "---\n"
        + doc("ArkEvent", "source: {type: webhook}\ntargets: [{team: t, input: {diet: vegan}}]", name="e"),
        "ArkEvent/e",
        "spec.targets[0].input",
        'team "t" requires input "dish"',
    ),
    # --- the other kinds ---------------------------------------------------------------------
    Case(
        "service-port-range",
        doc("ArkService", "selector: {arkAgent: a}\nports: [{protocol: HTTP, port: 70000}]"),
        "ArkService/x",
        "spec.ports[0].port",
        "must be <= 65535, got 70000",
        server="spec.ports[0].port: Invalid value: 70000",
    ),
    Case(
        "settings-temperature",
        doc("ArkSettings", 'temperature: "1.5"'),
        "ArkSettings/x",
        "spec.temperature",
        'string "1.5" does not match the pattern',
        server='spec.temperature: Invalid value: "1.5"',
    ),
    Case(
        "memory-backend-enum",
        doc("ArkMemory", "backend: postgres"),
        "ArkMemory/x",
        "spec.backend",
        'must be one of "in-context", "redis", "vector-store"; got string "postgres"',
        server='spec.backend: Unsupported value: "postgres"',
    ),
    Case(
        "memory-redis-block-missing",
        doc("ArkMemory", "backend: redis"),
        "ArkMemory/x",
        "spec.redis",
        "the redis backend needs redis",
        server="spec.redis: Invalid value",
    ),
    Case(
        "notify-mixed-forms",
        doc(
            "ArkNotify",
            "channel: {type: slack, slack: {webhookUrlSecretRef: {name: s, key: url}}}\n"
            '"on": [TeamFailed]\nevents: [{type: TeamFailed}]',
        ),
        "ArkNotify/x",
        "spec.on",
        "on belongs to the docs form and channel to the recipe form; use one form",
        server="use either the recipe form (channel, events, rateLimiting) or the docs form",
    ),
    Case(
        "notify-slack-block-missing",
        doc("ArkNotify", "channel: {type: slack}\nevents: [{type: TeamFailed}]"),
        "ArkNotify/x",
        "spec.channel.slack",
        "a slack channel needs slack",
        server="spec.channel.slack: Invalid value",
    ),
    Case(
        "notify-event-type",
        doc(
            "ArkNotify",
            "channel: {type: slack, slack: {webhookUrlSecretRef: {name: s, key: u}}}\n"
            "events: [{type: TeamFaild}]",
        ),
        "ArkNotify/x",
        "spec.events[0].type",
        '"TeamFaild" (did you mean "TeamFailed"?)',
        server='spec.events[0].type: Unsupported value: "TeamFaild"',
    ),
    Case(
        "run-team-ref-missing",
        doc("ArkRun", "input: {topic: x}"),
        "ArkRun/x",
        "spec.teamRef",
        "required field is missing (add teamRef)",
        server="spec.teamRef: Required value",
    ),
    Case(
        "registry-max-depth-zero",
        doc("ArkRegistry", "policy: {maxDepth: 0}"),
        "ArkRegistry/x",
        "spec.policy.maxDepth",
        "must be >= 1, got 0",
        server="spec.policy.maxDepth: Invalid value: 0",
    ),
    # --- document level ----------------------------------------------------------------------
    Case(
        "retired-kind",
        doc("ArkFlow", "steps: []"),
        "ArkFlow/x",
        "kind",
        "kind ArkFlow is not served (ArkFlow was split into ArkTeam",
    ),
    Case(
        "duplicate-yaml-key",
        agent("model: m\nsystemPrompt: p\nmodel: m2"),
        "ArkAgent/a",
        "spec.model",
        'duplicate key "model" (first at line 6)',
    ),
)
