import time
import uuid

from dealflow_libs.ids import new_id


def test_new_ids_are_version_7_with_the_rfc_variant() -> None:
    value = new_id()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_new_ids_carry_the_current_millisecond_first() -> None:
    before = time.time_ns() // 1_000_000
    value = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after


def test_ids_made_later_sort_later_and_none_repeat() -> None:
    first = new_id()
    time.sleep(0.002)
    many = [new_id() for _ in range(10_000)]
    assert all(first < later for later in many)
    assert len(set(many)) == len(many)
