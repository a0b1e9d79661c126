"""Fixtures: a FakeSlack on a random local port, and the real SlackAdapter (bolt AsyncApp) pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.slack.adapter import SlackAdapter
from adapters.slack.outbox import MemoryRefs
from bot.bootstrap import App, build
from bot.clock import VirtualClock
from bot.config import Settings
from bot.i18n import Catalog
from tests.adapters.slack.harness import VirtualTime, Workspace, slack_settings
from tests.fakes.slack_api import FakeSlack

EPOCH = 1_760_000_000.0 - 1_000.0  # Slack's timestamps read like 2025's, with virtual time from 1,000
PEOPLE = (("alice", "ja-JP"), ("bob", "en-US"), ("carol", "en-GB"), ("dave", "ja-JP"))


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture
async def slack(vtime: VirtualTime) -> AsyncIterator[FakeSlack]:
    # Slack's clock is the adapter's virtual time: pacing sleeps move it, and trigger ids age with it.
    async with FakeSlack(clock=lambda: EPOCH + vtime.clock()) as fake:
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
def settings(slack: FakeSlack) -> Settings:
    return slack_settings(slack.api_url)


def make_adapter(core, settings, vtime, refs=None, store=None) -> SlackAdapter:
    return SlackAdapter(core, store, settings, refs=refs, clock=vtime.clock, sleep=vtime.sleep)


@pytest.fixture
def workspace_for(slack, settings, vtime, refs):
    """A Workspace around a stand-in core (test_adapter.py): the adapter's plumbing on its own."""

    def build_workspace(core) -> Workspace:
        workspace = Workspace(slack, make_adapter(core, settings, vtime, refs))
        for name, locale in PEOPLE:
            workspace.person(name, locale=locale)
        return workspace

    return build_workspace


@pytest.fixture
async def bot(
    database_url: str, slack: FakeSlack, vtime: VirtualTime
) -> AsyncIterator[tuple[App, Workspace]]:
    """The whole bot (real core, store and timers on a virtual clock) with Slack as its adapter."""
    settings = slack_settings(slack.api_url, database_url=database_url)
    app = build(settings, clock=VirtualClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC)))
    # As bootstrap.add_platform_adapters does, with virtual time for pacing and 429 back-offs.
    adapter = make_adapter(app.core, settings, vtime, store=app.store)
    app.dispatcher.register("slack", adapter)
    app.adapters.append(adapter)
    await app.store.upgrade()
    await app.timers.start()
    workspace = Workspace(slack, adapter)
    for name, locale in PEOPLE:
        workspace.person(name, locale=locale)
    try:
        yield app, workspace
    finally:
        await app.close()
