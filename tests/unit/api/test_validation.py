"""Semantic validation: graphs, templates, references between documents, warnings."""

from __future__ import annotations

import textwrap

from ark.api import ArkTeam, parse_object
from ark.api.issues import Issue
from ark.api.loading import load_texts
from ark.api.validation import validate_object


def findings(text: str) -> list[tuple[str, str, str, str]]:
    """(Kind/name, severity, path, message) of every issue of a YAML text."""
    result = load_texts([("input.yaml", textwrap.dedent(text))])
    return [
        (f"{doc.kind}/{doc.name}", issue.severity, issue.location, issue.message)
        for doc in result.documents
        for issue in doc.issues
    ]


TEAM = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: t}
spec:
"""


def team(body: str) -> str:
    return TEAM + textwrap.indent(textwrap.dedent(body).strip(), "  ") + "\n"


def roles(*names: str, extra: str = "") -> str:
    return "roles:\n" + "".join(f"  - {{name: {n}, model: m, systemPrompt: p{extra}}}\n" for n in names)


def test_cycles_are_spelled_out() -> None:
    found = findings(
        team(
            roles("a", "b", "c") + "pipeline:\n"
            "  - {role: a, dependsOn: [c]}\n"
            "  - {role: b, dependsOn: [a]}\n"
            "  - {role: c, dependsOn: [b]}\n"
        )
    )
    assert ("ArkTeam/t", "error", "spec.pipeline[0].dependsOn", "dependency cycle: a -> c -> b -> a") in found


def test_self_dependency_is_a_cycle_of_one() -> None:
    found = findings(team(roles("a") + "pipeline:\n  - {role: a, dependsOn: [a]}\n"))
    assert ("ArkTeam/t", "error", "spec.pipeline[0].dependsOn[0]", "dependency cycle: a -> a") in found


def test_unreachable_roles_of_a_dynamic_team_are_flagged() -> None:
    found = findings(
        team(
            "entry: a\nroles:\n"
            "  - {name: a, model: m, systemPrompt: p, canDelegate: [b]}\n"
            "  - {name: b, model: m, systemPrompt: p}\n"
            "  - {name: c, model: m, systemPrompt: p}\n"
        )
    )
    assert found == [
        (
            "ArkTeam/t",
            "warning",
            "spec.roles[2].name",
            'role "c" cannot be reached from entry "a" through canDelegate',
        )
    ]


def test_templates_see_declared_inputs_and_steps() -> None:
    found = findings(
        team(
            roles("a", "b") + "inputs: [{name: topic}]\n"
            "input: {tone: dry}\n"
            "pipeline:\n"
            "  - role: a\n"
            "    inputs: {p: '{{ .input.topic }} {{ .input.tone }} {{ .pipeline.input.topic }}'}\n"
            "  - role: b\n"
            "    dependsOn: [a]\n"
            "    inputs: {p: '{{ .steps.a.output }} {{ .steps.a.data.x }} {{ .steps.a.status }}'}\n"
            "output: '{{ .steps.b.output }} {{ .steps.a.output }} {{ .pipeline.input.tpic }}'\n"
        )
    )
    assert found == [
        (
            "ArkTeam/t",
            "warning",
            "spec.pipeline[1].inputs.p",
            '.steps.a.data is only set when step "a" has outputSchema or validate.schema',
        ),
        (
            "ArkTeam/t",
            "error",
            "spec.pipeline[1].inputs.p",
            'unknown step field "status" in .steps.a.status',
        ),
        ("ArkTeam/t", "error", "spec.output", 'unknown input "tpic" (declared inputs: tone, topic)'),
    ]


def test_reading_a_step_that_is_not_a_dependency_is_a_warning() -> None:
    found = findings(
        team(
            roles("a", "b")
            + "pipeline:\n  - {role: a}\n  - {role: b, inputs: {p: '{{ .steps.a.output }}'}}\n"
        )
    )
    assert found == [
        (
            "ArkTeam/t",
            "warning",
            "spec.pipeline[1].inputs.p",
            'step "a" is not a dependency of this step, so its output may not exist yet',
        )
    ]


def test_a_team_without_declared_inputs_takes_free_form_input() -> None:
    found = findings(team(roles("a") + "pipeline:\n  - {role: a, inputs: {p: '{{ .input.anything }}'}}\n"))
    assert found == []


def test_ignored_upstream_fields_produce_a_warning() -> None:
    found = findings(
        team(
            "entry: a\nscaleToZero: {idleSeconds: 60}\nroles:\n"
            "  - {name: a, model: m, systemPrompt: p, autoscaling: {max: 3}}\n"
        )
    )
    assert sorted(found) == [
        (
            "ArkTeam/t",
            "warning",
            "spec.roles[0].autoscaling",
            "autoscaling is accepted for compatibility but has no effect yet",
        ),
        (
            "ArkTeam/t",
            "warning",
            "spec.scaleToZero",
            "scaleToZero is accepted for compatibility but has no effect yet",
        ),
    ]


AGENT = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkAgent
metadata: {name: helper}
spec: {model: m, systemPrompt: p, configRef: shared}
"""


