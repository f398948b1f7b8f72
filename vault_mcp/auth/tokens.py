"""JWT access tokens (HS256, PyJWT): issued at login, verified on every /mcp and API request."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt

from vault_mcp.auth.scopes import ALL_SCOPES
from vault_mcp.errors import Unauthorized

ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    scopes: tuple[str, ...]
    expires_at: int | None
    token_id: str
    family_id: uuid.UUID | None = None  # the sign-in it came from; revoking that ends it
    client_id: str | None = None  # the OAuth client it was issued to, if any


@dataclass(frozen=True)
class AccessTokenIssuer:
    """Signs and checks access tokens bound to this server (its issuer and /mcp audience)."""

    secret: str
    issuer: str
    audience: str
    ttl: timedelta

    def issue(
        self,
        user_id: int,
        scopes: tuple[str, ...] = ALL_SCOPES,
        *,
        family_id: uuid.UUID | None = None,
        client_id: str | None = None,
    ) -> tuple[str, int]:
        """A new token for `user_id` and its lifetime in seconds."""
        now = int(time.time())
        lifetime = int(self.ttl.total_seconds())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "iat": now,
            "exp": now + lifetime,
            "jti": secrets.token_urlsafe(16),
            "scope": " ".join(scopes),
        }
        if family_id is not None:
            claims["sid"] = str(family_id)
        if client_id is not None:
            claims["client_id"] = client_id  # RFC 9068 §2.2
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM), lifetime

    def verify(self, token: str) -> AccessClaims:
        """The token's claims; Unauthorized if its signature, expiry, audience or issuer is off."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],  # never "none", never what the token itself claims
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"]},
            )
            user_id = int(claims["sub"])
            family_id = uuid.UUID(claims["sid"]) if "sid" in claims else None
        except jwt.ExpiredSignatureError:
            raise Unauthorized(
                "the access token has expired; refresh it or sign in again"
            ) from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise Unauthorized("the access token is not valid") from None
        scopes = tuple(str(claims.get("scope", "")).split())
        client_id = claims.get("client_id")
        return AccessClaims(
            user_id,
            scopes,
            int(claims["exp"]),
            str(claims["jti"]),
            family_id,
            client_id if isinstance(client_id, str) else None,
        )
