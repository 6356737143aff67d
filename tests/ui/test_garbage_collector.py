"""The window's cycle collector: generations run as Python's thresholds run them (a full
collection only every ~100 s) and what start-up made is frozen out of the collection."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from app.ui.main import MainThreadGarbageCollector


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture
def collector(qapp: QApplication) -> Iterator[MainThreadGarbageCollector]:
    made = MainThreadGarbageCollector()
    made.timer.stop()  # the test calls collect() itself
    yield made
    gc.unfreeze()


def _old_garbage() -> weakref.ref[Node]:
    """A cycle in the oldest generation, no longer referenced."""
    node = Node()
    gc.collect(0)
    gc.collect(1)  # survived twice: now in generation 2
    return weakref.ref(node)


def test_young_collections_leave_the_oldest_generation_alone(
        collector: MainThreadGarbageCollector) -> None:
    gc.collect()
    old = _old_garbage()
    for _ in range(12):  # past the middle generation's threshold once
        collector.collect()
    assert old() is not None  # a full collection would have freed it
    gc.collect()
    assert old() is None


def test_the_oldest_generation_is_collected_now_and_then(
        collector: MainThreadGarbageCollector) -> None:
    gc.collect()
    old = _old_garbage()
    for _ in range(11 * 11 + 2):
        collector.collect()
    assert old() is None


def test_what_is_alive_at_freeze_is_no_longer_walked(
        collector: MainThreadGarbageCollector) -> None:
    kept = Node()
    collector.freeze()
    assert gc.get_freeze_count() > 0
    assert not any(obj is kept for obj in gc.get_objects())
