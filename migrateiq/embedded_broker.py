"""The embedded default's broker: kombu's filesystem transport, with messages that appear whole.

kombu's ``filesystem`` transport creates a message file, then locks and writes it, while a worker
polling the folder moves and reads files without taking that lock: a worker can read a message
before it is written, fail on an empty one (``JSONDecodeError``) and stop, and the message is lost
with it (seen with a sync queued again every few seconds behind its tenant's limit). Its exchange
tables are truncated before they are locked, with the same race.

Here (registered as the ``migrateiqfs://`` transport, ``celery_config``):

* a message is written under a name readers skip (``.<name>.part``) and renamed into place, which is
  atomic on one filesystem: a reader sees a whole message or none;
* a message file that cannot be decoded anyway (a disk that filled up, a hand-edited file) is set
  aside as ``processed/unreadable-<name>`` with an error in the log, and the worker goes on;
* an exchange table read while it is rewritten is read again;
* a binding is declared whole: kombu records it in the process's state before it writes the
  exchange's table, so another thread of the process that declared the same queue meanwhile
  published into a table not written yet and the message was dropped without a word (one in ~40
  runs of 300 messages, the test below); bindings are declared one at a time per process here,
  the table file is created without truncating another process's, and a message that no queue
  takes is logged as an error.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.transport.virtual import Empty
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

SCHEME = "migrateiqfs"
TABLE_READ_ATTEMPTS = 20
# kombu's bindings live in one state per process (``Transport.global_state``): declaring one is
# "record it in the state, then write the exchange's table", and must not be seen half done.
_BINDING_LOCK = threading.Lock()


def transport_options(folder: Path) -> dict:
    """The transport's options for a broker kept in ``folder`` (its ``out``, ``processed`` and
    ``control`` folders, made here)."""
    for sub in ("out", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
        # Exchange bindings; kombu's default is a "control" folder in the working directory.
        "control_folder": str(folder / "control"),
        # kombu polls the folder once a second by default; a shorter interval lets an idle worker
        # notice SIGTERM sooner (each poll is one directory listing).
        "polling_interval": 0.2,
    }


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):  # type: ignore[override]  # as kombu's filesystem Channel
        name = f"{int(round(time.monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue, timeout=None):
        wanted = f"{queue}.msg"
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.partition(".")[2] != wanted:
                continue
            taken = os.path.join(self.processed_folder, filename)
            try:
                # Moving the file is how a reader takes the message (another worker may be first).
                shutil.move(os.path.join(self.data_folder_in, filename), taken)
            except OSError:
                continue
            try:
                with open(taken, "rb") as file:
                    payload = file.read()
            except OSError as exc:
                raise filesystem.ChannelError(f"Cannot read file {taken!r} from queue.") from exc
            try:
                message = loads(bytes_to_str(payload))
            except ValueError:
                aside = os.path.join(self.processed_folder, f"unreadable-{filename}")
                os.replace(taken, aside)
                logger.error(
                    "A message of queue %s could not be decoded (%d bytes); set aside as %s",
                    queue,
                    len(payload),
                    aside,
                )
                continue
            if not self.store_processed:
                os.remove(taken)
            return message
        raise Empty()

    def queue_bind(self, *args, **kwargs):
        with _BINDING_LOCK:
            return super().queue_bind(*args, **kwargs)

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        # kombu's own creates a missing table with "wb" before it locks it: a second process
        # creating it at the same time empties the first one's table.
        path = self._exchange_file(exchange)
        self.control_folder.mkdir(exist_ok=True)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot open {path}") from exc
        with os.fdopen(descriptor, "rb+", buffering=0) as file:
            filesystem.lock(file, filesystem.LOCK_EX)
            try:
                text = bytes_to_str(file.read())
                bindings = [filesystem.exchange_queue_t(*row) for row in loads(text)] if text else []
                if binding not in bindings:
                    bindings.insert(0, binding)
                    file.seek(0)
                    file.write(str_to_bytes(dumps(bindings)))
                    file.truncate()
            finally:
                filesystem.unlock(file)

    def _lookup(self, exchange, routing_key, default=None):
        queues = super()._lookup(exchange, routing_key, default)
        # a fanout or topic message nobody listens to (worker events, broadcasts) is dropped by
        # design; a direct one is a task that no worker will ever run
        if not queues and self.typeof(exchange).type == "direct":
            logger.error(
                "A message to exchange %s (routing key %s) found no queue bound to it and is dropped",
                exchange,
                routing_key,
            )
        return queues

    def get_table(self, exchange):
        for _ in range(TABLE_READ_ATTEMPTS - 1):
            try:
                return super().get_table(exchange)
            except ValueError:  # read between the writer's truncation and its write
                time.sleep(0.01)
        return super().get_table(exchange)


class Transport(filesystem.Transport):
    Channel = Channel

    def drain_events(self, connection, timeout=None, **kwargs):
        """kombu's wait for a message, a poll at a time: a worker asked to stop (Ctrl-C, SIGTERM)
        notices it after one poll, not after the 2 s Celery's loop waits for a message (an idle
        embedded worker took 6.2 s to exit on SIGINT, 2.9 s with Redis)."""
        from celery.worker import state

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if any(
                flag is not None and flag is not False for flag in (state.should_stop, state.should_terminate)
            ):
                raise TimeoutError()
            try:
                return super().drain_events(connection, timeout=self.polling_interval)
            except TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise


TRANSPORT_ALIASES[SCHEME] = f"{__name__}:Transport"
