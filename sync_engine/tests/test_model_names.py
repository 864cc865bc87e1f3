"""What a run is called in a shell and the admin: its id, then whose it is, never two bare numbers
("sync 11 of 10" read as the eleventh of ten runs)."""

from destinations.models import DestinationLoad
from sync_engine.models import SyncLog


def test_a_sync_log_names_its_connector_as_a_connector():
    assert str(SyncLog(pk=11, connector_id=10, status="FAILED")) == "sync 11 of connector 10 (FAILED)"


def test_a_destination_load_names_its_connector_and_destination():
    load = DestinationLoad(pk=3, connector_id=2, destination_id=1, status="SUCCESS")

    assert str(load) == "load 3 of connector 2 into destination 1 (SUCCESS)"
