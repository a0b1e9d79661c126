"""Reading where card rows physically sit: SQLite's b-tree pages (and its write-ahead log) parsed byte by
byte, PostgreSQL's heap in ctid order and its raw pages, and Kendall's tau to compare an order with another.

These read what someone holding the database file or a backup could read, not what a query returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

_LEAF_TYPES = {0x0A, 0x0D}
_INTERIOR_TYPES = {0x02, 0x05}


@dataclass(frozen=True)
class Cell:
    """One b-tree cell: the page it sits on, its byte offset in that page, and its payload."""

    page: int
    offset: int
    payload: bytes


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """SQLite's big-endian varint at `at`: (value, the position after it)."""
    value = 0
    for i in range(9):
        byte = data[at + i]
        if i == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    raise AssertionError("unreachable")


def page_size(path: Path) -> int:
    size = int.from_bytes(path.read_bytes()[16:18], "big")
    return 65536 if size == 1 else size


def wal_frames(path: Path) -> list[tuple[int, bytes]]:
    """Every frame of the `-wal` file: (page number, page image), in log order."""
    wal = path.with_name(path.name + "-wal")
    if not wal.exists():
        return []
    data = wal.read_bytes()
    size = page_size(path)
    frames = []
    for at in range(32, len(data) - 24 - size + 1, 24 + size):
        frames.append((int.from_bytes(data[at : at + 4], "big"), data[at + 24 : at + 24 + size]))
    return frames


def current_pages(path: Path) -> dict[int, bytes]:
    """The newest image of every page: the file's, replaced by the last copy in the write-ahead log."""
    data = path.read_bytes()
    size = page_size(path)
    pages = {number + 1: data[at : at + size] for number, at in enumerate(range(0, len(data), size))}
    for number, image in wal_frames(path):
        pages[number] = image
    return pages


def btree_cells(pages: dict[int, bytes], root: int) -> list[Cell]:
    """Every cell that carries a payload in the b-tree rooted at `root` (index interiors carry keys too)."""
    cells: list[Cell] = []
    todo = [root]
    while todo:
        number = todo.pop()
        page = pages[number]
        header = 100 if number == 1 else 0
        kind = page[header]
        assert kind in _LEAF_TYPES | _INTERIOR_TYPES, f"page {number} is not a b-tree page"
        count = int.from_bytes(page[header + 3 : header + 5], "big")
        pointers = header + (8 if kind in _LEAF_TYPES else 12)
        if kind in _INTERIOR_TYPES:
            todo.append(int.from_bytes(page[header + 8 : header + 12], "big"))
        for i in range(count):
            offset = int.from_bytes(page[pointers + 2 * i : pointers + 2 * i + 2], "big")
            at = offset
            if kind in _INTERIOR_TYPES:
                todo.append(int.from_bytes(page[at : at + 4], "big"))
                at += 4
                if kind == 0x05:  # a table interior cell holds only a rowid: no payload
                    continue
            length, at = _varint(page, at)
            if kind == 0x0D:
                _rowid, at = _varint(page, at)
            cells.append(Cell(number, offset, page[at : at + length]))
    return cells


def cell_of_each(cells: list[Cell], keys: list[str]) -> dict[str, Cell]:
    """The one cell that holds each key (a card's id)."""
    found = {}
    for key in keys:
        holders = [cell for cell in cells if key.encode() in cell.payload]
        assert len(holders) == 1, f"{len(holders)} cells hold one key"
        found[key] = holders[0]
    return found


def same_page_tau(cells: dict[str, Cell], reference: list[str], z: float) -> tuple[float, float]:
    """How far cell offsets follow `reference` (the sharing order), and the bound a random layout stays under.

    SQLite fills a page from its end towards its start, so on each page a higher offset means written
    earlier. Over every pair of cards on the same page: tau = (pairs in reference order - pairs against it)
    / pairs. If the cards sat in an order independent of `reference`, each page's order would be a uniform
    permutation of its m cards, whose S = concordant - discordant has mean 0 and variance m(m-1)(2m+5)/18,
    independently from page to page; the bound is `z` standard deviations of the pooled tau.
    """
    rank = {key: i for i, key in enumerate(reference)}
    pages: dict[int, list[tuple[int, int]]] = {}
    for key, cell in cells.items():
        pages.setdefault(cell.page, []).append((-cell.offset, rank[key]))
    score = pairs = 0
    variance = 0.0
    for members in pages.values():
        ranks = [r for _, r in sorted(members)]
        m = len(ranks)
        for i in range(m):
            for j in range(i + 1, m):
                score += 1 if ranks[i] < ranks[j] else -1
        pairs += m * (m - 1) // 2
        variance += m * (m - 1) * (2 * m + 5) / 18
    assert pairs >= 100, "too few cards share a page for the bound to mean anything"
    return score / pairs, z * math.sqrt(variance) / pairs


def kendall_tau(order: list[str], reference: list[str]) -> float:
    """Kendall's tau between two orders of the same items: 1 the same, -1 reversed, near 0 unrelated."""
    assert sorted(order) == sorted(reference) and len(set(order)) == len(order)
    rank = {item: i for i, item in enumerate(reference)}
    ranks = [rank[item] for item in order]
    n = len(ranks)
    concordant = discordant = 0
    for i in range(n):
        for j in range(i + 1, n):
            if ranks[i] < ranks[j]:
                concordant += 1
            else:
                discordant += 1
    return (concordant - discordant) / (n * (n - 1) / 2)


def tau_bound(n: int, z: float) -> float:
    """|tau| that a uniformly random order of n items exceeds with the two-sided normal tail of `z`:
    under independence tau has mean 0 and variance 2(2n+5)/(9n(n-1)), and is close to normal for n >= 20."""
    return z * math.sqrt(2 * (2 * n + 5) / (9 * n * (n - 1)))
