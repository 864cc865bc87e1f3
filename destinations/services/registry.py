"""The destination types MigrateIQ can load into (see ``services/base.py`` for the interface)."""

from destinations.services.base import DestinationError
from destinations.services.postgres import PostgresDestination

DRIVERS = {driver.type: driver for driver in (PostgresDestination(),)}


def driver_for(destination_type: str):
    try:
        return DRIVERS[destination_type]
    except KeyError:
        raise DestinationError(f"Unknown destination type {destination_type!r}.") from None
