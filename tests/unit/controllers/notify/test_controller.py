"""The controller's pure helpers: who refers to a policy, which Secrets it reads, cache freshness."""

from __future__ import annotations

import pytest

from ark.controllers.notify.controller import caught_up, notify_ref, secret_names


def test_teams_and_agents_are_indexed_by_the_policy_they_refer_to() -> None:
    assert notify_ref({"metadata": {"namespace": "ns"}, "spec": {"notifyRef": {"name": "ops"}}}) == ["ns/ops"]
    for spec in ({}, {"notifyRef": {}}, {"notifyRef": "ops"}, {"notifyRef": {"name": ""}}):
        assert notify_ref({"metadata": {"namespace": "ns"}, "spec": spec}) == []


def test_every_secret_a_policy_names_in_either_form_is_found() -> None:
    recipe = {"spec": {"channel": {"slack": {"webhookUrlSecretRef": {"name": "a", "key": "k"}}}}}
    docs = {
        "spec": {
            "channels": [
                {"slack": {"webhookURLFrom": {"name": "b", "key": "k"}}},
                {"webhook": {"urlFrom": {"name": "c"}, "headers": [{"valueFrom": {"name": "d"}}, "junk"]}},
                "junk",
            ]
        }
    }
    assert secret_names(recipe) == {"a"}
    assert secret_names(docs) == {"b", "c", "d"}
    assert secret_names({}) == set()


@pytest.mark.parametrize(
    ("cached", "written", "expected"),
    [
        ("10", "10", True),
        ("11", "10", True),
        ("9", "10", False),
        ("abc", "abc", True),
        ("abc", "10", False),
        (None, "10", False),
    ],
)
def test_the_cache_counts_only_once_it_reached_our_last_write(
    cached: object, written: str, expected: bool
) -> None:
    assert caught_up(cached, written) is expected
