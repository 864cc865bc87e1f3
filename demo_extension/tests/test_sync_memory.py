"""The sync streams page by page: its peak memory does not grow with the number of records."""

import gc
import tracemalloc

import pytest

from demo_extension.models import SyncStatus
from demo_extension.tests.sync_support import run_sync

RULES = {
    "field_mappings": {"username": "login", "address.city": "city", "company.name": "company_name"},
    "type_conversions": {"created_at": "datetime", "score": "decimal"},
}


def traced_peak_of_a_sync(sample_upstream, make_connector, records: int) -> int:
    # No page cache and no request log on the upstream side: only the sync's memory is traced.
    upstream = sample_upstream(
        records=records, page_size=100, style="page", cache_pages=0, record_requests=False
    )
    connector = make_connector(
        upstream=upstream,
        name=f"Memory {records}",
        pagination={"type": "page", "size_param": "per_page", "page_size": 100},
        transformation_rules=RULES,
    )
    gc.collect()
    tracemalloc.start()
    try:
        log = run_sync(connector)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == records
    return peak


@pytest.mark.slow
def test_peak_memory_of_a_sync_does_not_grow_with_the_record_count(sample_upstream, make_connector):
    traced_peak_of_a_sync(sample_upstream, make_connector, 1_000)  # warm caches and imports

    small = traced_peak_of_a_sync(sample_upstream, make_connector, 4_000)
    large = traced_peak_of_a_sync(sample_upstream, make_connector, 12_000)

    # Three times the records (40 vs 120 pages of 100) may cost at most 10% (and 512 KiB) more peak memory.
    print(f"traced peak: {small / 2**20:.2f} MiB at 4,000 records, {large / 2**20:.2f} MiB at 12,000")
    assert large <= small * 1.10 + 512 * 1024, f"peak {small / 2**20:.1f} MiB -> {large / 2**20:.1f} MiB"
