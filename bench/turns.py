"""Timing the pages at two sizes in turns: the run at the larger size and the first run's process.

A page's growth is the ratio of its medians at the two sizes. Timed in two runs half an hour
apart, that ratio also carries whatever the machine did in between (another process, a slower
spell of a shared host): pages that stay flat were seen to "grow" 1.5–2×. So the run at the
larger size times each page in rounds, and before each of its rounds asks the first run's process,
which waits on a pipe meanwhile, to time the same page on its own database for as many
requests. Only one of the two works at a time, so neither slows the other, and both medians
carry the same moments of the machine.

The protocol is one line each way per round: ``[action, key, requests]`` as JSON, answered by
``done``. The action is ``warm`` (one untimed request, before the asker's own warm-up) or
``time``. A key the answering side has no page for is answered all the same, with nothing timed.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

# Rounds each page's requests are split into, alternating with the other side's.
ROUNDS = 4
DONE = "done\n"


class PartnerGone(Exception):
    """The other side of the turns stopped answering."""


@dataclass
class Timed:
    """One thing to time: a page, or the first piece of one, with what it needs around it."""

    # The row's name without its address (the same at both sizes) and the row's full name.
    key: str
    name: str
    work: Callable[[], object]
    runs: int
    compares: str
    # Called before each request (a cache cleared, the last stream drained) and once after all.
    reset: Callable[[], object] = lambda: None
    # Entered around each round: the settings the request needs (the baseline's URLconf).
    around: Callable[[], AbstractContextManager] = field(default=nullcontext)


def rounds(runs: int, count: int = ROUNDS) -> list[int]:
    """Return ``runs`` split into at most ``count`` rounds, the larger ones first."""
    count = max(1, min(count, runs))
    return [runs // count + (1 if index < runs % count else 0) for index in range(count)]


def time_runs(timed: Timed, runs: int) -> list[float]:
    """Time ``runs`` requests of ``timed``, each after its reset."""
    seconds = []
    for _ in range(runs):
        timed.reset()
        started = time.perf_counter()
        timed.work()
        seconds.append(time.perf_counter() - started)
    return seconds


class Partner:
    """The asking side: the run at the larger size, whose partner waits to be asked."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer

    @classmethod
    def from_fds(cls, fds: str) -> Partner:
        """Return the partner at the two pipe ends "<read fd>,<write fd>"."""
        read, write = (int(fd) for fd in fds.split(","))
        return cls(os.fdopen(read, "r", encoding="utf-8"), os.fdopen(write, "w", encoding="utf-8"))

    def ask(self, action: str, key: str, runs: int = 0) -> None:
        """Have the partner do ``action`` for ``key``; return once it has."""
        try:
            self.writer.write(json.dumps([action, key, runs]) + "\n")
            self.writer.flush()
            answer = self.reader.readline()
        except OSError as error:
            raise PartnerGone(f"The run timing pages in turns stopped: {error}") from error
        if answer != DONE:
            raise PartnerGone(f"The run timing pages in turns answered {answer!r}.")

    def close(self) -> None:
        self.writer.close()
        self.reader.close()


def serve(reader, writer, timings: Iterable[Timed]) -> dict[str, float]:
    """Answer the partner's requests until it is done; return the median of each key timed."""
    by_key = {timed.key: timed for timed in timings}
    seconds = defaultdict(list)
    for line in reader:
        action, key, runs = json.loads(line)
        timed = by_key.get(key)
        if timed is not None:
            with timed.around():
                if action == "warm":
                    timed.reset()
                    timed.work()
                else:
                    seconds[key] += time_runs(timed, runs)
            timed.reset()
        writer.write(DONE)
        writer.flush()
    return {key: statistics.median(values) for key, values in seconds.items()}
