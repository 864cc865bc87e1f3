"""Helpers for tests that hold a web thread in one thread while another thread calls the API."""

import threading
import time

from django.db import connection


def started_in_thread(target, *args) -> threading.Thread:
    """``target(*args)`` in a thread of its own, which closes its database connection when done (a
    transactional test's database can then be dropped)."""

    def run():
        try:
            target(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_until(condition, seconds: float = 5.0) -> None:
    """Poll ``condition()`` until it is true; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not true within {seconds} s"
        time.sleep(0.02)
