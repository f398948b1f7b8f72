"""The JWT signing secret: JWT_SECRET, or one generated once and kept in the data dir (0600)."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from vault_mcp.errors import InvalidInput

log = logging.getLogger(__name__)

MIN_SECRET_CHARS = 32
SECRET_FILE = "jwt_secret"


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
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        # O_EXCL: if another process created it first, use theirs (read below).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secret)
    log.info("generated a JWT signing secret in %s", path)
    return secret
