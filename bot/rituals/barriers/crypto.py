"""Anonymity crypto: a per-board secret, keyed hashes that recognise a person only while it lives, and a
shuffle that nobody can predict.

A tag is HMAC-SHA256(board secret, purpose + card id + tenant + platform user id). The card id is part of
the message, so one person's tags on two cards differ: the table never shows "these cards (or these
votes) come from the same person". Without the secret a tag is 32 random-looking bytes; the board row
drops the secret at close, after which no tag can be recomputed from anything stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

SECRET_BYTES = 32
_random = secrets.SystemRandom()  # the OS CSPRNG: a reveal's order cannot be predicted or replayed


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def new_card_id() -> str:
    """16 url-safe characters (96 random bits): a card's id says nothing about when it came in."""
    return secrets.token_urlsafe(12)


def _tag(secret: bytes, purpose: str, card_id: str, tenant: str, user: str) -> bytes:
    message = "\x00".join((purpose, card_id, tenant, user)).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).digest()


def author_tag(secret: bytes, card_id: str, tenant: str, user: str) -> bytes:
    return _tag(secret, "author", card_id, tenant, user)


def voter_tag(secret: bytes, card_id: str, tenant: str, user: str) -> bytes:
    return _tag(secret, "metoo", card_id, tenant, user)


def same_tag(a: bytes | None, b: bytes) -> bool:
    return a is not None and hmac.compare_digest(a, b)


def shuffled(items: Sequence[T]) -> list[T]:
    out = list(items)
    _random.shuffle(out)
    return out
