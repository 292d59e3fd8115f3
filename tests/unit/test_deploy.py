"""The production files agree with the code: two identical bot instances behind the proxy, the
health check on /healthz, the webhook path the proxy forwards."""

from __future__ import annotations

from pathlib import Path

import yaml

from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_two_identical_instances_behind_the_proxy() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    bots = [name for name, service in services.items() if service.get("build") == "."]
    assert sorted(bots) == ["bot-a", "bot-b"]
    assert services["bot-a"] == services["bot-b"]
    bot = services["bot-a"]
    # Every setting the file names exists (a typo would be silently ignored by pydantic).
    assert {name.lower() for name in bot["environment"]} <= set(Settings.model_fields)
    assert bot["environment"]["HTTP_PORT"] == "8080"
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    assert bot["restart"] == "unless-stopped"  # a fenced instance (exit 3) comes back

    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server bot-a:8080" in nginx and "server bot-b:8080" in nginx
    assert "http_503" in nginx and "non_idempotent" in nginx
    proxy_mounts = " ".join(services["proxy"]["volumes"])
    assert "deploy/nginx.conf" in proxy_mounts


def test_the_proxy_forwards_the_default_webhook_path() -> None:
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    default = Settings(_env_file=None, webhook_url="https://bot.example.vn/telegram")  # type: ignore[call-arg]
    assert f"location {default.webhook_path} " in nginx


def test_the_proxy_forwards_the_web_pages() -> None:
    from web import PUBLIC_PATHS

    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    for path in PUBLIC_PATHS:
        assert f"location {path} " in nginx, path
