"""The order in which the engine serves synthesis steps (:class:`FairQueue`), on its own:
who goes next when a short request arrives beside long ones."""

from __future__ import annotations

from app.engine.scheduler import FairQueue


def serve(queue: FairQueue[str], steps: int, cost: dict[str, float]) -> list[str]:
    """Serve ``steps`` steps, each item ready again at once (a long synthesis)."""
    order = []
    for _ in range(steps):
        item = queue.pop()
        assert item is not None
        order.append(item)
        queue.charge(item, cost[item])
        queue.ready(item)
    return order


def test_a_newcomer_waits_for_no_more_than_the_step_in_progress() -> None:
    queue: FairQueue[str] = FairQueue()
    longs = [f"long-{k}" for k in range(10)]  # ten contexts of one connection
    for item in longs:
        queue.add(item, "busy connection")
        queue.ready(item)
    serve(queue, 37, dict.fromkeys(longs, 0.6))
    queue.add("short", "another connection")
    queue.ready("short")
    assert queue.pop() == "short"


def test_a_new_context_of_a_busy_connection_goes_next_too() -> None:
    queue: FairQueue[str] = FairQueue()
    for item in ("a", "b", "c"):
        queue.add(item, "conn")
        queue.ready(item)
    serve(queue, 10, {"a": 0.5, "b": 0.5, "c": 0.5})
    queue.add("d", "conn")
    queue.ready("d")
    assert queue.pop() == "d"


def test_connections_share_time_not_turns() -> None:
    """Two connections: one with long steps (a sentence of Piper), one with short ones;
    each gets about the same time, so the short one takes many more turns."""
    queue: FairQueue[str] = FairQueue()
    queue.add("slow", "one")
    queue.add("quick", "two")
    queue.ready("slow")
    queue.ready("quick")
    order = serve(queue, 220, {"slow": 1.0, "quick": 0.1})
    assert 18 <= order.count("slow") <= 22
    longest_wait = max(len(run) for run in "".join(
        "s" if i == "slow" else "q" for i in order).split("s"))
    assert longest_wait <= 11  # the quick one never waits more than one slow step


def test_contexts_of_one_connection_take_turns_and_one_connection_does_not_crowd_another(
        ) -> None:
    queue: FairQueue[str] = FairQueue()
    for item in ("a1", "a2", "a3", "a4"):
        queue.add(item, "A")
        queue.ready(item)
    queue.add("b1", "B")
    queue.ready("b1")
    order = serve(queue, 40, dict.fromkeys(("a1", "a2", "a3", "a4", "b1"), 1.0))
    assert order.count("b1") == 20  # half the time: one connection, one half
    assert {order.count(a) for a in ("a1", "a2", "a3", "a4")} == {5}


def test_credit_is_not_hoarded_while_away() -> None:
    queue: FairQueue[str] = FairQueue()
    queue.add("old", "A")
    queue.ready("old")
    serve(queue, 100, {"old": 1.0})
    queue.add("late", "B")  # starts level with A, not 100 s behind it
    queue.ready("late")
    order = serve(queue, 20, {"old": 1.0, "late": 1.0})
    assert order.count("late") == 10


def test_removed_items_are_never_served() -> None:
    queue: FairQueue[str] = FairQueue()
    queue.add("gone", "A")
    queue.ready("gone")
    queue.add("stays", "A")
    queue.remove("gone")
    assert queue.pop() is None  # "stays" never asked
    queue.ready("stays")
    assert queue.pop() == "stays"
    assert queue.pop() is None
