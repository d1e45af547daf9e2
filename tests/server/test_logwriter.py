"""The background request-log writer: never blocks, flushes on demand and at close."""

from __future__ import annotations

import threading

from glpi_scim.server.logwriter import BackgroundLogWriter


def test_entries_are_written_in_order_and_flush_waits_for_them() -> None:
    written: list[int] = []
    gate = threading.Event()

    def write(entry: int) -> None:
        gate.wait(5)
        written.append(entry)

    writer: BackgroundLogWriter[int] = BackgroundLogWriter(write)
    for number in range(5):
        writer.submit(number)  # returns at once although the writer is blocked
    assert written == []
    gate.set()
    assert writer.flush(5)
    assert written == [0, 1, 2, 3, 4]
    writer.close()


def test_a_failing_write_is_logged_and_the_next_entries_still_written(caplog) -> None:
    written: list[int] = []

    def write(entry: int) -> None:
        if entry == 1:
            raise RuntimeError("disk full")
        written.append(entry)

    writer: BackgroundLogWriter[int] = BackgroundLogWriter(write)
    for number in range(3):
        writer.submit(number)
    assert writer.flush(5)
    assert written == [0, 2]
    assert "writing an entry failed" in caplog.text
    writer.close()


def test_a_full_queue_drops_entries_instead_of_blocking() -> None:
    gate = threading.Event()
    writer: BackgroundLogWriter[int] = BackgroundLogWriter(lambda _: gate.wait(5), max_queued=2)
    for number in range(10):
        writer.submit(number)
    assert writer.dropped >= 7
    gate.set()
    assert writer.flush(5)
    writer.close()


def test_close_writes_what_is_queued_then_ignores_new_entries() -> None:
    written: list[int] = []
    writer: BackgroundLogWriter[int] = BackgroundLogWriter(written.append)
    for number in range(100):
        writer.submit(number)
    writer.close()
    assert written == list(range(100))
    writer.submit(100)
    writer.close()
    assert written == list(range(100))
