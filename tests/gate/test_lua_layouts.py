"""The gate's Lua files and their Python declarations say the same thing.

Every script declares its KEYS and ARGV in a header comment and in a `Layout` next to its loader;
the combined admit and settle scripts are built from those layouts, so a part whose layout
changes moves the others' offsets with it instead of silently reading the wrong key.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest

from lockgate.gate import _lua, gate_redis
from lockgate.gate._lua import Combined, Layout, LuaFunction, Part, declared
from lockgate.gate.backpressure import redis as backpressure_redis
from lockgate.gate.breaker import redis as breaker_redis
from lockgate.gate.budget import redis as budget_redis
from lockgate.gate.headroom import redis as headroom_redis
from lockgate.gate.ratelimit import redis as ratelimit_redis

MODULES = (breaker_redis, budget_redis, headroom_redis, backpressure_redis, ratelimit_redis)
FUNCTIONS = {
    value.name: value
    for module in MODULES
    for value in vars(module).values()
    if isinstance(value, LuaFunction)
}
HELPERS = {"breaker_prelude", "budget_prelude", "headroom_trim", "combined_helpers"}
BODIES = {"gate_admit", "gate_settle", "gate_admit_hit"}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_script_header_matches_its_python_layout(name: str) -> None:
    function = FUNCTIONS[name]
    layout = function.layout
    assert declared(function.package, name) == {"KEYS": layout.keys, "ARGV": layout.argv}


def test_every_lua_file_is_declared_and_shipped_as_package_data() -> None:
    packages = {"lockgate.gate", *(function.package for function in FUNCTIONS.values())}
    files = {
        entry.name.removesuffix(".lua")
        for package in packages
        for entry in resources.files(package).iterdir()
        if entry.name.endswith(".lua")
    }
    assert files == set(FUNCTIONS) | HELPERS | BODIES
    assert {function.package for function in FUNCTIONS.values()} == {
        f"lockgate.gate.{part}"
        for part in ("breaker", "budget", "headroom", "backpressure", "ratelimit")
    }


def test_combined_script_binds_each_part_at_the_offset_its_predecessors_declare() -> None:
    first = LuaFunction("lockgate.gate.backpressure", "lane_release", Layout(("a", "b"), ("x",)))
    combined = Combined(
        "gate_settle",
        (first,),
        (
            Part("breaker", Layout(("k1", "k2", "k3"), ("x",))),
            Part("lane", Layout(("k4",), ("y",))),
            Part("budget", Layout(("windows...", "done"), ("z",))),
        ),
        extra=("breaker_op",),
    )
    assert "local breaker_keys = keys(0, 3)\n" in combined.script
    assert "local lane_keys = keys(3, 1)\n" in combined.script
    assert "local budget_keys = keys(4, #KEYS - 4)\n" in combined.script
    assert "local budget_args = split(ARGV[3])\n" in combined.script
    assert "local breaker_op = ARGV[4]\n" in combined.script
    assert combined.keys(breaker=[b"1", b"2", b"3"], lane=[b"4"]) == [b"1", b"2", b"3", b"4"]
    with pytest.raises(ValueError, match="breaker"):
        combined.keys(breaker=[b"1"], lane=[b"4"])


def test_only_the_last_part_may_take_a_variable_number_of_keys() -> None:
    with pytest.raises(ValueError, match="last part"):
        Combined(
            "gate_settle",
            (),
            (Part("budget", Layout(("w...",), ())), Part("lane", Layout(("k",), ()))),
        )


def test_the_gate_scripts_use_the_parts_layouts_and_no_hand_counted_offsets() -> None:
    body = _lua.source(_lua.GATE, "gate_admit") + _lua.source(_lua.GATE, "gate_settle")
    assert "KEYS[" not in body
    assert "ARGV[" not in body
    for combined in (gate_redis._ADMIT, gate_redis._SETTLE):
        for part in combined.parts:
            assert f"local {part.name}_keys = keys(" in combined.script


def test_python_argument_builders_match_the_declared_argv() -> None:
    from lockgate.clock import FakeClock
    from lockgate.gate.breaker import BreakerConfig, Permit

    client: Any = _NoRedis()
    breaker = breaker_redis.RedisBreaker(client, BreakerConfig(), FakeClock())
    permit = Permit("openai", epoch=3)
    assert len(breaker.allow_args(permit, 1)) == len(breaker_redis.ALLOW.layout.argv)
    assert len(breaker.record_args(permit, True, 1)) == len(breaker_redis.RECORD.layout.argv)
    assert len(breaker.keys("openai")) == len(breaker_redis.ALLOW.layout.keys)


class _NoRedis:
    """Enough of a client to construct the breaker (scripts are only registered)."""

    def register_script(self, source: str) -> object:
        return source
