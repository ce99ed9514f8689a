"""The notification settings: read from the environment, a bad value stops the start naming its
variable (and never repeating a secret), and the channels' configurations built from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import ConfigError, load_settings
from app.notifications.channels.email import EmailConfig
from app.notifications.channels.slack import SlackConfig
from app.notifications.channels.smtp import SmtpSecurity
from app.notifications.outbound import OutboundGuard


def test_defaults_write_mails_to_the_outbox_and_leave_slack_off(tmp_path: Path) -> None:
    settings = load_settings(data_dir=str(tmp_path))
    email = EmailConfig.from_settings(settings)
    assert email.server is None and email.outbox == tmp_path / "outbox"
    assert email.sender == "Firebreak <firebreak@localhost>"
    slack = SlackConfig.from_settings(settings)
    assert slack.token is None and slack.signing_secret is None and slack.api_url == "https://slack.com/api/"
    assert OutboundGuard.from_settings(settings).allow.hosts == frozenset()


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIREBREAK_SMTP_URL", "smtp+starttls://pager%40ops:p%40ss-w0rd@smtp.example:2525")
    monkeypatch.setenv("FIREBREAK_SMTP_FROM", "Ops Pager <pager@ops.example>")
    monkeypatch.setenv("FIREBREAK_SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    monkeypatch.setenv("FIREBREAK_SLACK_SIGNING_SECRET", "signing-secret-value")
    monkeypatch.setenv("FIREBREAK_SLACK_API_URL", "http://127.0.0.1:9999/api")
    monkeypatch.setenv("FIREBREAK_OUTBOUND_ALLOW", " hooks.internal , 10.1.0.0/16,127.0.0.1 ")
    settings = load_settings()
    email = EmailConfig.from_settings(settings)
    assert email.server is not None and email.server.security is SmtpSecurity.STARTTLS
    assert (email.server.host, email.server.port, email.server.username) == ("smtp.example", 2525, "pager@ops")
    assert email.server.password == "p@ss-w0rd" and email.domain == "ops.example"
    assert email.describe() == "smtp+starttls://smtp.example:2525"
    slack = SlackConfig.from_settings(settings)
    assert (slack.token, slack.signing_secret, slack.api_url) == (
        "xoxb-1-2-abc",
        "signing-secret-value",
        "http://127.0.0.1:9999/api/",
    )
    assert settings.outbound_allow == ("hooks.internal", "10.1.0.0/16", "127.0.0.1")
    shown = repr(settings) + repr(email) + repr(slack)
    assert "p@ss-w0rd" not in shown and "xoxb-1-2-abc" not in shown and "signing-secret-value" not in shown


def test_blank_secrets_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FIREBREAK_SMTP_URL", "FIREBREAK_SLACK_BOT_TOKEN", "FIREBREAK_SLACK_SIGNING_SECRET"):
        monkeypatch.setenv(name, "  ")
    settings = load_settings()
    assert settings.smtp_url is None and settings.slack_bot_token is None and settings.slack_signing_secret is None


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FIREBREAK_SMTP_URL", "http://user:hunter2-secret@smtp.example", "must start with smtp://"),
        ("FIREBREAK_SMTP_URL", "smtps://user:hunter2-secret@/", "must name the SMTP server's host"),
        ("FIREBREAK_SMTP_URL", "smtp://user:hunter2-secret@smtp.example:99999", "not a valid URL"),
        ("FIREBREAK_SMTP_FROM", "nobody", "must be an address"),
        ("FIREBREAK_SLACK_BOT_TOKEN", "hunter2-secret", "must be a Slack bot token"),
        ("FIREBREAK_SLACK_API_URL", "slack.com/api", "must be an http(s) URL"),
        ("FIREBREAK_OUTBOUND_ALLOW", "hooks.internal,http://x/", "'http://x/' is not a host name"),
        ("FIREBREAK_OUTBOUND_ALLOW", "10.0.0.0/33", "'10.0.0.0/33' is not a host name"),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value).startswith(f"{variable}: ") and message in str(raised.value)
    assert "hunter2-secret" not in str(raised.value)
