"""The embedded default's broker (``migrateiq.embedded_broker``): messages appear whole, and a
message file that cannot be read is set aside instead of stopping the worker.

Before: kombu's filesystem transport created a message file and wrote it afterwards; a worker that
took the file in between read nothing, raised ``JSONDecodeError`` and stopped (every later sync
stayed PENDING), and the message was lost."""

import os
import threading
import uuid
from queue import Empty

import pytest
from kombu import Connection
from kombu.transport import filesystem

from migrateiq.embedded_broker import SCHEME, transport_options


def _connection(folder, transport: str = SCHEME) -> Connection:
    return Connection(f"{transport}://localhost//", transport_options=transport_options(folder))


def _half_written_message(tmp_path, queue: str) -> None:
    # what kombu's filesystem transport leaves between creating a message file and writing it
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "out" / f"0_half.{queue}.msg").write_bytes(b"")


def test_a_message_file_not_written_yet_stopped_kombus_own_reader(tmp_path):
    _half_written_message(tmp_path, "syncs")
    with _connection(tmp_path, "filesystem") as connection:
        channel = connection.default_channel
        assert isinstance(channel, filesystem.Channel)
        with pytest.raises(ValueError):  # JSONDecodeError: the worker's consumer loop dies on it
            channel._get("syncs")


def test_an_unreadable_message_is_set_aside_and_the_next_one_delivered(tmp_path, caplog):
    _half_written_message(tmp_path, "syncs")
    with _connection(tmp_path) as connection:
        queue = connection.SimpleQueue("syncs")
        queue.put({"sync_log_id": 7})

        message = queue.get(timeout=2)

        assert message.payload == {"sync_log_id": 7}
        message.ack()
        queue.close()
    assert os.listdir(tmp_path / "processed") == ["unreadable-0_half.syncs.msg"]
    assert "could not be decoded (0 bytes)" in caplog.text


def test_a_message_being_written_is_not_taken(tmp_path):
    with _connection(tmp_path) as connection:
        channel = connection.default_channel
        (tmp_path / "out" / ".5_partial.syncs.msg.part").write_bytes(b'{"body": ')

        with pytest.raises(Empty):
            channel._get("syncs")

    assert (tmp_path / "out" / ".5_partial.syncs.msg.part").exists()


def test_messages_put_while_a_worker_polls_all_arrive_whole(tmp_path):
    # a queue of its own: kombu keeps declared exchanges per process, across connections
    name = f"syncs-{uuid.uuid4().hex[:8]}"
    count = 300
    received: list = []
    failures: list = []

    def consume():
        with _connection(tmp_path) as connection:
            queue = connection.SimpleQueue(name)
            try:
                while len(received) < count:
                    message = queue.get(timeout=10)
                    received.append(message.payload["n"])
                    message.ack()
            except Exception as exc:  # an empty read would land here
                failures.append(exc)
            finally:
                queue.close()

    reader = threading.Thread(target=consume)
    reader.start()
    with _connection(tmp_path) as connection:
        queue = connection.SimpleQueue(name)
        for n in range(count):
            queue.put({"n": n, "padding": "x" * 2000})
        queue.close()
    reader.join(30)

    assert failures == []
    assert sorted(received) == list(range(count))
    assert not [name for name in os.listdir(tmp_path / "processed") if name.startswith("unreadable-")]
