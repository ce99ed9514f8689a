"""The repository's own promises: the README's commands, CI, docker-compose."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT


def readme_command(marker: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker} -->\n```sh\n(.+?)\n```", text)
    assert match, f"README.md lacks the {marker} block"
    return match.group(1)


def test_readme_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.index("demo-command") < text.index("test-command") < text.index("## Configuration")
    assert readme_command("demo-command").endswith("firebreak demo")
    assert "pytest" in readme_command("test-command")


def test_ci_runs_the_readme_test_command_with_services_required() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "FIREBREAK_TEST_REQUIRE_SERVICES=1" in script
    assert "test-command" in script


def test_readme_documents_every_setting() -> None:
    from app.config import Settings

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        variable = field.validation_alias if isinstance(field.validation_alias, str) else f"FIREBREAK_{name.upper()}"
        assert f"`{variable}`" in text, f"{variable} is not documented in README.md"


def test_docker_compose_is_valid_and_complete() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) >= {"app", "postgres", "redis"}
    for name in ("app", "postgres", "redis"):
        assert "test" in services[name]["healthcheck"], name
    env = services["app"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://")
    assert services["app"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert (ROOT / services["app"]["build"] / "Dockerfile").exists()
    for variable in env:
        assert f"`{variable}`" in (ROOT / "README.md").read_text(encoding="utf-8")


async def test_models_and_committed_migrations_agree(backend: object) -> None:
    """A model change without its migration fails here (`tortoise makemigrations` writes it)."""
    from tortoise.context import get_current_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    from app.db import tortoise_config

    context = get_current_context()
    assert context is not None and context.apps is not None
    apps_config = tortoise_config("sqlite://:memory:")["apps"]
    changes = await MigrationAutodetector(context.apps, apps_config).changes()
    assert changes == [], [f"{w.app_label}: {w.name}" for w in changes]
