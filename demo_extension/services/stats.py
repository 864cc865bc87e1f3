"""PLACEHOLDER: ConnectorStatsService is being implemented."""


class ConnectorStatsService:
    @staticmethod
    def get_stats(tenant=None) -> dict:
        raise NotImplementedError
