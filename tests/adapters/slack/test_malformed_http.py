"""HTTP mode: every request Slack would never send is answered 4xx, with one quiet log line and no traceback.

Each request is posted to the adapter's own aiohttp server (bolt's HTTP handler behind our gate), with
logging set up as `tsunagari run` sets it up; the access log's own line per request is not counted.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.adapters.slack.conftest import make_adapter
from tests.adapters.slack.test_adapter import RuleCore
from tests.fakes import slack_requests as sr
from tests.operator_log import operator_log

COMMAND = sr.slash_command_body("help", user="U0BOB", trigger_id="1.2.cmd")


def signed_with(timestamp: str, body: str | bytes = COMMAND, **headers: str) -> tuple[str | bytes, dict]:
    """Headers whose signature is right for `timestamp`, whatever it is (Slack's recipe, applied blindly)."""
    raw = body if isinstance(body, bytes) else body.encode()
    digest = hmac.new(sr.SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + raw, hashlib.sha256)
    base = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": "v0=" + digest.hexdigest(),
    }
    return body, {**base, **headers}


def without(header: str, request: tuple[str, dict[str, str]]) -> tuple[str, dict[str, str]]:
    body, headers = request
    return body, {k: v for k, v in headers.items() if k != header}


MALFORMED = {
    "timestamp-not-a-number": (signed_with("abc"), 401),
    "timestamp-with-a-sign": (signed_with("-0"), 401),
    "timestamp-missing": (without("x-slack-request-timestamp", sr.signed(COMMAND)), 401),
    "timestamp-an-hour-old": (sr.signed(COMMAND, timestamp=int(time.time()) - 3600), 401),
    "signature-wrong": (sr.signed(COMMAND, secret="not-the-secret"), 401),
    "signature-missing": (without("x-slack-signature", sr.signed(COMMAND)), 401),
    "signature-not-hex": (signed_with(str(int(time.time())), **{"x-slack-signature": "v0=zz"}), 401),
    "payload-not-json": (sr.signed(urlencode({"payload": "{not json"})), 400),
    "payload-json-not-an-object": (sr.signed(urlencode({"payload": "[1, 2]"})), 400),
    "json-body-not-json": (sr.signed("{nope", json_body=True), 400),
    "body-missing": (sr.signed(""), 400),
    "body-not-utf8": (signed_with(str(int(time.time())), b"command=%2Ft&text=\xff\xfe"), 400),
    "body-huge": (sr.signed(urlencode({"payload": "x" * 3_000_000})), 413),
}


@pytest.fixture
def core(catalog) -> RuleCore:
    return RuleCore(catalog)


@pytest.fixture
async def http_adapter(core, settings, vtime, refs):
    """Logging first, then the adapter: bolt copies the root's level into its loggers when it is built."""
    with operator_log(settings) as log:
        adapter = make_adapter(core, settings, vtime, refs)
        await adapter.start()
        try:
            yield adapter, f"http://127.0.0.1:{adapter.port}/slack/events", log
        finally:
            await adapter.stop()


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_a_malformed_request_gets_a_4xx_and_one_quiet_line(http_adapter, core, case):
    adapter, url, log = http_adapter
    (body, headers), status = MALFORMED[case]
    data = body if isinstance(body, bytes) else body.encode()
    log.entries.clear()
    async with aiohttp.ClientSession() as http, http.post(url, data=data, headers=headers) as answer:
        assert answer.status == status
    await adapter.settle()
    lines = [e for e in log.entries if " aiohttp.access:" not in e]
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0] and " ERROR " not in lines[0]
    assert "U0BOB" not in lines[0]  # bolt's line about a bad signature quotes the body: redacted here
    assert core.events == []  # nothing reached the core


async def test_a_well_formed_request_still_gets_through(http_adapter, core):
    _, url, _ = http_adapter
    body, headers = sr.signed(COMMAND)
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as answer:
        assert answer.status == 200
