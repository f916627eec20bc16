"""A zip archive written as it goes: each member's bytes can be sent before the next is made.

:mod:`zipfile` writes to an unseekable file by putting a data descriptor after each member
instead of seeking back to fill in its header, so the archive never needs to be whole in memory::

    archive = ZipStream()
    archive.add("a.md", b"# A", when)
    yield archive.take()          # the bytes written so far
    archive.close()
    yield archive.take()          # the central directory
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime


class _Sink(io.RawIOBase):
    """Collects what zipfile writes; ``tell`` fails, so zipfile treats it as unseekable."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self.chunks.append(bytes(data))
        return len(data)

    def tell(self) -> int:
        raise OSError("unseekable")

    def seekable(self) -> bool:
        return False


class ZipStream:
    def __init__(self) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED)

    def add(self, name: str, data: bytes, when: datetime) -> None:
        stamp = max(when.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, data)

    def close(self) -> None:
        self._zip.close()

    def take(self) -> bytes:
        data = b"".join(self._sink.chunks)
        self._sink.chunks.clear()
        return data
