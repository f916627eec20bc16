"""The provider-backed embedder is a paid entry point like ``/v1/embeddings``: admitted, settled,
one usage row per call, refused on a spent budget before any call, and it checks and normalises
what the provider returns. Only the provider is simulated."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from lockgate.calls.candidates import as_candidate
from lockgate.calls.embedder import ProviderEmbedder
from lockgate.calls.once import Owner
from lockgate.clock import FakeClock
from lockgate.errors import AppError
from lockgate.models import UsageKind, UsageOutcome, UsageRecord
from lockgate.providers.base import EmbeddingResult, Usage
from lockgate.providers.errors import ProviderUnavailable
from lockgate.providers.simulated_content import EMBEDDING_DIM
from lockgate.settings import FileConfig
from lockgate.state import AppState
from lockgate.vectors.errors import EmbedderUnavailable
from tests.fixtures.appkit import api_client, make_config, migrated_sqlite_url, running_app

PRICE = {"input_per_mtok": "1000", "output_per_mtok": "1000"}


@dataclass
class World:
    state: AppState
    user_id: uuid.UUID

    def embedder(self, **kwargs: Any) -> ProviderEmbedder:
        state = self.state
        model = "embed"
        candidate = as_candidate(model, state.config.file.models[model], state.providers)
        return ProviderEmbedder(
            candidate, gate=state.gate, usage=state.usage_writer, clock=state.clock, **kwargs
        )

    async def rows(self) -> list[UsageRecord]:
        await self.state.usage_writer.flush()
        async with self.state.sessionmaker() as db:
            return list((await db.scalars(select(UsageRecord))).all())


@pytest.fixture
async def world(tmp_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    file = FileConfig.model_validate(
        {
            "providers": {"sim": {"type": "simulated"}},
            "models": {
                "chat": {"provider": "sim", "price": PRICE},
                "embed": {"provider": "sim", "kind": "embedding", "price": PRICE},
            },
            "default_model": "chat",
            "gate": {"budgets": {"users": {"daily_usd": "0.5"}}},
        }
    )
    config = make_config(await migrated_sqlite_url(tmp_path), tmp_path, file=file)
    async with running_app(config, clock) as (app, state), api_client(app) as web:
        user = await web.register("asker@example.com")
        yield World(state, uuid.UUID(user["user"]["id"]))


async def test_a_call_is_settled_and_recorded_for_the_system_by_default(world: World) -> None:
    embedder = world.embedder()
    vectors = await embedder.embed(["how do I reset my password", "and my email"])
    assert embedder.dimension == EMBEDDING_DIM
    for vector in vectors:
        assert vector.dtype == np.float32
        assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)
    (row,) = await world.rows()
    assert (row.kind, row.outcome, row.user_id) == (UsageKind.EMBEDDING, UsageOutcome.OK, None)
    assert row.cost_usd == Decimal(row.input_tokens) * 1000 / 1_000_000 > 0


async def test_paid_by_puts_the_call_on_the_asker(world: World) -> None:
    embedder = world.embedder()
    with embedder.paid_by(Owner(world.user_id)):
        await embedder.embed(["question"])
    await embedder.embed(["system work"])
    rows = await world.rows()
    assert sorted(str(r.user_id) for r in rows) == sorted([str(world.user_id), "None"])


async def test_a_spent_budget_refuses_before_any_call(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    provider = world.state.providers.get("sim")
    real = provider.embed

    async def counted(model: str, inputs: Any) -> EmbeddingResult:
        calls.append(inputs)
        return await real(model, inputs)

    monkeypatch.setattr(provider, "embed", counted)
    embedder = world.embedder()
    with embedder.paid_by(Owner(world.user_id)), pytest.raises(AppError) as refused:
        await embedder.embed(["x" * 600_000])  # its upper bound is over the $0.50 budget
    assert refused.value.code == "budget_exceeded"
    assert calls == []
    assert await world.rows() == []


async def test_batches_are_one_paid_call_each_in_order(world: World) -> None:
    embedder = world.embedder(batch_size=2)
    texts = [f"text number {i}" for i in range(5)]
    vectors = await embedder.embed(texts)
    singles = [(await world.embedder().embed([t]))[0] for t in texts]
    for got, want in zip(vectors, singles, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)
    assert len(await world.rows()) == 3 + 5


async def test_a_provider_failure_is_an_embedder_error_and_a_failed_row(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(model: str, inputs: Any) -> EmbeddingResult:
        raise ProviderUnavailable("HTTP 500", provider="sim", status=500)

    monkeypatch.setattr(world.state.providers.get("sim"), "embed", down)
    with pytest.raises(EmbedderUnavailable, match="failed"):
        await world.embedder().embed(["x"])
    (row,) = await world.rows()
    assert row.outcome == UsageOutcome.ERROR


@pytest.mark.parametrize(
    "vectors",
    [
        [[1.0, 0.0]],  # one vector for two texts
        [[1.0, 0.0], [0.0, 0.0]],  # a zero vector cannot be normalised
        [[1.0, 0.0], [float("nan"), 1.0]],
        [[1.0, 0.0], [1.0, 0.0, 0.0]],  # two dimensions in one answer
    ],
)
async def test_an_unusable_answer_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch, vectors: list[list[float]]
) -> None:
    async def odd(model: str, inputs: Any) -> EmbeddingResult:
        return EmbeddingResult(vectors=vectors, usage=Usage(3, 0))

    monkeypatch.setattr(world.state.providers.get("sim"), "embed", odd)
    embedder = world.embedder()
    with pytest.raises(EmbedderUnavailable, match="could not read"):
        await embedder.embed(["a", "b"])
    (row,) = await world.rows()  # delivered, so paid, but a failure
    assert (row.outcome, row.input_tokens) == (UsageOutcome.ERROR, 3)
    with pytest.raises(EmbedderUnavailable, match="not known"):
        _ = embedder.dimension


async def test_another_dimension_than_known_is_refused(world: World) -> None:
    embedder = world.embedder(dimension=EMBEDDING_DIM + 1)
    with pytest.raises(EmbedderUnavailable, match="could not read"):
        await embedder.embed(["a"])
    assert embedder.dimension == EMBEDDING_DIM + 1


async def test_warm_up_learns_the_dimension_with_one_call(world: World) -> None:
    embedder = world.embedder()
    with pytest.raises(EmbedderUnavailable, match="not known"):
        _ = embedder.dimension
    await embedder.warm_up()
    await embedder.warm_up()  # known now: no second call
    assert embedder.dimension == EMBEDDING_DIM
    assert len(await world.rows()) == 1


def test_the_name_is_provider_and_upstream_model(world: World) -> None:
    assert world.embedder().name == "sim/embed"
