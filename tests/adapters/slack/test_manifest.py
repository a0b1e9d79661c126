"""The manifest a user pastes asks for exactly what the adapter uses: scopes, the command, the events."""

from __future__ import annotations

from importlib import resources

import yaml

from adapters.slack.settings import SCOPES, SlackSettings


def manifest() -> dict:
    return yaml.safe_load((resources.files("adapters.slack") / "manifest.yml").read_text("utf-8"))


def test_manifest_scopes_are_the_adapters_scopes():
    assert sorted(manifest()["oauth_config"]["scopes"]["bot"]) == sorted(SCOPES)


def test_manifest_command_escapes_mentions_and_matches_the_adapter():
    [command] = manifest()["features"]["slash_commands"]
    assert command["command"] == SlackSettings().command
    assert command["should_escape"] is True  # `@bob` arrives as <@U…|bob>, which translate.py expects
    assert len(command["description"]) <= 100 and len(command["usage_hint"]) <= 1000


def test_manifest_subscribes_to_mentions_and_starts_in_socket_mode_with_interactivity():
    settings = manifest()["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_mention"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert len(manifest()["display_information"]["description"]) <= 140
