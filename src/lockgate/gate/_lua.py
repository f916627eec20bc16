"""The gate's Lua: ``.lua`` files next to the module that runs them (``gate/breaker/*.lua``,
``gate/budget/*.lua``, ...; the combined scripts' in ``gate/``), loaded with `importlib.resources`.

Every script names its KEYS and ARGV twice: in a header comment of its ``.lua`` file (for whoever
reads the Lua) and in a `Layout` next to the Python that loads it (for the code that builds its
arguments and for the combined scripts). ``tests/gate/test_lua_layouts.py`` holds the two to the
same text, so they cannot drift apart. A KEYS name ending in ``...`` stands for a variable number
of keys (a budget's windows).

The gate's combined admit and settle scripts (`lockgate.gate.gate_redis`) are *built* from these
layouts: each part's keys come at the offset its predecessors' declared counts give, and each
part reads its own arguments, so no module counts another one's KEYS or ARGV by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_HEADER = re.compile(r"^-- (KEYS|ARGV): (.*)$", re.MULTILINE)


GATE = "lockgate.gate"


@cache
def source(package: str, name: str) -> str:
    """The text of ``<name>.lua`` in ``package`` (read once per process)."""
    return resources.files(package).joinpath(f"{name}.lua").read_text("utf-8")


def declared(package: str, name: str) -> dict[str, tuple[str, ...]]:
    """The KEYS and ARGV names the header of ``<name>.lua`` in ``package`` declares."""
    found: dict[str, tuple[str, ...]] = {}
    for part, names in _HEADER.findall(source(package, name)):
        found[part] = tuple(n.strip() for n in names.split(",") if n.strip() and n != "-")
    return found


@dataclass(frozen=True, slots=True)
class Layout:
    """A script's KEYS and ARGV, by name, in order."""

    keys: tuple[str, ...]
    argv: tuple[str, ...]

    @property
    def variable(self) -> bool:
        """Whether one KEYS entry (``name...``) stands for a variable number of keys."""
        return any(name.endswith("...") for name in self.keys)


@dataclass(frozen=True, slots=True)
class LuaFunction:
    """A script file as the local Lua function ``name(KEYS, ARGV)`` (its parameters shadow the
    globals), so several can run in one script; ``preludes`` are files pasted at the top of its
    body (shared locals), ``helpers`` files pasted before the function (shared functions), and
    ``constants`` Lua locals defined before it (values Python owns)."""

    package: str
    """Where its files are (``__package__`` of the module that declares it)."""
    name: str
    layout: Layout
    preludes: tuple[str, ...] = ()
    helpers: tuple[str, ...] = ()
    constants: tuple[tuple[str, int | str], ...] = ()

    @property
    def definition(self) -> str:
        """The Lua text that defines the function (and what it needs)."""
        consts = "".join(f"local {name} = {value!r}\n" for name, value in self.constants)
        files = [*self.preludes, self.name]
        before = "".join(source(self.package, helper) for helper in self.helpers)
        body = "".join(source(self.package, name) for name in files)
        return f"{consts}{before}local function {self.name}(KEYS, ARGV)\n{body}\nend\n"

    @property
    def script(self) -> str:
        """A script that runs the function on its own KEYS and ARGV."""
        return f"{self.definition}return {self.name}(KEYS, ARGV)\n"


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a combined script: its Lua variables are ``<name>_keys`` and ``<name>_args``,
    laid out as ``layout`` declares (only a script's last part may take a variable key count)."""

    name: str
    layout: Layout


class Combined:
    """A script that runs several parts' functions on their own KEYS and ARGV, built from their
    layouts: KEYS are the parts' keys in order, ARGV one `blob` per part (split back in Lua),
    then ``extra`` named arguments. ``body`` (a file in ``gate/``) uses the bound variables."""

    def __init__(
        self,
        body: str,
        functions: tuple[LuaFunction, ...],
        parts: tuple[Part, ...],
        extra: tuple[str, ...] = (),
    ) -> None:
        self.parts = parts
        self.extra = extra
        if any(p.layout.variable for p in parts[:-1]):
            raise ValueError("only the last part may take a variable number of keys")
        binds, offset = [], 0
        for index, part in enumerate(parts, 1):
            fixed = not part.layout.variable
            count = str(len(part.layout.keys)) if fixed else f"#KEYS - {offset}"
            binds.append(f"local {part.name}_keys = keys({offset}, {count})\n")
            binds.append(f"local {part.name}_args = split(ARGV[{index}])\n")
            offset += len(part.layout.keys)
        for index, name in enumerate(extra, len(parts) + 1):
            binds.append(f"local {name} = ARGV[{index}]\n")
        definitions = "".join(function.definition for function in functions)
        helpers = source(GATE, "combined_helpers")
        self.script = definitions + helpers + "".join(binds) + source(GATE, body)
        self._definitions = definitions
        self._inner = helpers + "".join(binds) + source(GATE, body)

    def function(self, name: str) -> str:
        """The script as the local Lua function ``name(KEYS, ARGV)``, its helpers inside it (so
        they read its own KEYS), to be called by a larger script after other steps."""
        return f"{self._definitions}local function {name}(KEYS, ARGV)\n{self._inner}\nend\n"

    def keys(self, **groups: list[bytes]) -> list[bytes]:
        """The fixed-count parts' keys in script order (checked against their layouts)."""
        out: list[bytes] = []
        for part in self.parts:
            if part.layout.variable:
                continue
            group = groups[part.name]
            if len(group) != len(part.layout.keys):
                raise ValueError(f"{part.name}: {len(group)} keys, layout {part.layout.keys}")
            out += group
        return out
