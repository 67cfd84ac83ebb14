"""tune_gc: the collector's thresholds raised, what exists at start frozen out of its scans."""

import gc
from collections.abc import Iterator

import pytest

from dealflow_libs.gc_tuning import THRESHOLDS, tune_gc


@pytest.fixture
def collector_restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_tune_gc_raises_the_thresholds_and_freezes_the_startup_heap(collector_restored) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0

    tune_gc()

    assert gc.get_threshold() == THRESHOLDS
    assert gc.get_freeze_count() > 0
    assert gc.isenabled()  # cycles are still collected, less often


def test_a_second_call_freezes_nothing_more(collector_restored) -> None:
    gc.unfreeze()
    tune_gc()
    frozen = gc.get_freeze_count()
    made_since = [[n] for n in range(1000)]  # garbage-collectable containers

    tune_gc()

    assert gc.get_freeze_count() == frozen
    assert made_since  # still alive here, yet not frozen