def test_references_outside_the_input_are_listed_as_unresolved() -> None:
    assert findings(AGENT) == [
        (
            "ArkAgent/helper",
            "note",
            "spec.configRef.name",
            'ArkSettings "shared" is not among the given documents',
        )
    ]


def test_references_inside_the_input_resolve() -> None:
    settings = "---\napiVersion: arkonis.dev/v1alpha1\nkind: ArkSettings\nmetadata: {name: shared}\n"
    assert findings(AGENT + settings) == []


def test_references_do_not_cross_namespaces() -> None:
    settings = (
        "---\napiVersion: arkonis.dev/v1alpha1\nkind: ArkSettings\nmetadata: {name: shared, namespace: b}\n"
    )
    agent = AGENT.replace("{name: helper}", "{name: helper, namespace: a}")
    assert [f[1] for f in findings(agent + settings)] == ["note"]


def test_a_service_may_select_the_agent_generated_for_an_inline_role() -> None:
    service = (
        "---\napiVersion: arkonis.dev/v1alpha1\nkind: ArkService\nmetadata: {name: s}\n"
        "spec: {selector: {arkAgent: t-a}}\n"
    )
    assert findings(team("entry: a\n" + roles("a")) + service) == []


def test_teams_containing_each_other_are_refused() -> None:
    text = (
        team("entry: inner\nroles:\n  - {name: inner, arkTeam: u}\n")
        + "---\n"
        + team("entry: back\nroles:\n  - {name: back, arkTeam: t}\n").replace("name: t}", "name: u}")
    )
    assert (
        "ArkTeam/t",
        "error",
        "spec.roles[0].arkTeam",
        "teams contain each other: t -> u -> t",
    ) in findings(text)


def test_event_targets_are_checked_against_the_team_inputs() -> None:
    event = (
        "---\napiVersion: arkonis.dev/v1alpha1\nkind: ArkEvent\nmetadata: {name: e}\n"
        "spec:\n  source: {type: webhook}\n"
        "  targets: [{team: t, input: {dish: '{{ .trigger.body.dish }}', colour: red}}]\n"
    )
    text = team(roles("a") + "inputs: [{name: dish, required: true}]\npipeline: [{role: a}]\n") + event
    assert findings(text) == [
        (
            "ArkEvent/e",
            "warning",
            "spec.targets[0].input.colour",
            'team "t" does not declare input "colour"; it is passed through',
        )
    ]


def test_event_input_that_does_not_parse_is_refused() -> None:
    event = (
        "apiVersion: arkonis.dev/v1alpha1\nkind: ArkEvent\nmetadata: {name: e}\n"
        "spec: {source: {type: cron, cron: '@hourly'}, targets: [{team: t, input: {a: '{{ oops'}}]}\n"
    )
    found = findings(event)
    assert [(f[1], f[2]) for f in found] == [
        ("error", "spec.targets[0].input.a"),
        ("note", "spec.targets[0].team"),
    ]
    assert found[0][3].endswith("; the event cannot fire with it")


def test_cron_descriptors_and_every_are_accepted() -> None:
    for schedule in ("@hourly", "@every 1h30m", "*/5 * * * *", "0 9 * * MON-FRI"):
        event = (
            "apiVersion: arkonis.dev/v1alpha1\nkind: ArkEvent\nmetadata: {name: e}\n"
            f"spec: {{source: {{type: cron, cron: '{schedule}'}}, targets: [{{team: t}}]}}\n"
        )
        assert [f[1] for f in findings(event)] == ["note"], schedule


