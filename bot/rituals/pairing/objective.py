"""The pairing objective: how much two participants should meet, as integer weights.

A pair's weight ranks four things lexicographically: the two share a language; they have not met
before (or, if they have, how often and how recently); how many bridge attributes they differ on; and
a small seeded jitter that breaks ties. The unit of each tier is larger than the most the tiers below
it can add up to over a whole grouping, so maximising the sum of weights is the lexicographic optimum
of the grouping, not just of each pair.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

BRIDGE_ATTRIBUTES: tuple[str, ...] = ("org", "region", "generation", "role")

JITTER_LEVELS = 8
"""Jitter takes values 0..JITTER_LEVELS-1; only ever a tie-break."""

MAX_PENALTY = 31
"""The largest penalty a single repeated pair can carry."""

RECENT_WINDOW = 10
"""Meetings older than this many units of `ago` count as old; newer ones cost more."""


@dataclass(frozen=True)
class Participant:
    """Someone to be placed in a pair or group; `key` is opaque to the matcher (a user id, say).

    An empty `languages` set means "not stated" and is treated as able to talk with anyone; callers
    that know the event's language should fill it in instead.
    """

    key: str
    languages: frozenset[str] = frozenset()
    org: str | None = None
    region: str | None = None
    generation: str | None = None
    role: str | None = None
    interests: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PastMeeting:
    """Two participants who met before: `times` meetings, the latest `ago` rounds (or days) back.

    Use one unit for `ago` throughout a community; `ago=0` is "just now" (the round being planned
    alongside). Only the first RECENT_WINDOW units of recency make a difference.
    """

    a: str
    b: str
    times: int = 1
    ago: int = 1


def repeat_penalty(times: int, ago: int) -> int:
    """The penalty, 1..MAX_PENALTY, for pairing two people again; more for often and for recently."""
    often = 2 * min(max(times, 1) - 1, 10)
    recent = max(0, RECENT_WINDOW - max(ago, 0))
    return min(MAX_PENALTY, 1 + often + recent)


_OFTEN_CAP = 11
"""repeat_penalty grows with `times` up to 11 meetings and with recency up to RECENT_WINDOW: beyond either
it is flat, so the table below holds every value it takes."""
_PENALTY = [
    [repeat_penalty(times, ago) for ago in range(RECENT_WINDOW + 1)] for times in range(_OFTEN_CAP + 1)
]


@dataclass(frozen=True)
class Tiers:
    """The four parts of one pair's weight, before they are folded into an integer."""

    shares_language: bool
    penalty: int
    bridges: int
    jitter: int


@dataclass(frozen=True)
class Scales:
    """The integer unit of each tier, sized so that a lower tier can never outweigh a higher one."""

    bridge: int
    penalty: int
    language: int

    @classmethod
    def for_pairs(cls, pair_count: int, bridge_count: int) -> Scales:
        """Units for a grouping that has `pair_count` pairs inside its groups in total."""
        pairs = max(pair_count, 1)
        bridge = pairs * (JITTER_LEVELS - 1) + 1
        per_pair_below_penalty = bridge_count * bridge + JITTER_LEVELS - 1
        penalty = pairs * per_pair_below_penalty + 1
        language = pairs * (MAX_PENALTY * penalty + per_pair_below_penalty) + 1
        return cls(bridge=bridge, penalty=penalty, language=language)

    def above_jitter(self, total: int) -> tuple[int, int, int]:
        """A grouping's total weight unfolded into its tiers above the jitter: the units of language, of
        freshness from repeats and of bridges it holds. Exact, since each tier's sum over every pair
        stays below one unit of the tier above."""
        penalty_and_below = total % self.language
        return (
            total // self.language,
            penalty_and_below // self.penalty,
            penalty_and_below % self.penalty // self.bridge,
        )

    def fold(self, tiers: Tiers) -> int:
        """One pair's weight: never negative, so every maximum matching is also maximum-cardinality."""
        return (
            tiers.shares_language * self.language
            + (MAX_PENALTY - tiers.penalty) * self.penalty
            + tiers.bridges * self.bridge
            + tiers.jitter
        )


def _person_noise(seed: int, key: str) -> int:
    # A stable hash, unlike hash(), so a seed gives the same jitter in every process.
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(61)  # keeps the top 3 bits: 0..7, one of JITTER_LEVELS


