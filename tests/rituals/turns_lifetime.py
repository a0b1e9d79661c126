"""One whole bot process for the turns restart test: python -m tests.rituals.turns_lifetime URL ISO_TIME MODE

`start` opens an event, starts a round of 3-minute turns in the order given, lets a minute pass and exits;
`resume` starts the bot at ISO_TIME on the same database, asks where the round stands, lets 90 seconds
pass and exits. Each prints every line the bot showed (a virtual clock, so nobody waits).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from tests.support import Chat


async def main(url: str, when: str, mode: str) -> None:
    chat = Chat(url, datetime.fromisoformat(when))
    await chat.start()
    try:
        if mode == "start":
            await chat.say("alice", '/tsunagari event start "Lifetimes" --lang en')
            for person in ("bob", "carol"):
                await chat.say(person, "/tsunagari join")
            await chat.say("alice", "/tsunagari turns --order given")
            await chat.wait(minutes=1)
        else:
            await chat.say("alice", "/tsunagari turns status")
            await chat.wait(seconds=90)
    finally:
        await chat.close()
    for line in chat.transcript:
        print(line)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
