"""Text a hostile participant might type, for the tests that check the bot repeats it inert everywhere."""

from __future__ import annotations

VICTIM = "U0VICTIM"  # nobody the bot itself ever mentions: if `<@U0VICTIM>` pings, a person typed it
LINK = "[re-verify your login here](https://evil.example/login)"
CARD = (
    f"{LINK} <@{VICTIM}> @everyone @here <!here> <!channel> <#C0MAIN> <t:1767225600:R>"
    " <https://evil.example|click> **loud** \u202egpj.exe zero\u200bwidth word\u2060joiner\ufeff"
)
# The same after the invisible and reordering characters are taken out: what readers see.
CARD_SHOWN = (
    f"{LINK} <@{VICTIM}> @everyone @here <!here> <!channel> <#C0MAIN> <t:1767225600:R>"
    " <https://evil.example|click> **loud** gpj.exe zerowidth wordjoiner"
)
LONG_WORD = "<" * 999 + "x"  # 1,000 characters, no space: every one of them needs escaping
LONG_URL = "https://evil.example/" + "a" * 979
EVENT_NAME = f"<@{VICTIM}> <!here> @everyone [x](https://evil.example) \u202eevil"
PROFILE = f"<@{VICTIM}> https://evil.example/org @here"
INVISIBLE = ("\u202e", "\u202a", "\u2066", "\u200b", "\u2060", "\ufeff", "\ue000", "\ue001")
