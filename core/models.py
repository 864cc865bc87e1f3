from django.db import models


class TimeStampedModel(models.Model):
    """Abstract base for every MigrateIQ model: when a row was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class BackgroundTick(models.Model):
    """When the background work last ran: a task the beat schedules every
    ``MIGRATEIQ_BACKGROUND_TICK_SECONDS`` writes the time it ran on a worker (``core.background_health``).

    One row per name (``"beat"``). A tick that stops coming means the beat, the workers or the broker
    between them stopped: queued and scheduled syncs, destination loads and webhook deliveries wait.
    """

    name = models.CharField(max_length=50, unique=True)
    last_at = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.name} at {self.last_at:%Y-%m-%d %H:%M:%S}"
