"""Ejection chains for pairs: re-pair along an alternating path when a two-pair swap is not enough.

Starting from a pair (a, b), a takes a new partner c, c's old partner d takes e, ... and the last one
displaced closes the chain with b. A swap is the chain of length one; longer chains escape the local
optima a swap search stops in, which is most of the gap to the exact optimum on workshop groups.
"""

from __future__ import annotations

import numpy as np

CHAIN_DEPTH = 12
"""Longest chain tried; each link is one vectorised step over everyone."""

CHAIN_BATCH_CELLS = 1 << 16
"""Chain starts searched side by side while starts × people stays under this: everyone at once in a
workshop, where numpy's per-call cost dominates; a few dozen at a time among thousands, so the rest of
a batch after a start that finds a chain is little wasted work."""

UNUSABLE = np.iinfo(np.int64).min // 4
"""The step value of someone already on the chain (or not in a pair): below any real gain, and far
enough from the int64 limit that adding a weight to it cannot wrap around."""


def improve_by_chains(
    weights: np.ndarray, groups: list[list[int]], order: np.ndarray, best_partner: np.ndarray
) -> bool:
    """Improve the pairs among `groups` in place by positive-gain chains; True if anything changed.

    Groups that are not pairs (the one trio) are left alone: the swap search moves those. A chain
    never starts from someone already with their best possible partner: it would start by giving
    that up, and the same improvement can start from anyone else on it.

    Starts are taken in `order`, each seeing the pairs as the chains before it left them. Most find
    nothing and change nothing, so a batch of consecutive starts is searched side by side on the same
    pairs: up to the first that finds a chain, that is exactly what one at a time would have found.
    The search then resumes from the start after it.
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
    starts = np.asarray(order, dtype=np.int64)
    batch = max(1, CHAIN_BATCH_CELLS // max(n, 1))
    changed = False
    position = 0
    while position < len(starts):
        # The test one at a time would make on reaching each start: until a chain is found, it holds.
        rest = starts[position:]
        ahead = position + np.flatnonzero((mate[rest] >= 0) & (held[rest] < best_partner[rest]))[:batch]
        if not len(ahead):
            break
        found = _first_chain(weights, mate, held, paired, starts[ahead])
        if found is None:
            position = int(ahead[-1]) + 1
            continue
        k, chain = found
        position = int(ahead[k]) + 1
        a = int(starts[ahead[k]])
        changed = True
        new_pairs = _rewire(a, int(mate[a]), chain)
        freed = [int(slot[x]) for x in (a, *(taken for taken, _ in chain))]
        for g, (x, y) in zip(freed, new_pairs, strict=True):
            groups[g] = [x, y]
            mate[x], mate[y] = y, x
            slot[x], slot[y] = g, g
            held[x] = held[y] = weights[x, y]
    return changed


def _first_chain(
    weights: np.ndarray, mate: np.ndarray, held: np.ndarray, paired: np.ndarray, starts: np.ndarray
) -> tuple[int, list[tuple[int, int]]] | None:
    """The first of `starts` with a positive-gain chain, and that chain as its (taken, displaced) links.

    Each start grows its chain greedily, one row per start: a takes the best unused partner c, whose
    old partner d goes on; after each link, closing the chain (the last one displaced with a's old
    partner b) is scored, and the best closing so far is the start's chain. A start stops when nobody
    is left to take.
    """
    n = len(mate)
    k = len(starts)
    rows = np.arange(k)
    partners = mate[starts]
    used = np.repeat(~paired[None, :], k, axis=0)
    used[rows, starts] = True
    used[rows, partners] = True
    gain = -weights[starts, partners]
    closing = weights[partners[:, None], np.maximum(mate, 0)[None, :]]
    alive = np.ones(k, dtype=bool)
    best_total = np.zeros(k, dtype=np.int64)
    best_length = np.zeros(k, dtype=np.int64)
    best_close = np.zeros(k, dtype=np.int64)
    taken = np.zeros((k, CHAIN_DEPTH), dtype=np.int64)
    displaced = np.zeros((k, CHAIN_DEPTH), dtype=np.int64)
    current = starts
    for depth in range(CHAIN_DEPTH):
        step = weights[current, :n] - held
        step[used] = UNUSABLE
        close = step + closing
        c_close = close.argmax(axis=1)
        alive &= ~used[rows, c_close]
        if not alive.any():
            break
        total = gain + close[rows, c_close]
        better = alive & (total > best_total)
        best_total[better] = total[better]
        best_length[better] = depth + 1
        best_close[better] = c_close[better]
        c = step.argmax(axis=1)
        d = np.where(alive, mate[c], starts)
        gain += np.where(alive, step[rows, c], 0)
        used[rows, c] = True
        used[rows, d] = True
        taken[:, depth], displaced[:, depth] = c, d
        current = d
    hits = np.flatnonzero(best_length)
    if not len(hits):
        return None
    row = int(hits[0])
    length = int(best_length[row])
    links = [(int(taken[row, t]), int(displaced[row, t])) for t in range(length - 1)]
    last = int(best_close[row])
    return row, [*links, (last, int(mate[last]))]


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
