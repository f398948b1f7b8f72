"""AuthService: log in, refresh and log out; turns credentials into tokens."""

from __future__ import annotations

from dataclasses import dataclass

from vault_mcp.auth.passwords import verify_password
from vault_mcp.auth.throttle import LoginThrottle
from vault_mcp.auth.tokens import AccessClaims, AccessTokenIssuer
from vault_mcp.db.personal_tokens import PgPersonalTokenStore, is_personal_token
from vault_mcp.db.refresh_tokens import Grant, PgRefreshTokenStore
from vault_mcp.db.users import PgUserRepository
from vault_mcp.domain import check_text
from vault_mcp.errors import TooManyAttempts, Unauthorized

# One message for an unknown user and a wrong password: never say which was wrong.
BAD_CREDENTIALS = "the user name or password is wrong"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"
    scope: str = ""


class AuthService:
    def __init__(
        self,
        users: PgUserRepository,
        refresh_tokens: PgRefreshTokenStore,
        access_tokens: AccessTokenIssuer,
        throttle: LoginThrottle,
        personal_tokens: PgPersonalTokenStore,
    ) -> None:
        self.users = users
        self.refresh_tokens = refresh_tokens
        self.access_tokens = access_tokens
        self.personal_tokens = personal_tokens
        self._throttle = throttle

    async def check_credentials(self, username: str, password: str, address: str) -> int:
        """The user id for a correct name and password; throttled, and vague on failure."""
        # Text no account can hold is refused before it reaches the database or the hasher.
        check_text("the user name", username)
        check_text("the password", password)
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
        refresh_token, grant = await self.refresh_tokens.issue(user_id)
        return self.pair(grant, refresh_token)

    async def refresh(self, refresh_token: str) -> TokenPair:
        check_text("the refresh token", refresh_token)
        rotated, grant = await self.refresh_tokens.rotate(refresh_token)
        if await self.users.by_id(grant.user_id) is None:
            raise Unauthorized("the account no longer exists")
        return self.pair(grant, rotated)

    async def logout(self, refresh_token: str) -> None:
        check_text("the refresh token", refresh_token)
        await self.refresh_tokens.revoke(refresh_token)

    async def authenticate(self, token: str) -> AccessClaims:
        """Claims of a valid access or personal token whose account and sign-in still stand."""
        if is_personal_token(token):
            holder = await self.personal_tokens.holder(token)
            if holder is None:
                raise Unauthorized("the personal access token is not valid, revoked or expired")
            expires = None if holder.expires_at is None else int(holder.expires_at.timestamp())
            return AccessClaims(holder.user_id, holder.scopes, expires, str(holder.token_id))
        claims = self.access_tokens.verify(token)
        if not await self.refresh_tokens.access_allowed(claims.user_id, claims.family_id):
            raise Unauthorized(
                "the account of this token no longer exists, or its sign-in was revoked"
            )
        return claims

    def pair(
        self, grant: Grant, refresh_token: str, scopes: tuple[str, ...] | None = None
    ) -> TokenPair:
        """An access token for `grant` (narrowed to `scopes` if given) beside its refresh token."""
        scopes = grant.scopes if scopes is None else scopes
        access, lifetime = self.access_tokens.issue(
            grant.user_id, scopes, family_id=grant.family_id, client_id=grant.client_id
        )
        return TokenPair(access, refresh_token, lifetime, scope=" ".join(scopes))
