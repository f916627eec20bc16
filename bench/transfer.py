"""Import and export at the size limits: how long, how much memory, how long the write lock.

In process (the app with its lifespan, httpx's ASGI transport), SQLite in a temporary data dir
or ``--postgres-url``. A ChatGPT ``conversations.json`` is generated with ``--conversations``
conversations of ``--messages`` messages each (branches included: every third conversation
has an abandoned edit), imported, then exported as Lockgate JSON and as a Markdown zip, and the
JSON is imported again by a second account. Prints, per step: seconds, file size, and the peak
resident memory of the process so far (ru_maxrss) next to its size before the step.

    PYTHONPATH=src .venv/bin/python -m bench.transfer [--conversations 2000] [--messages 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from lockgate.clock import FakeClock
from tests.fixtures.appkit import (
    ApiClient,
    api_client,
    make_config,
    migrated_sqlite_url,
    running_app,
)

WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "near",
    "old",
    "lighthouses",
    "by",
    "the",
    "sea",
]


def text(i: int, n: int) -> str:
    return " ".join(WORDS[(i + k) % len(WORDS)] for k in range(n))


def write_chatgpt_file(path: Path, conversations: int, messages: int) -> None:
    path.write_bytes(chatgpt_file(conversations, messages))


def chatgpt_file(conversations: int, messages: int) -> bytes:
    items: list[dict[str, Any]] = []
    for c in range(conversations):
        mapping: dict[str, Any] = {
            "root": {"id": "root", "parent": None, "children": [], "message": None}
        }
        parent = "root"
        for m in range(messages):
            node_id = f"n{m}"
            role = "user" if m % 2 == 0 else "assistant"
            mapping[node_id] = {
                "id": node_id,
                "parent": parent,
                "children": [],
                "message": {
                    "author": {"role": role},
                    "create_time": 1717000000 + c * 1000 + m,
                    "content": {"content_type": "text", "parts": [text(m, 60)]},
                    "metadata": {"model_slug": "gpt-4o"} if role == "assistant" else {},
                },
            }
            mapping[parent]["children"].append(node_id)
            parent = node_id
        if c % 3 == 0:  # an abandoned edit of the first question
            mapping["edit"] = {
                "id": "edit",
                "parent": "root",
                "children": [],
                "message": {
                    "author": {"role": "user"},
                    "create_time": 1717000000 + c * 1000,
                    "content": {"content_type": "text", "parts": ["an abandoned wording"]},
                },
            }
            mapping["root"]["children"].append("edit")
        items.append(
            {
                "title": f"Conversation {c}",
                "create_time": 1717000000 + c * 1000,
                "update_time": 1717000000 + c * 1000 + messages,
                "current_node": parent,
                "mapping": mapping,
            }
        )
    return json.dumps(items).encode()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def step(name: str, call: Any) -> Any:
    before = peak_mb()
    started = time.perf_counter()
    result = await call
    took = time.perf_counter() - started
    print(f"{name:<32} {took:7.2f} s   peak RSS {before:6.0f} → {peak_mb():6.0f} MB")
    return result


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        url = args.postgres_url or await migrated_sqlite_url(data)
        big = max(256 * 1024 * 1024, args.conversations * args.messages * 1024)
        config = make_config(
            url,
            data,
            max_import_bytes=big,
            max_import_conversations=10**6,
            max_import_messages=10**7,
            max_body_bytes=1024 * 1024,
        )
        # Made in a child process and read back from disk in chunks: the generator's and the
        # client's memory must not hide the server's in the process's peak.
        source = data / "conversations.json"
        with ProcessPoolExecutor(1) as pool:
            pool.submit(write_chatgpt_file, source, args.conversations, args.messages).result()
        print(
            f"ChatGPT file: {source.stat().st_size / 1e6:.1f} MB, {args.conversations} "
            f"conversations x {args.messages} messages"
        )
        async with (
            running_app(config, FakeClock()) as (app, _state),
            api_client(app) as alice,
            api_client(app) as bob,
        ):
            alice.timeout = bob.timeout = 600
            await alice.register("alice@example.com")
            await bob.register("bob@example.com")
            response = await step("import ChatGPT", post(alice, source))
            print(
                "   ",
                response.json()["conversations"],
                "conversations,",
                response.json()["messages"],
                "messages",
            )
            exported = data / "export.json"
            size = await step("export all (Lockgate JSON)", download(alice, "json", exported))
            print(f"    {size / 1e6:.1f} MB")
            zipped = data / "export.zip"
            size = await step("export all (Markdown zip)", download(alice, "markdown", zipped))
            print(f"    {size / 1e6:.1f} MB")
            again = await step("import Lockgate JSON", post(bob, exported))
            assert again.status_code == 201, again.text


async def chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as file:
        while block := file.read(256 * 1024):
            yield block


async def post(client: ApiClient, path: Path) -> Any:
    response = await client.post(
        "/api/v1/imports", content=chunks(path), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text
    return response


async def download(client: ApiClient, fmt: str, path: Path) -> int:
    size = 0
    with path.open("wb") as file:
        async with client.stream("GET", "/api/v1/exports", params={"format": fmt}) as response:
            assert response.status_code == 200
            async for chunk in response.aiter_bytes():
                size += file.write(chunk)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--postgres-url", default=None)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
