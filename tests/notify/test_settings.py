"""Mail settings from the environment."""
from __future__ import annotations

import pytest

from pipeline.notify.settings import MailSettings, from_environment


def test_nothing_set_means_no_email():
    settings = from_environment({})
    assert not settings.configured
    assert settings.link("/sign-in") == "http://127.0.0.1:8000/sign-in"


def test_smtp_and_notify_from_the_environment():
    settings = from_environment({
        "AGENCY_RETURN_SERVICE_URL": "https://returns.example/", "AGENCY_RETURN_MAIL_FROM": "noreply@returns.example",
        "AGENCY_RETURN_SMTP_HOST": "smtp.example", "AGENCY_RETURN_SMTP_PORT": "465",
        "AGENCY_RETURN_SMTP_SECURITY": "TLS", "AGENCY_RETURN_SMTP_USERNAME": "u",
        "AGENCY_RETURN_SMTP_PASSWORD": "smtp-secret",
        "AGENCY_RETURN_NOTIFY_API_KEY": "notify-secret", "AGENCY_RETURN_NOTIFY_TEMPLATE": "every",
        "AGENCY_RETURN_NOTIFY_TEMPLATE_REMINDER": "reminders"})
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_security) == ("smtp.example", 465, "tls")
    assert settings.link("submissions") == "https://returns.example/submissions"
    assert settings.notify_template_for("reminder") == "reminders"
    assert settings.notify_template_for("invitation") == "every"
    assert "smtp-secret" not in repr(settings) and "notify-secret" not in repr(settings)


@pytest.mark.parametrize("env", [{"AGENCY_RETURN_SMTP_PORT": "twenty-five"}, {"AGENCY_RETURN_SMTP_SECURITY": "ssl3"}])
def test_a_bad_setting_says_which(env):
    with pytest.raises(ValueError, match=next(iter(env))):
        from_environment(env)


def test_notify_needs_a_template_as_well_as_a_key():
    assert not MailSettings(notify_api_key="key").configured
    assert MailSettings(notify_api_key="key", notify_templates={"reminder": "t"}).configured