@dataclass
class Objective:
    """The weight of every pair among `participants`, for one grouping of `pair_count` pairs.

    Participants are indexed in sorted key order, so the result never depends on input order.
    """

    participants: Sequence[Participant]
    bridge: tuple[str, ...]
    history: Iterable[PastMeeting] = ()
    pair_count: int = 1
    seed: int = 0
    keys: tuple[str, ...] = field(init=False)
    index: dict[str, int] = field(init=False)
    scales: Scales = field(init=False)
    penalties: dict[tuple[int, int], int] = field(init=False)

    def __post_init__(self) -> None:
        unknown = [name for name in self.bridge if name not in BRIDGE_ATTRIBUTES]
        if unknown:
            raise ValueError(f"unknown bridge attributes: {', '.join(unknown)}")
        self.bridge = tuple(dict.fromkeys(self.bridge))
        people = sorted(self.participants, key=lambda p: p.key)
        keys = tuple(p.key for p in people)
        if len(set(keys)) != len(keys):
            raise ValueError("participant keys must be unique")
        self.participants = people
        self.keys = keys
        self.index = {key: i for i, key in enumerate(keys)}
        self.scales = Scales.for_pairs(self.pair_count, len(self.bridge))
        self.penalties = self._penalties(self.history)
        self._build_arrays()

    def _penalties(self, history: Iterable[PastMeeting]) -> dict[tuple[int, int], int]:
        # A room whose regulars have all met reads hundreds of meetings: a table look-up each, not the sum.
        penalties: dict[tuple[int, int], int] = {}
        index, known = self.index.get, penalties.get
        for meeting in history:
            i, j = index(meeting.a), index(meeting.b)
            if i is None or j is None or i == j:
                continue
            pair = (i, j) if i < j else (j, i)
            times, ago = meeting.times, meeting.ago
            penalty = _PENALTY[min(max(times, 1), _OFTEN_CAP)][min(max(ago, 0), RECENT_WINDOW)]
            if penalty > known(pair, 0):
                penalties[pair] = penalty
        return penalties

    def _build_arrays(self) -> None:
        people = self.participants
        languages = sorted({lang for p in people for lang in p.languages})
        column = {lang: c for c, lang in enumerate(languages)}
        spoken = np.zeros((len(people), max(len(languages), 1)), dtype=np.float32)
        for i, person in enumerate(people):
            for lang in person.languages:
                spoken[i, column[lang]] = 1.0
        self._spoken = spoken
        self._unstated = np.array([not p.languages for p in people], dtype=bool)
        codes = []
        for name in self.bridge:
            values: dict[str, int] = {}
            codes.append(
                np.array(
                    [
                        -1 if getattr(p, name) is None else values.setdefault(getattr(p, name), len(values))
                        for p in people
                    ],
                    dtype=np.int32,
                )
            )
        self._codes = codes
        self._noise = np.array([_person_noise(self.seed, p.key) for p in people], dtype=np.uint64)
        self._penalty_pairs = np.array(list(self.penalties), dtype=np.int64).reshape(-1, 2)
        self._penalty_values = np.array(list(self.penalties.values()), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.keys)

    def tiers(self, i: int, j: int) -> Tiers:
        """The parts of the weight of the pair of participants at indices `i` and `j`."""
        a, b = self.participants[i], self.participants[j]
        shares = not a.languages or not b.languages or bool(a.languages & b.languages)
        bridges = sum(1 for name in self.bridge if _differs(getattr(a, name), getattr(b, name)))
        mixed = (int(self._noise[i]) ^ int(self._noise[j])) * int(_MIX) % 2**64
        jitter = mixed >> int(_SHIFT)
        penalty = self.penalties.get((min(i, j), max(i, j)), 0)
        return Tiers(shares_language=shares, penalty=penalty, bridges=bridges, jitter=jitter)

    def weight(self, a: str, b: str) -> int:
        """The exact integer weight of pairing the participants with keys `a` and `b`."""
        return self.scales.fold(self.tiers(self.index[a], self.index[b]))

    def matrix(self, rows: slice | None = None) -> np.ndarray:
        """Weights of `rows` (default: all) against everyone, int64, with 0 on the diagonal.

        Computed a block at a time with numpy, so a 5,000-person matrix takes a fraction of a second.
        """
        n = len(self.keys)
        rows = rows or slice(0, n)
        start, stop, _ = rows.indices(n)
        s = self.scales
        with np.errstate(over="ignore"):
            jitter = ((self._noise[start:stop, None] ^ self._noise[None, :]) * _MIX) >> _SHIFT
        block = jitter.astype(np.int64)
        for codes in self._codes:
            mine, theirs = codes[start:stop, None], codes[None, :]
            differ = (mine != theirs) & (mine >= 0) & (theirs >= 0)
            block += differ * np.int64(s.bridge)
        block += np.int64(MAX_PENALTY * s.penalty)
        shares = (self._spoken[start:stop] @ self._spoken.T) > 0
        shares |= self._unstated[start:stop, None] | self._unstated[None, :]
        block += shares * np.int64(s.language)
        if self.penalties:
            i, j = self._penalty_pairs[:, 0], self._penalty_pairs[:, 1]
            cost = self._penalty_values * np.int64(s.penalty)
            for a, b in ((i, j), (j, i)):
                inside = (a >= start) & (a < stop)
                block[a[inside] - start, b[inside]] -= cost[inside]
        diagonal = np.arange(start, stop)
        block[diagonal - start, diagonal] = 0
        return block


def _differs(a: str | None, b: str | None) -> bool:
    # Unknown is not different: a missing answer must not masquerade as a bridge.
    return a is not None and b is not None and a != b
