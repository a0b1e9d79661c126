"""What the machine was doing while a benchmark ran: printed beside every table, because on a shared
2-core machine a figure means little without the load it met."""

from __future__ import annotations

import os


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def stolen_seconds() -> float | None:
    """CPU time the hypervisor gave to other machines, all cores, since boot (/proc/stat's steal column;
    None where there is none). On a shared virtual machine it comes in bursts, and a loop thread that
    waits for its core meanwhile stalls as if the bot were slow: a run prints how much fell inside it."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None
