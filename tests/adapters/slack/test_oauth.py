"""Installing into several workspaces: OAuth through bolt, installations kept in the bot's own database."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from pydantic import SecretStr

from bot.actions import Message, Post
from bot.bootstrap import build
from bot.clock import VirtualClock
from tests.adapters.slack.conftest import make_adapter
from tests.adapters.slack.harness import slack_settings
from tests.fakes import slack_requests as sr
from tests.test_core import scan_database

pytestmark = pytest.mark.db


def oauth_settings(slack, database_url):
    return slack_settings(
        slack.api_url,
        database_url=database_url,
        slack_bot_token=None,
        slack_client_id="111.222",
        slack_client_secret=SecretStr("client-secret"),
    )


@pytest.fixture
async def oauth_bot(database_url, slack, vtime):
    settings = oauth_settings(slack, database_url)
    assert settings.slack_configured
    app = build(settings, clock=VirtualClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC)))
    adapter = make_adapter(app.core, settings, vtime, store=app.store)
    app.dispatcher.register("slack", adapter)
    app.adapters.append(adapter)
    await app.store.upgrade()
    await adapter.start()
    try:
        yield adapter
    finally:
        await app.close()


async def install(base: str, slack, team: str, name: str) -> int:
    """A workspace admin clicks "Add to Slack", approves, and their browser lands on our redirect URL."""
    async with aiohttp.ClientSession() as browser:
        async with browser.get(f"{base}/slack/install", allow_redirects=False) as consent:
            assert consent.status == 302
            location = urlparse(consent.headers["Location"])
            assert location.netloc == "slack.com" and location.path == "/oauth/v2/authorize"
            query = parse_qs(location.query)
            assert query["client_id"] == ["111.222"] and "commands" in query["scope"][0]
            cookie = consent.cookies["slack-app-oauth-state"].value
        code = slack.new_oauth_code(team, name)
        callback = f"{base}/slack/oauth_redirect?code={code}&state={query['state'][0]}"
        async with browser.get(callback, headers={"Cookie": f"slack-app-oauth-state={cookie}"}) as landed:
            return landed.status


async def command(base: str, body: str) -> int:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/slack/events", data=body, headers=sr.signed(body)[1]) as answer:
            return answer.status


async def test_a_workspace_installs_and_is_answered_with_its_own_token(oauth_bot, slack):
    base = f"http://127.0.0.1:{oauth_bot.port}"
    assert await install(base, slack, "T0002", "Second Place") == 200
    slack.add_user("U2ZOE", "zoe")
    body = sr.slash_command_body('event start "Two" --lang en', user="U2ZOE", team="T0002")
    assert await command(base, body) == 200
    await oauth_bot.settle()
    [post] = slack.calls_to("chat.postMessage", ok=True)
    assert post.token == "xoxb-t0002-token"
    assert slack.texts("C0MAIN")[0].startswith("*Two* has started")

    # A timer's message (no request in hand) finds the workspace's token in the installation store.
    oauth_bot._tokens.clear()
    oauth_bot._clients.clear()
    [delivery] = await oauth_bot.send("slack:T0002", [Post("C0MAIN", Message("a nudge"))])
    assert delivery.status == "ok"
    assert slack.calls_to("chat.postMessage", ok=True)[-1].token == "xoxb-t0002-token"


async def test_a_workspace_that_never_installed_gets_nothing_done(oauth_bot, slack):
    base = f"http://127.0.0.1:{oauth_bot.port}"
    slack.add_user("U3NOBODY", "nobody")
    body = sr.slash_command_body('event start "Three"', user="U3NOBODY", team="T0003")
    await command(base, body)
    await oauth_bot.settle()
    assert slack.calls_to("chat.postMessage") == []


async def test_a_forged_install_callback_is_refused(oauth_bot, slack):
    base = f"http://127.0.0.1:{oauth_bot.port}"
    code = slack.new_oauth_code("T0004", "Forged")
    async with aiohttp.ClientSession() as browser:
        async with browser.get(f"{base}/slack/oauth_redirect?code={code}&state=made-up") as landed:
            assert landed.status >= 400
    assert slack.calls_to("oauth.v2.access") == []


async def test_a_timers_message_for_a_workspace_that_uninstalled_is_reported_not_raised(oauth_bot, slack):
    [delivery] = await oauth_bot.send("slack:T0009", [Post("C0MAIN", Message("a nudge"))])
    assert delivery.status == "failed" and delivery.detail == "not_installed"
    assert slack.calls_to("chat.postMessage") == []


async def test_forget_me_after_an_oauth_install_leaves_no_row_naming_the_installer(oauth_bot, slack):
    """The admin who installed the app uses it, then asks to be forgotten: no table, not even slack_sdk's
    installation tables, still holds their user id or name, and the workspace keeps working."""
    base = f"http://127.0.0.1:{oauth_bot.port}"
    assert await install(base, slack, "T0002", "Second Place") == 200  # installed by U0ADMIN
    slack.add_user("U0ADMIN", "adminperson")
    slack.add_user("U2ZOE", "zoe")
    for user, text in (
        ("U2ZOE", 'event start "Two" --lang en'),
        ("U0ADMIN", "join --org Adminshire"),
        ("U0ADMIN", "tz Europe/Paris"),
        ("U0ADMIN", "forget-me confirm"),
    ):
        body = sr.slash_command_body(text, user=user, user_name="adminperson", team="T0002")
        assert await command(base, body) == 200
        await oauth_bot.settle()
    answer = slack.calls_to("chat.postEphemeral", ok=True)[-1].args
    assert answer["user"] == "U0ADMIN" and "Everything Tsunagari held about you has been deleted" in str(
        answer["blocks"]
    )
    hits = await scan_database(
        SimpleNamespace(app=SimpleNamespace(store=oauth_bot.store)), ["U0ADMIN", "admin"]
    )
    assert hits == [], f"rows still name the forgotten installer: {hits}"
    # The installation itself stays: a timer's message finds the bot token without the installer.
    oauth_bot._tokens.clear()
    oauth_bot._clients.clear()
    [delivery] = await oauth_bot.send("slack:T0002", [Post("C0MAIN", Message("a nudge"))])
    assert delivery.status == "ok"
    assert slack.calls_to("chat.postMessage", ok=True)[-1].token == "xoxb-t0002-token"


async def test_an_installation_saved_with_its_installer_before_is_scrubbed_when_the_adapter_starts(
    oauth_bot, slack, database_url, vtime
):
    from slack_sdk.oauth.installation_store import Installation
    from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

    slack.add_team("T0005", "Fifth", bot_token="xoxb-t0005-token", bot_user="UBOT0005")
    plain = AsyncSQLAlchemyInstallationStore(client_id="111.222", engine=oauth_bot.store.engine)
    await plain.async_save(
        Installation(
            app_id="A0001",
            team_id="T0005",
            bot_token="xoxb-t0005-token",
            bot_user_id="UBOT0005",
            user_id="U0OLDADMIN",
            user_token="xoxp-old-admin",
            user_scopes="search:read",
        )
    )
    assert await scan_database(SimpleNamespace(app=SimpleNamespace(store=oauth_bot.store)), ["U0OLDADMIN"])
    # The bot restarts on the same database: a new adapter starts.
    restarted = make_adapter(
        oauth_bot.core, oauth_settings(slack, database_url), vtime, store=oauth_bot.store
    )
    await restarted.start()
    await restarted.stop()
    hits = await scan_database(
        SimpleNamespace(app=SimpleNamespace(store=oauth_bot.store)), ["U0OLDADMIN", "xoxp-old-admin"]
    )
    assert hits == []
    [delivery] = await oauth_bot.send("slack:T0005", [Post("C0MAIN", Message("still installed"))])
    assert delivery.status == "ok"
