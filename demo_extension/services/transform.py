"""PLACEHOLDER: DataTransformationService is being implemented."""


class TransformationError(ValueError):
    pass


class DataTransformationService:
    def __init__(self, rules=None):
        self.rules = rules or {}

    def transform_record(self, raw: dict) -> dict:
        raise NotImplementedError
