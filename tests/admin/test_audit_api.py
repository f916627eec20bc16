"""The audit log: key create/revoke rows, filters, keyset pages, the streamed CSV with its
formula guard, and rows that exist only when their change was committed."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from lockgate.audit.csv_export import safe_cell
from lockgate.clock import FakeClock
from lockgate.models import AuditEntry
from lockgate.state import AppState
from tests.admin.kit import audit, user_id
from tests.fixtures.appkit import ApiClient


async def test_key_create_and_revoke_are_audited_without_the_secret(
    admin: ApiClient, member: ApiClient, clock: FakeClock
) -> None:
    created = (
        await member.post("/api/v1/keys", json={"name": "ci", "daily_budget_usd": "2"})
    ).json()
    clock.advance(seconds=1)
    assert (await member.delete(f"/api/v1/keys/{created['id']}")).status_code == 200
    assert (await member.delete(f"/api/v1/keys/{created['id']}")).status_code == 200  # no-op
    revoked, made = await audit(admin, target_type="api_key")
    assert (made["action"], revoked["action"]) == ("key.created", "key.revoked")
    assert made["actor_email"] == "bob@example.com"
    assert made["after"]["name"] == "ci"
    assert made["after"]["daily_budget_usd"] == "2"
    assert created["key"] not in str(made)
    assert revoked["before"] == {"revoked_at": None}
    assert revoked["after"]["revoked_at"] is not None


async def test_filters_and_pages(admin: ApiClient, member: ApiClient, clock: FakeClock) -> None:
    bob = await user_id(admin, "bob@example.com")
    for role in ("admin", "user", "admin"):
        await admin.put(f"/api/v1/admin/users/{bob}/role", json={"role": role})
        clock.advance(seconds=1)
    await admin.put(f"/api/v1/admin/users/{bob}/limits", json={"rpm": 5})
    first = (await admin.get("/api/v1/admin/audit", params={"limit": 2})).json()
    assert [e["action"] for e in first["items"]] == ["user.limits_changed", "user.role_changed"]
    rest = (
        await admin.get("/api/v1/admin/audit", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [e["after"] for e in rest["items"]] == [{"is_admin": False}, {"is_admin": True}]
    assert rest["next_cursor"] is None
    by_target = await audit(admin, target_type="user", target_id=bob, action="user.role_changed")
    assert len(by_target) == 3
    me = await user_id(admin, "alice@example.com")
    assert len(await audit(admin, actor_id=me)) == 4
    assert await audit(admin, actor_id=bob) == []


async def test_a_bad_filter_is_422(admin: ApiClient) -> None:
    response = await admin.get(
        "/api/v1/admin/audit",
        params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
    )
    assert response.status_code == 422


async def test_the_csv_export_is_streamed_and_neutralises_formulas(
    admin: ApiClient, member: ApiClient
) -> None:
    await member.post("/api/v1/keys", json={"name": '=HYPERLINK("http://evil/")'})
    response = await admin.get("/api/v1/admin/audit/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["created_at", "actor_email", "actor_id", "action"]
    [row] = rows[1:]
    assert row[3] == "key.created"
    assert row[6].startswith("'=HYPERLINK")  # target label: the key's name, neutralised


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (-2, -2),
        (None, ""),
    ],
)
def test_safe_cell(value: object, cell: object) -> None:
    assert safe_cell(value) == cell


async def test_a_refused_change_writes_no_row(admin: ApiClient, state: AppState) -> None:
    me = await user_id(admin, "alice@example.com")
    assert (await admin.post(f"/api/v1/admin/users/{me}/disable")).status_code == 409
    async with state.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(AuditEntry)) == 0
