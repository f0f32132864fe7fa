"""``ark init NAME``: the project it writes runs with the mock model; it never overwrites anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ark.cli.init_files import MAX_NAME, check_name, project_files
from tests.unit.cli.support import ark


def test_init_writes_a_project_whose_team_runs_with_the_mock(tmp_path: Path) -> None:
    created = ark("init", str(tmp_path / "tea-notes"))
    assert created.returncode == 0, created.stderr
    project = tmp_path / "tea-notes"
    assert sorted(p.name for p in project.iterdir()) == [
        ".env.example",
        ".gitignore",
        "README.md",
        "team.yaml",
    ]

    validated = ark("validate", str(project / "team.yaml"))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "0 errors, 0 warnings" in validated.stdout

    done = ark(
        "run", str(project / "team.yaml"), "--provider", "mock", "--input", "topic=green tea", "-o", "json"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["team"] == "tea-notes"
    assert result["phase"] == "Succeeded"
    assert [(s["name"], s["agent"], s["phase"]) for s in result["steps"]] == [
        ("researcher", "tea-notes-researcher", "Succeeded"),
        ("writer", "tea-notes-writer", "Succeeded"),
    ]
    assert result["output"]


def test_the_quickstart_is_an_ark_agent_and_a_team_that_plays_it() -> None:
    agent, team = yaml.safe_load_all(project_files("blog")["team.yaml"])
    assert (agent["kind"], agent["metadata"]["name"]) == ("ArkAgent", "blog-researcher")
    assert (team["kind"], team["metadata"]["name"]) == ("ArkTeam", "blog")
    assert {"name": "researcher", "arkAgent": "blog-researcher"} in team["spec"]["roles"]
    assert [s["role"] for s in team["spec"]["pipeline"]] == ["researcher", "writer"]
    # Keys come from an optional Secret: the pods start before anyone has created it.
    assert agent["spec"]["envFrom"] == [{"secretRef": {"name": "blog-llm", "optional": True}}]


def test_env_example_names_the_provider_variables_without_values() -> None:
    lines = project_files("blog")[".env.example"].splitlines()
    settings = [line.lstrip("# ") for line in lines if "=" in line and not line.startswith("#   ")]
    names = {line.split("=", 1)[0] for line in settings if line.split("=", 1)[0].isupper()}
    assert {"ARK_PROVIDER", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY"} <= names
    assert "OPENAI_API_KEY=\n" in project_files("blog")[".env.example"]
    assert project_files("blog")[".gitignore"] == ".env\n"


def test_the_readme_says_how_to_run_it_here_and_in_a_cluster() -> None:
    readme = project_files("blog")["README.md"]
    assert "ark run team.yaml --provider mock" in readme
    assert "kubectl create secret generic blog-llm --from-env-file=.env" in readme
    assert "ark trigger blog" in readme


@pytest.mark.parametrize("existing", ["empty-dir", "full-dir", "file"])
def test_an_existing_path_is_refused_and_left_alone(tmp_path: Path, existing: str) -> None:
    target = tmp_path / "blog"
    if existing == "file":
        target.write_text("mine")
    else:
        target.mkdir()
        if existing == "full-dir":
            (target / "team.yaml").write_text("mine")
    done = ark("init", str(target))
    assert done.returncode == 1
    assert f"{target} already exists" in done.stderr
    if existing == "file":
        assert target.read_text() == "mine"
    else:
        assert [p.name for p in target.iterdir()] == (["team.yaml"] if existing == "full-dir" else [])
        if existing == "full-dir":
            assert (target / "team.yaml").read_text() == "mine"


def test_an_invalid_name_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    done = ark("init", str(tmp_path / "My_Team"))
    assert done.returncode == 2
    assert "'My_Team' is not a valid name" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_last_part_of_a_path_names_the_team(tmp_path: Path) -> None:
    assert ark("init", str(tmp_path / "a" / "b" / "notes")).returncode == 0
    team = list(yaml.safe_load_all((tmp_path / "a" / "b" / "notes" / "team.yaml").read_text()))[1]
    assert team["metadata"]["name"] == "notes"


@pytest.mark.parametrize("name", ["a", "blog", "my-team-2", "0x", "a" * MAX_NAME])
def test_valid_names(name: str) -> None:
    check_name(name)


@pytest.mark.parametrize(
    "name", ["", "Blog", "my_team", "-blog", "blog-", "blog.io", "a b", "a" * (MAX_NAME + 1)]
)
def test_invalid_names(name: str) -> None:
    with pytest.raises(ValueError, match="is not a valid name"):
        check_name(name)
