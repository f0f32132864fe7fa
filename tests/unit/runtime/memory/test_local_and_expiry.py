"""TTL arithmetic and the in-process memory's rules, on a fake clock."""

from __future__ import annotations

from ark_runtime.memory.base import MemoryEntry, Scope
from ark_runtime.memory.expiry import alive, cleanup_interval, oldest_alive_ms
from ark_runtime.memory.local import LocalMemory, LocalStore
from ark_runtime.protocol import Task


class Clock:
    def __init__(self, now: int = 1_000_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


A = Scope("shop", "writer")


def entry(name: str, at: int) -> MemoryEntry:
    return MemoryEntry(task=name, result=f"answer {name}", at_ms=at)


def test_an_entry_lives_exactly_its_ttl() -> None:
    assert alive(1000, 1000 + 59_999, 60)
    assert not alive(1000, 1000 + 60_000, 60)
    assert alive(0, 10**15, 0)  # 0: forever
    assert oldest_alive_ms(61_000, 60) == 1001
    assert alive(oldest_alive_ms(61_000, 60), 61_000, 60)
    assert not alive(oldest_alive_ms(61_000, 60) - 1, 61_000, 60)
    assert oldest_alive_ms(5, 0) == 0


def test_cleanup_interval_is_a_tenth_of_the_ttl_within_bounds() -> None:
    assert cleanup_interval(5) == 1.0
    assert cleanup_interval(600) == 60.0
    assert cleanup_interval(86_400) == 300.0


def test_newest_first_and_limited() -> None:
    clock = Clock()
    store = LocalStore(ttl_seconds=0, max_entries=0, clock=clock)
    for i in range(5):
        store.add(A, entry(f"e{i}", clock.now + i))
    assert [e.task for e in store.newest(A, 3)] == ["e4", "e3", "e2"]
    assert len(store.newest(A, 50)) == 5


def test_max_entries_evicts_the_oldest_exactly() -> None:
    clock = Clock()
    store = LocalStore(ttl_seconds=0, max_entries=3, clock=clock)
    for i in range(7):
        store.add(A, entry(f"e{i}", clock.now))
    assert [e.task for e in store.newest(A, 10)] == ["e6", "e5", "e4"]


def test_entries_expire_at_their_ttl_on_read_and_write() -> None:
    clock = Clock()
    store = LocalStore(ttl_seconds=10, max_entries=0, clock=clock)
    store.add(A, entry("old", clock.now))
    clock.now += 5_000
    store.add(A, entry("young", clock.now))
    clock.now += 4_999
    assert [e.task for e in store.newest(A, 10)] == ["young", "old"]
    clock.now += 1
    assert [e.task for e in store.newest(A, 10)] == ["young"]
    clock.now += 5_000
    assert store.newest(A, 10) == []


def test_scopes_never_share_entries_even_with_the_same_agent_name() -> None:
    clock = Clock()
    store = LocalStore(0, 0, clock)
    store.add(Scope("team-a", "writer"), entry("a", 1))
    store.add(Scope("team-b", "writer"), entry("b", 1))
    assert [e.task for e in store.newest(Scope("team-a", "writer"), 5)] == ["a"]
    assert [e.task for e in store.newest(Scope("team-b", "writer"), 5)] == ["b"]
    assert store.newest(Scope("team-c", "writer"), 5) == []
    assert Scope("team-a", "writer").key == "team-a/writer"


async def test_local_memory_is_a_backend_over_one_scope() -> None:
    clock = Clock()
    store = LocalStore(0, 2, clock)
    memory = LocalMemory(store, A)
    for i in range(3):
        await memory.remember(entry(f"e{i}", i))
    recalled = await memory.recall(Task(id="t", run="r", step="s", prompt="p"), 5)
    assert [e.task for e in recalled] == ["e2", "e1"]
    await memory.maintain()
    await memory.aclose()
