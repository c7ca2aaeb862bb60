"""One queue for the writers of a SQLite file in this process.

SQLite lets one writer in at a time. A thread whose BEGIN IMMEDIATE finds the file locked is
put to sleep by SQLite's busy handler, which looks again after 1, 2, 5, 10, 15, 20, 25, 25, 25,
50, 50 and then every 100 ms: with a dozen lanes writing, each commit found others asleep in
those steps while the lock stood free, and the lanes spent 12% of their time waiting to begin
a transaction whose body and commit took 2% (bench_delivery.py --breakdown). Queued here
instead, first come first served, each writer is woken the moment the one before it commits,
and no writer starves behind luckier ones. Other processes writing the same file (a CLI
command) still meet SQLite's own lock and busy timeout, as before.

PostgreSQL has row locks and needs none of this (`writers_of` gives None for it).
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from csp_jira_sync.errors import StoreUnavailable


class WriterQueue:
    """A FIFO lock: `turn()` waits until every writer that came before has finished. A writer
    that waits longer than `timeout` seconds gets `StoreUnavailable`, as it would have from
    SQLite's busy timeout."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._held = False

    @property
    def waiting(self) -> int:
        """Writers queued behind the one writing now."""
        return len(self._waiting)

    def acquire(self, action: str, timeout: float) -> None:
        with self._mutex:
            if not self._held:
                self._held = True
                return
            # A lock of this writer's own, taken already: the writer before it hands the turn
            # over by releasing it (the queue stays held throughout).
            gate = threading.Lock()
            gate.acquire()
            self._waiting.append(gate)
        if gate.acquire(timeout=timeout):
            return
        with self._mutex:
            try:
                self._waiting.remove(gate)
            except ValueError:
                return  # handed over between the timeout and here: this writer's turn now
        # Worded as SQLite's own busy timeout is, which callers and operators know already.
        raise StoreUnavailable(
            f"state store unavailable while {action}: database is locked (waited {timeout:g} s "
            "behind the other writers of this file in this process)"
        )

    def release(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._held = False

    @contextmanager
    def turn(self, action: str, timeout: float) -> Iterator[None]:
        self.acquire(action, timeout)
        try:
            yield
        finally:
            self.release()


@dataclass(frozen=True)
class Writers:
    """An engine's way into its file's queue, with the engine's own busy timeout."""

    queue: WriterQueue
    timeout: float

    def turn(self, action: str) -> AbstractContextManager[None]:
        return self.queue.turn(action, self.timeout)


# One queue per SQLite file, shared by every engine of this process that opens it (tests and
# the CLI open a file more than once); each engine keeps its own busy timeout.
_QUEUES: dict[str, WriterQueue] = {}
_ENGINES: weakref.WeakKeyDictionary[Engine, Writers] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def attach(engine: Engine, busy_timeout: float) -> None:
    """Put a SQLite engine's writers in the queue of its file (`make_engine` does)."""
    key = str(Path(engine.url.database or "").expanduser().resolve())
    with _REGISTRY_LOCK:
        queue = _QUEUES.setdefault(key, WriterQueue())
        _ENGINES[engine] = Writers(queue, busy_timeout)


def writers_of(engine: Engine) -> Writers | None:
    """The queue `engine`'s writers take turns in; None for PostgreSQL, which needs none."""
    with _REGISTRY_LOCK:
        return _ENGINES.get(engine)
