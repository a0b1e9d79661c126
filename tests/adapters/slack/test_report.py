"""The report through Slack: a facilitator's `/tsunagari report` answers privately, and its charts go to
their DM by Slack's own upload (getUploadURLExternal, the bytes, completeUploadExternal)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db


async def test_the_report_answers_privately_and_uploads_its_charts_to_the_dm(bot):
    app, ws = bot
    await ws.command("alice", 'event start "Yorimichi January" --lang en --tz asia/tokyo')
    for name, org in (("bob", "Fujitsu"), ("carol", "LinkedIn"), ("dave", "Musubi")):
        await ws.command(name, f"join --org {org}")
    await ws.command("alice", "connections add <@U0BOB> <@U0CAROL> <@U0DAVE>")
    await ws.command("alice", "report")
    # Alice's Slack speaks Japanese: she reads her report in Japanese.
    assert any("生まれたリンク：3" in text for text in ws.whispers("alice"))
    assert not any("生まれたリンク" in text for text in ws.channel())  # never in the channel
    [upload] = ws.slack.uploads
    assert upload["channel"] == ws.slack.dm_channel(ws.ids["alice"])
    assert upload["initial_comment"] == "「*Yorimichi January*」のレポートを図で："
    assert [(f["filename"], f["title"]) for f in upload["files"]] == [("funnel.png", "リンクから関係へ")]
    assert upload["files"][0]["data"].startswith(b"\x89PNG")
    # Slack's three steps, in order, each file's bytes checked against the length promised.
    methods = [c.method for c in ws.slack.calls if c.method.startswith("files.")]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]
