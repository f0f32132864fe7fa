"""Run names per fire: the same fire always gets the same name, different fires never share one."""

from __future__ import annotations

from ark.controllers.event.names import MAX_NAME, fire_run_name


def test_the_same_fire_gets_the_same_name() -> None:
    first = fire_run_name("nightly", "2026-01-05T09:05:00Z", 0)
    assert first == fire_run_name("nightly", "2026-01-05T09:05:00Z", 0)
    assert first.startswith("nightly-")
    assert first.endswith("-0")


def test_other_fires_and_targets_get_other_names() -> None:
    names = {
        fire_run_name("nightly", "2026-01-05T09:05:00Z", 0),
        fire_run_name("nightly", "2026-01-05T09:05:00Z", 1),
        fire_run_name("nightly", "2026-01-05T09:10:00Z", 0),
        fire_run_name("weekly", "2026-01-05T09:05:00Z", 0),
    }
    assert len(names) == 4


def test_a_long_event_name_is_shortened_to_a_valid_name() -> None:
    # The cut falls right after a "-", which must not be left doubled before the suffix.
    name = fire_run_name("e" * 48 + "-" + "x" * 20, "key", 12)
    assert len(name) <= MAX_NAME
    assert name.startswith("e" * 48 + "-")
    assert name.endswith("-12")
    assert "--" not in name