def test_run_snapshot_is_validated_as_a_team() -> None:
    run = (
        "apiVersion: arkonis.dev/v1alpha1\nkind: ArkRun\nmetadata: {generateName: t-}\n"
        "spec:\n  teamRef: {name: t}\n  input: {}\n"
        "  teamSpec:\n    inputs: [{name: dish, required: true}]\n"
        "    roles: [{name: a, model: m, systemPrompt: p}]\n    pipeline: [{role: a, dependsOn: [b]}]\n"
    )
    found = findings(run)
    assert (
        "ArkRun/t-*",
        "error",
        "spec.teamSpec.pipeline[0].dependsOn[0]",
        'unknown step "b" in dependsOn (steps: a)',
    ) in found
    assert ("ArkRun/t-*", "error", "spec.input", 'team "t" requires input "dish"') in found


def test_validate_object_is_usable_without_files() -> None:
    team_obj = parse_object(
        {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkTeam",
            "metadata": {"name": "t"},
            "spec": {
                "entry": "a",
                "roles": [{"name": "a", "model": "m", "systemPrompt": "p", "canDelegate": ["a"]}],
            },
        }
    )
    assert isinstance(team_obj, ArkTeam)

    assert validate_object(team_obj) == [
        Issue(("spec", "roles", 0, "canDelegate", 0), 'role "a" cannot delegate to itself', "remove it")
    ]


def test_limits_that_cannot_both_hold_are_warned_about() -> None:
    found = findings(
        team(
            "entry: a\ntimeoutSeconds: 60\nmaxTokens: 1000\nlimits: {maxDailyTokens: 500}\nroles:\n"
            "  - name: a\n    model: m\n    systemPrompt: p\n"
            "    limits: {timeoutSeconds: 300, maxTokensPerCall: 4000}\n"
        )
    )
    assert sorted(path for _, severity, path, _ in found if severity == "warning") == [
        "spec.limits.maxDailyTokens",
        "spec.roles[0].limits.maxTokensPerCall",
        "spec.roles[0].limits.timeoutSeconds",
    ]


def output_event(name: str, watched: str, *targets: str, namespace: str = "") -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    items = ", ".join(f"{{team: {t}}}" for t in targets)
    return (
        f"---\napiVersion: arkonis.dev/v1alpha1\nkind: ArkEvent\nmetadata: {{name: {name}{ns}}}\n"
        f"spec: {{source: {{type: team-output, teamOutput: {{name: {watched}}}}}, targets: [{items}]}}\n"
    )


def errors(text: str) -> list[tuple[str, str, str]]:
    return [(f[0], f[2], f[3]) for f in findings(text) if f[1] == "error"]


def test_a_cycle_of_team_output_events_is_refused_on_every_event_of_it() -> None:
    text = (
        output_event("a-to-b", "a", "b")
        + output_event("b-to-c", "b", "x", "c")
        + output_event("c-to-a", "c", "a")
    )
    assert errors(text) == [
        (
            "ArkEvent/a-to-b",
            "spec.targets[0].team",
            "team-output events form a cycle: a-to-b (a -> b), b-to-c (b -> c), c-to-a (c -> a)",
        ),
        (
            "ArkEvent/b-to-c",
            "spec.targets[1].team",
            "team-output events form a cycle: b-to-c (b -> c), c-to-a (c -> a), a-to-b (a -> b)",
        ),
        (
            "ArkEvent/c-to-a",
            "spec.targets[0].team",
            "team-output events form a cycle: c-to-a (c -> a), a-to-b (a -> b), b-to-c (b -> c)",
        ),
    ]


def test_a_chain_is_not_a_cycle_nor_are_events_in_other_namespaces() -> None:
    assert errors(output_event("a-to-b", "a", "b") + output_event("b-to-c", "b", "c")) == []
    text = output_event("ab", "a", "b", namespace="one") + output_event("ba", "b", "a", namespace="two")
    assert errors(text) == []


def test_an_event_re_running_the_team_it_watches_is_refused() -> None:
    assert errors(output_event("again", "a", "a")) == [
        (
            "ArkEvent/again",
            "spec.targets[0].team",
            'this event re-runs the team it watches: a cycle, each run of "a" would start another for ever',
        )
    ]
