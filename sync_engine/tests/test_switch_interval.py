"""The committer thread gets the GIL back quickly while a sync runs (see committers._SwitchInterval)."""


def test_a_background_committer_shortens_the_switch_interval_while_any_runs():
    import sys

    from sync_engine.committers import _SwitchInterval

    before = sys.getswitchinterval()
    interval = _SwitchInterval()
    interval.enter()
    interval.enter()  # a second sync in another thread of the process
    assert sys.getswitchinterval() == min(before, _SwitchInterval.INTERVAL)
    interval.leave()
    assert sys.getswitchinterval() == min(before, _SwitchInterval.INTERVAL)  # one still runs
    interval.leave()
    assert sys.getswitchinterval() == before
