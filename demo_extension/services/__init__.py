"""Business logic of the connectors extension, shared by the API, the Celery tasks and the commands.

The seed's public interface::

    DataSyncService(connector).test_connection()   # True / False
    DataSyncService(connector).sync_data()         # the SyncLog
    ConnectorStatsService.get_stats()               # the statistics dict
    DataTransformationService(rules).transform_record(raw)
"""

from demo_extension.services.stats import ConnectorStatsService
from demo_extension.services.sync import ConnectionResult, DataSyncService
from sync_engine.transform import DataTransformationService, TransformationError

__all__ = [
    "ConnectionResult",
    "ConnectorStatsService",
    "DataSyncService",
    "DataTransformationService",
    "TransformationError",
]
