"""Virtual key management: shown once, stored hashed, own keys only, admins see all."""

from __future__ import annotations

from sqlalchemy import select

from lockgate.models import ApiKey
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient


async def test_create_shows_the_secret_once_and_stores_only_a_hash(
    user_client: ApiClient, state: AppState
) -> None:
    response = await user_client.post(
        "/api/v1/keys",
        json={"name": "ci", "daily_budget_usd": "5", "rpm": 60, "allowed_models": ["sim-small"]},
    )
    assert response.status_code == 201
    created = response.json()
    assert created["key"].startswith("lg-")
    assert created["prefix"] == created["key"][:10]
    listed = (await user_client.get("/api/v1/keys")).json()
    assert [k["id"] for k in listed] == [created["id"]]
    assert "key" not in listed[0]
    async with state.sessionmaker() as db:
        stored = (await db.scalars(select(ApiKey))).one()
    assert created["key"] not in (stored.key_hash, stored.prefix + stored.key_hash)
    assert len(stored.key_hash) == 64


async def test_unknown_allowed_model_is_422(user_client: ApiClient) -> None:
    response = await user_client.post(
        "/api/v1/keys", json={"name": "x", "allowed_models": ["gpt-nope"]}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_model"


async def test_past_expiry_is_422(user_client: ApiClient) -> None:
    response = await user_client.post(
        "/api/v1/keys", json={"name": "x", "expires_at": "2000-01-01T00:00:00Z"}
    )
    assert response.status_code == 422


async def test_revoke_own_key(user_client: ApiClient) -> None:
    key_id = (await user_client.post("/api/v1/keys", json={"name": "x"})).json()["id"]
    revoked = await user_client.delete(f"/api/v1/keys/{key_id}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None


async def test_users_cannot_see_or_revoke_other_users_keys(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    await other_client.register("bob@example.com")
    bob_key = (await other_client.post("/api/v1/keys", json={"name": "bob"})).json()["id"]
    assert (await user_client.get("/api/v1/keys")).json() == []
    alice_key = (await user_client.post("/api/v1/keys", json={"name": "alice"})).json()["id"]
    assert (await other_client.delete(f"/api/v1/keys/{alice_key}")).status_code == 404
    assert (await other_client.get("/api/v1/keys", params={"scope": "all"})).status_code == 403
    # alice is the first user, hence admin: she sees and may revoke every key
    everyone = (await user_client.get("/api/v1/keys", params={"scope": "all"})).json()
    assert {k["id"] for k in everyone} == {bob_key, alice_key}
    assert (await user_client.delete(f"/api/v1/keys/{bob_key}")).status_code == 200
