"""The JWT signing secret: JWT_SECRET, or one generated once and kept in the data dir (0600)."""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from pathlib import Path

from vault_mcp.errors import InvalidInput

log = logging.getLogger(__name__)

MIN_SECRET_CHARS = 32
SECRET_FILE = "jwt_secret"


def _read(path: Path) -> str:
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < MIN_SECRET_CHARS:
        # An empty or short key signs tokens anyone can forge (PyJWT only warns).
        raise InvalidInput(
            f"the signing key in {path} is {len(secret)} characters; it needs at least "
            f"{MIN_SECRET_CHARS}. Delete the file to have a new one generated (every "
            "token signed with the old one stops working), or set JWT_SECRET"
        )
    return secret


def load_or_create_secret(configured: str | None, data_dir: Path) -> str:
    if configured:
        if len(configured) < MIN_SECRET_CHARS:
            raise InvalidInput(
                f"JWT_SECRET is {len(configured)} characters; use at least {MIN_SECRET_CHARS} "
                "random ones, e.g. from "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return configured
    path = data_dir.expanduser() / SECRET_FILE
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a temporary file, flushed to disk, then linked into place: a reader
    # never sees a half-written (or empty) key, and if another process linked first, the
    # link fails and theirs is used.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{SECRET_FILE}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secrets.token_urlsafe(48))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read(path)
    finally:
        os.unlink(temporary)
    log.info("generated a JWT signing secret in %s", path)
    return _read(path)
