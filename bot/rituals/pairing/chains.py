"""Ejection chains for pairs: re-pair along an alternating path when a two-pair swap is not enough.

Starting from a pair (a, b), a takes a new partner c, c's old partner d takes e, ... and the last one
displaced closes the chain with b. A swap is the chain of length one; longer chains escape the local
optima a swap search stops in, which is most of the gap to the exact optimum on workshop groups.
"""

from __future__ import annotations

import numpy as np

CHAIN_DEPTH = 12
"""Longest chain tried; each link is one vectorised step over everyone."""


def improve_by_chains(
    weights: np.ndarray, groups: list[list[int]], order: np.ndarray, best_partner: np.ndarray
) -> bool:
    """Improve the pairs among `groups` in place by positive-gain chains; True if anything changed.

    Groups that are not pairs (the one trio) are left alone: the swap search moves those. A chain
    never starts from someone already with their best possible partner: it would start by giving
    that up, and the same improvement can start from anyone else on it.
    """
    n = weights.shape[0] - 1
    mate = np.full(n, -1, dtype=np.int64)
    slot = np.full(n, -1, dtype=np.int64)
    for g, group in enumerate(groups):
        if len(group) == 2:
            a, b = group
            mate[a], mate[b] = b, a
            slot[a], slot[b] = g, g
    paired = mate >= 0
    everyone = np.arange(n)
    held = np.where(paired, weights[everyone, np.maximum(mate, 0)], 0)
    changed = False
    for a in order:
        a = int(a)
        if mate[a] < 0 or held[a] >= best_partner[a]:
            continue
        chain = _best_chain(weights, mate, held, paired, a)
        if chain is None:
            continue
        changed = True
        new_pairs = _rewire(a, int(mate[a]), chain)
        freed = [int(slot[x]) for x in (a, *(taken for taken, _ in chain))]
        for g, (x, y) in zip(freed, new_pairs, strict=True):
            groups[g] = [x, y]
            mate[x], mate[y] = y, x
            slot[x], slot[y] = g, g
            held[x] = held[y] = weights[x, y]
    return changed


def _best_chain(
    weights: np.ndarray, mate: np.ndarray, held: np.ndarray, paired: np.ndarray, a: int
) -> list[tuple[int, int]] | None:
    """The chain from `a` with the largest positive total gain, as the (taken, displaced) links."""
    n = len(mate)
    b = int(mate[a])
    used = ~paired.copy()
    used[[a, b]] = True
    gain = -int(weights[a, b])
    closing_row = weights[b, np.maximum(mate, 0)][:n]
    links: list[tuple[int, int]] = []
    best_total, best_length = 0, 0
    current = a
    for _ in range(CHAIN_DEPTH):
        step = weights[current, :n] - held
        step[used] = np.iinfo(np.int64).min // 4
        close = step + closing_row
        c_close = int(np.argmax(close))
        if used[c_close]:
            break
        if gain + int(close[c_close]) > best_total:
            best_total = gain + int(close[c_close])
            best_length = len(links) + 1
            best_close = (c_close, int(mate[c_close]))
        c = int(np.argmax(step))
        d = int(mate[c])
        gain += int(step[c])
        used[[c, d]] = True
        links.append((c, d))
        current = d
    if best_length == 0:
        return None
    return links[: best_length - 1] + [best_close]


def _rewire(a: int, b: int, chain: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The new pairs: a with the first taken, each displaced with the next taken, the last with b."""
    pairs = []
    current = a
    for taken, displaced in chain:
        pairs.append((current, taken))
        current = displaced
    pairs.append((current, b))
    return pairs


def relocate_trio(weights: np.ndarray, groups: list[list[int]], block_rows: int = 512) -> bool:
    """Move the one trio of an odd count anywhere in one step, in place; True if that gained.

    Someone x leaves their pair (x, y) to make a trio with another pair, and a member of the old trio
    takes x's place beside y. Swaps and single moves cannot do this: each half alone loses, so
    without it a trio can stay where it strands someone without a common language.
    """
    trios = [g for g, group in enumerate(groups) if len(group) == 3]
    pairs = [g for g, group in enumerate(groups) if len(group) == 2]
    if len(trios) != 1 or len(trios) + len(pairs) != len(groups) or not pairs:
        return False
    trio = groups[trios[0]]
    first = np.array([groups[g][0] for g in pairs])
    second = np.array([groups[g][1] for g in pairs])
    leaving = np.concatenate([first, second])
    partner = np.concatenate([second, first])
    home = np.concatenate([np.arange(len(pairs))] * 2)
    best_gain, best_move = 0, None
    for k in range(3):
        member, stay = trio[k], [trio[(k + 1) % 3], trio[(k + 2) % 3]]
        released = int(weights[member, stay].sum())
        for start in range(0, len(leaving), block_rows):
            x = leaving[start : start + block_rows]
            y = partner[start : start + block_rows]
            joined = weights[np.ix_(x, first)] + weights[np.ix_(x, second)]
            joined[np.arange(len(x)), home[start : start + block_rows]] = np.iinfo(np.int64).min // 4
            gain = joined.max(axis=1) - weights[x, y] + weights[member, y] - released
            row = int(np.argmax(gain))
            if int(gain[row]) > best_gain:
                target = pairs[int(np.argmax(joined[row]))]
                best_gain, best_move = int(gain[row]), (k, int(x[row]), int(y[row]), target)
    if best_move is None:
        return False
    k, x, y, target = best_move
    member, stay = trio[k], [trio[(k + 1) % 3], trio[(k + 2) % 3]]
    old_pair = next(g for g in pairs if x in groups[g])
    groups[trios[0]] = stay
    groups[old_pair] = [member, y]
    groups[target] = [*groups[target], x]
    return True
