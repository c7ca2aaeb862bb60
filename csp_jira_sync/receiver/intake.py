"""Group commit: one writer thread stores what concurrent requests bring, one transaction for
everything that arrived while the previous transaction was committing.

A 202 may only be sent once the event is durably stored. With SQLite that is a commit with
an fsync (synchronous=FULL, about 0.3 ms here), and SQLite has one writer at a time: a commit
per request would queue requests behind each other's fsyncs (and behind SQLite's busy-wait,
which sleeps in steps of milliseconds). Batching keeps the latency of every request close
to one commit at any load, and the event loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from csp_jira_sync.errors import StoreUnavailable
from csp_jira_sync.store import Accepted, InboxItem, Store

log = logging.getLogger(__name__)


_TIMED_OUT = StoreUnavailable("the state store did not commit in time")


@dataclass
class _Job:
    items: Sequence[InboxItem]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[list[Accepted]] = field(repr=False)


def _settle(future: asyncio.Future[list[Accepted]], result: list[Accepted] | BaseException) -> None:
    if future.done():  # the request was cancelled (client gone); the row stays stored
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


def _answer(job: _Job, result: list[Accepted] | BaseException) -> None:
    """Hand the outcome to the request's event loop (from the writer thread)."""
    # A closed loop means the server stopped and nobody is waiting any more.
    with contextlib.suppress(RuntimeError):
        job.loop.call_soon_threadsafe(_settle, job.future, result)


class IntakeWriter:
    """Stores batches of inbox items for coroutines, from one background thread."""

    def __init__(
        self,
        store: Store,
        *,
        on_committed: Callable[[], None] | None = None,
        max_batch: int = 512,
    ) -> None:
        self._store = store
        self._on_committed = on_committed
        self._max_batch = max_batch
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.items = 0

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="csp-intake-writer", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what was submitted, then end the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            thread.join(timeout)

    @property
    def waiting(self) -> int:
        """Requests queued for the next commit (the one in progress not counted)."""
        return self._jobs.qsize()

    async def submit(self, items: Sequence[InboxItem], timeout: float) -> list[Accepted]:
        """Store `items` (all or nothing) and return once they are committed. Raises
        `StoreUnavailable` if the store fails, or if no commit happened within `timeout`
        seconds (the items may still be stored later: a resend is then a duplicate)."""
        if self._thread is None:
            self.start()
        loop = asyncio.get_running_loop()
        job = _Job(items, loop, loop.create_future())
        # A timer on the future itself: cheaper than asyncio.wait_for, which wraps every
        # request in another task.
        timer = loop.call_later(timeout, _settle, job.future, _TIMED_OUT)
        self._jobs.put(job)
        try:
            return await job.future
        finally:
            timer.cancel()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            job = self._jobs.get()
            if job is None:
                break
            batch = [job]
            size = len(job.items)
            # Everything that queued up during the last commit goes into this one.
            while size < self._max_batch:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
                size += len(more.items)
            self._commit(batch)

    def _commit(self, batch: list[_Job]) -> None:
        try:
            results = self._store.accept([item for job in batch for item in job.items])
        except StoreUnavailable as exc:
            for job in batch:
                _answer(job, exc)
            return
        except Exception as exc:
            if len(batch) > 1:
                # Something about one request's items (not the database) failed: give each
                # request its own transaction so one bad delivery cannot sink the others.
                log.warning("intake.batch_failed error=%s; storing requests one by one", exc)
                for job in batch:
                    self._commit([job])
                return
            log.exception("intake.store_failed")
            _answer(batch[0], exc)
            return
        self.batches += 1
        self.items += len(results)
        offset = 0
        for job in batch:
            mine = results[offset : offset + len(job.items)]
            offset += len(job.items)
            _answer(job, mine)
        if self._on_committed is not None and any(not r.duplicate for r in results):
            try:
                self._on_committed()
            except Exception:
                log.exception("intake.on_accepted_failed")
