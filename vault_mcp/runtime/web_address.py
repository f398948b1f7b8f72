"""Where a data dir's web view is: `serve` records its address, stdio links notes to it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vault_mcp.settings import Settings

log = logging.getLogger(__name__)

RECORD = "web-url"


def _record_path(settings: Settings) -> Path:
    return settings.data_dir / RECORD


@contextmanager
def recorded(settings: Settings) -> Iterator[None]:
    """While `serve` runs: its base URL in the data dir, for stdio on the same vault."""
    path, url = _record_path(settings), settings.base_url()
    if not path.parent.is_dir():  # an external database needs no data dir; nothing to share
        yield
        return
    try:
        path.write_text(url + "\n", encoding="utf-8")
    except OSError as exc:  # a read-only data dir only costs stdio its links' port
        log.warning("could not record the web view's address in %s: %s", path, exc)
    try:
        yield
    finally:
        try:
            if path.read_text(encoding="utf-8").strip() == url:  # not a later serve's
                path.unlink()
        except OSError:
            pass


def web_base_url(settings: Settings) -> str:
    """VAULT_PUBLIC_URL; else the address a running `serve` on this data dir recorded; else
    the address `serve` would bind with this HOST and PORT."""
    if settings.public_url:
        return settings.base_url()
    try:
        recorded_url = _record_path(settings).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        recorded_url = ""
    if recorded_url.startswith(("http://", "https://")) and "\n" not in recorded_url:
        return recorded_url.rstrip("/")
    return settings.base_url()
