"""JWT access tokens (HS256, PyJWT): issued at login, verified on every /mcp and API request."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt

from vault_mcp.errors import Unauthorized

ALGORITHM = "HS256"
SCOPES = ("notes:read", "notes:write")


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    scopes: tuple[str, ...]
    expires_at: int
    token_id: str


@dataclass(frozen=True)
class AccessTokenIssuer:
    """Signs and checks access tokens bound to this server (its issuer and /mcp audience)."""

    secret: str
    issuer: str
    audience: str
    ttl: timedelta

    def issue(self, user_id: int, scopes: tuple[str, ...] = SCOPES) -> tuple[str, int]:
        """A new token for `user_id` and its lifetime in seconds."""
        now = int(time.time())
        lifetime = int(self.ttl.total_seconds())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "iat": now,
            "exp": now + lifetime,
            "jti": secrets.token_urlsafe(16),
            "scope": " ".join(scopes),
        }
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
        except jwt.ExpiredSignatureError:
            raise Unauthorized(
                "the access token has expired; refresh it or sign in again"
            ) from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise Unauthorized("the access token is not valid") from None
        scopes = tuple(str(claims.get("scope", "")).split())
        return AccessClaims(user_id, scopes, int(claims["exp"]), str(claims["jti"]))
