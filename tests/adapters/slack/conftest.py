"""Fixtures: a FakeSlack on a random local port, and the real SlackAdapter (bolt AsyncApp) pointed at it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adapters.slack.adapter import SlackAdapter
from adapters.slack.outbox import MemoryRefs
from tests.adapters.slack.harness import SlackSettings, VirtualTime, Workspace
from tests.fakes.slack_api import FakeSlack

PROMPTS = Path(__file__).resolve().parents[3] / "prompts"


def slack_words(locale: str | None, key: str) -> str:
    lang = "ja" if (locale or "").startswith("ja") else "en"
    words = yaml.safe_load((PROMPTS / lang / "slack.yaml").read_text(encoding="utf-8"))
    section, name = key.split(".", 1)
    return words[section][name]


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        fake.add_channel("C0MAIN", "main")
        fake.add_channel("C0OTHER", "breakout", bot_member=False)
        yield fake


@pytest.fixture
def vtime() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def refs() -> MemoryRefs:
    return MemoryRefs()


@pytest.fixture
def settings(slack) -> SlackSettings:
    return SlackSettings(slack_api_url=slack.api_url)


def make_adapter(core, settings, vtime, refs) -> SlackAdapter:
    return SlackAdapter(
        core, None, settings, refs=refs, text=slack_words, clock=vtime.clock, sleep=vtime.sleep
    )


@pytest.fixture
def workspace_for(slack, settings, vtime, refs):
    """Build a Workspace around any core (the real one, or the stand-in of test_adapter.py)."""

    def build(core) -> Workspace:
        workspace = Workspace(slack, make_adapter(core, settings, vtime, refs))
        for name, locale in (("alice", "ja-JP"), ("bob", "en-US"), ("carol", "en-GB"), ("dave", "ja-JP")):
            workspace.person(name, locale=locale)
        return workspace

    return build
