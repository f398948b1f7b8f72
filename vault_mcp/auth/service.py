"""AuthService: log in, refresh and log out; turns credentials into tokens."""

from __future__ import annotations

from dataclasses import dataclass

from vault_mcp.auth.passwords import verify_password
from vault_mcp.auth.throttle import LoginThrottle
from vault_mcp.auth.tokens import AccessClaims, AccessTokenIssuer
from vault_mcp.db.refresh_tokens import PgRefreshTokenStore
from vault_mcp.db.users import PgUserRepository
from vault_mcp.errors import TooManyAttempts, Unauthorized

# One message for an unknown user and a wrong password: never say which was wrong.
BAD_CREDENTIALS = "the user name or password is wrong"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


class AuthService:
    def __init__(
        self,
        users: PgUserRepository,
        refresh_tokens: PgRefreshTokenStore,
        access_tokens: AccessTokenIssuer,
        throttle: LoginThrottle,
    ) -> None:
        self.users = users
        self.refresh_tokens = refresh_tokens
        self.access_tokens = access_tokens
        self._throttle = throttle

    async def check_credentials(self, username: str, password: str, address: str) -> int:
        """The user id for a correct name and password; throttled, and vague on failure."""
        wait = self._throttle.retry_after(username, address)
        if wait:
            raise TooManyAttempts(f"too many failed sign-ins; try again in {wait} seconds", wait)
        user = await self.users.by_name(username)
        if not await verify_password(user.password_hash if user else None, password):
            self._throttle.failed(username, address)
            raise Unauthorized(BAD_CREDENTIALS)
        assert user is not None  # verify_password is False without a stored hash
        self._throttle.succeeded(username)
        return user.id

    async def login(self, username: str, password: str, address: str) -> TokenPair:
        user_id = await self.check_credentials(username, password, address)
        return await self._pair(user_id, await self.refresh_tokens.issue(user_id))

    async def refresh(self, refresh_token: str) -> TokenPair:
        user_id, rotated = await self.refresh_tokens.rotate(refresh_token)
        if await self.users.by_id(user_id) is None:
            raise Unauthorized("the account no longer exists")
        return await self._pair(user_id, rotated)

    async def logout(self, refresh_token: str) -> None:
        await self.refresh_tokens.revoke(refresh_token)

    async def authenticate(self, access_token: str) -> AccessClaims:
        """Claims of a valid token whose account still exists; Unauthorized otherwise."""
        claims = self.access_tokens.verify(access_token)
        if await self.users.by_id(claims.user_id) is None:
            raise Unauthorized("the account of this token no longer exists")
        return claims

    async def _pair(self, user_id: int, refresh_token: str) -> TokenPair:
        access, lifetime = self.access_tokens.issue(user_id)
        return TokenPair(access, refresh_token, lifetime)
