"""The gate states its policy once, over whichever `GateStore` it is given.

Whatever a store raises is mapped by the same code (a skip for the candidate, or the client's
error), and every admit and settle goes through the store: there is no second path in the gate.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from lockgate.clock import FakeClock
from lockgate.errors import AppError
from lockgate.gate import Gate, GateConfig, Skip
from lockgate.gate.backpressure import LaneConfig, MemoryBackpressure
from lockgate.gate.breaker import BreakerConfig, MemoryBreaker
from lockgate.gate.budget import BudgetUnavailable, MemoryBudgetBackend
from lockgate.gate.headroom import MemoryHeadroom, NoHeadroom
from lockgate.gate.store import Admission, Call, Held, Parts, StepwiseStore

CONFIG = GateConfig.model_validate({"budgets": {"users": {"daily_usd": "1"}}})


class Recording:
    """A store that records what the gate asks and can refuse with a given error."""

    def __init__(self, parts: Parts, refuse: Exception | None = None) -> None:
        self.parts = parts
        self.inner = StepwiseStore(parts)
        self.refuse = refuse
        self.calls: list[str] = []

    async def admit(self, call: Call) -> Admission:
        self.calls.append(f"admit {call.provider} {call.breaker} {len(call.limits)}")
        if self.refuse is not None:
            raise self.refuse
        return await self.inner.admit(call)

    async def settle(self, held: Held, cost: Decimal, healthy: bool | None) -> bool:
        self.calls.append(f"settle {held.provider} {cost} {healthy}")
        return await self.inner.settle(held, cost, healthy)


def gate_with(clock: FakeClock, refuse: Exception | None = None) -> tuple[Gate, Recording]:
    gate = Gate(
        CONFIG,
        budgets=MemoryBudgetBackend(clock),
        breaker=MemoryBreaker(BreakerConfig(), clock),
        headroom=MemoryHeadroom({}, clock=clock),
        backpressure=MemoryBackpressure({"openai": LaneConfig(2, 2, 1)}),
        clock=clock,
    )
    store = Recording(gate.store.parts, refuse)
    gate.store = store
    return gate, store


async def test_admit_and_settle_go_through_the_store() -> None:
    gate, store = gate_with(FakeClock())
    ticket = await gate.admit(
        "openai", user_id=uuid.UUID(int=1), upper_bound=Decimal("0.1"), tokens=5, breaker="b"
    )
    await ticket.failed(Decimal("0.05"), unhealthy=True)
    assert store.calls == ["admit openai b 1", "settle openai 0.05 False"]


async def test_a_store_refusal_is_mapped_by_the_gate() -> None:
    gate, _ = gate_with(FakeClock(), NoHeadroom("openai", 2.0, "requests"))
    with pytest.raises(Skip) as skip:
        await gate.admit("openai", user_id=None, upper_bound=Decimal(0), tokens=1)
    assert (skip.value.reason, skip.value.detail) == ("no_headroom", "requests")
    gate, _ = gate_with(FakeClock(), BudgetUnavailable("down"))
    with pytest.raises(AppError) as error:
        await gate.admit("openai", user_id=uuid.UUID(int=1), upper_bound=Decimal(1), tokens=1)
    assert error.value.code == "budget_unavailable"
