"""AuthService: the accounts' verbs — sign in, refresh, sign out, authenticate, web sessions,
passwords, personal tokens — over narrow store Protocols (vault_mcp.auth.stores)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from vault_mcp.auth.models import (
    ConnectedApp,
    Grant,
    PersonalToken,
    Principal,
    User,
    canonical_username,
    validate_username,
)
from vault_mcp.auth.passwords import check_password_strength, hash_password, verify_password
from vault_mcp.auth.scopes import ALL_SCOPES, is_personal_token, unknown_scopes
from vault_mcp.auth.setup_code import new_code, normalized
from vault_mcp.auth.stores import (
    ConnectedAppStore,
    LoginThrottle,
    PersonalTokenStore,
    RefreshTokenStore,
    SetupCodeStore,
    UserStore,
)
from vault_mcp.auth.tokens import AccessTokenIssuer
from vault_mcp.domain import check_text
from vault_mcp.errors import Conflict, InvalidInput, NotFound, Unauthorized

# One message for an unknown user and a wrong password: never say which was wrong.
BAD_CREDENTIALS = "the user name or password is wrong"
MAX_TOKEN_NAME = 100


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
        users: UserStore,
        refresh_tokens: RefreshTokenStore,
        access_tokens: AccessTokenIssuer,
        throttle: LoginThrottle,
        personal_tokens: PersonalTokenStore,
        apps: ConnectedAppStore,
        setup_codes: SetupCodeStore,
    ) -> None:
        self._apps = apps
        self._setup_codes = setup_codes
        self._users = users
        self._refresh_tokens = refresh_tokens
        self._access_tokens = access_tokens
        self._personal_tokens = personal_tokens
        self._throttle = throttle

    # -- signing in ----------------------------------------------------------------------

    async def check_credentials(self, username: str, password: str, address: str) -> User:
        """The account of a correct name and password; throttled, and vague on failure.

        The attempt is counted (per canonical name and per address) before the password is
        hashed, so neither another spelling of the name nor concurrency buys more guesses.
        """
        # Text no account can hold is refused before it reaches the database or the hasher.
        check_text("the user name", username)
        check_text("the password", password)
        account = canonical_username(username)
        attempt = await self._throttle.attempt(account, address)
        user = await self._users.by_name(account)
        if not await verify_password(user.password_hash if user else None, password):
            raise Unauthorized(BAD_CREDENTIALS)
        assert user is not None  # verify_password is False without a stored hash
        await self._throttle.succeeded(attempt)
        return user

    async def login(self, username: str, password: str, address: str) -> TokenPair:
        user = await self.check_credentials(username, password, address)
        refresh_token, grant = await self._refresh_tokens.issue(user.id)
        return self.pair(grant, refresh_token)

    async def refresh(self, refresh_token: str) -> TokenPair:
        check_text("the refresh token", refresh_token)
        rotated, grant = await self._refresh_tokens.rotate(refresh_token)
        if await self._users.by_id(grant.user_id) is None:
            raise Unauthorized("the account no longer exists")
        return self.pair(grant, rotated)

    async def logout(self, refresh_token: str) -> None:
        check_text("the refresh token", refresh_token)
        await self._refresh_tokens.revoke(refresh_token)

    # -- web sessions (an opaque refresh token in a cookie, never rotated) ----------------

    async def start_web_session(self, username: str, password: str, address: str) -> str:
        user = await self.check_credentials(username, password, address)
        token, _ = await self._refresh_tokens.issue(user.id)
        return token

    async def web_session(self, token: str) -> tuple[Principal, User] | None:
        """Who a live web-session token signs in, or None."""
        user_id = await self._refresh_tokens.live_user(token)
        user = None if user_id is None else await self._users.by_id(user_id)
        return None if user is None else (Principal(user.id, ALL_SCOPES), user)

    async def end_web_session(self, token: str) -> None:
        await self._refresh_tokens.revoke(token)

    # -- every request -------------------------------------------------------------------

    async def authenticate(self, token: str) -> Principal:
        """Who a valid access or personal token acts for, while its account and sign-in stand."""
        if is_personal_token(token):
            holder = await self._personal_tokens.holder(token)
            if holder is None:
                raise Unauthorized("the personal access token is not valid, revoked or expired")
            expires = None if holder.expires_at is None else int(holder.expires_at.timestamp())
            return Principal(holder.user_id, holder.scopes, expires)
        claims = self._access_tokens.verify(token)
        if not await self._refresh_tokens.access_allowed(claims.user_id, claims.family_id):
            raise Unauthorized(
                "the account of this token no longer exists, or its sign-in was revoked"
            )
        if claims.client_id is not None and claims.family_id is not None:
            await self._apps.used(claims.family_id)
        return Principal(
            claims.user_id, claims.scopes, claims.expires_at, claims.client_id, claims.family_id
        )

    def access_token_claims(self, token: str) -> Principal | None:
        """The signed claims of one of our access tokens (not checked against the database),
        or None: what OAuth revocation needs to find a token's sign-in."""
        try:
            claims = self._access_tokens.verify(token)
        except Unauthorized:
            return None
        return Principal(
            claims.user_id, claims.scopes, claims.expires_at, claims.client_id, claims.family_id
        )

    def pair(
        self, grant: Grant, refresh_token: str, scopes: tuple[str, ...] | None = None
    ) -> TokenPair:
        """An access token for `grant` (narrowed to `scopes` if given) beside its refresh token."""
        scopes = grant.scopes if scopes is None else scopes
        access, lifetime = self._access_tokens.issue(
            grant.user_id, scopes, family_id=grant.family_id, client_id=grant.client_id
        )
        return TokenPair(access, refresh_token, lifetime, scope=" ".join(scopes))

    # -- OAuth grants (OAuthServer's verbs) ----------------------------------------------

    async def rotate_grant(
        self, token: str, client_id: str, check: Callable[[Grant], None]
    ) -> tuple[str, Grant]:
        rotated, grant = await self._refresh_tokens.rotate(token, client_id=client_id, check=check)
        if await self._users.by_id(grant.user_id) is None:
            raise Unauthorized("the account no longer exists")
        return rotated, grant

    async def revoke_grant(self, token: str, client_id: str) -> None:
        """RFC 7009 for `client_id`: its refresh or access token, and the whole sign-in."""
        await self._refresh_tokens.revoke(token, client_id=client_id)
        claims = self.access_token_claims(token)
        if claims is not None and claims.client_id == client_id and claims.family_id is not None:
            await self._refresh_tokens.revoke_family(claims.family_id)

    # -- accounts ------------------------------------------------------------------------

    async def add_user(self, username: str, password: str) -> User:
        user_id = await self._users.create(username, await hash_password(password))
        user = await self._users.by_id(user_id)
        assert user is not None
        return user

    async def users(self) -> list[User]:
        return await self._users.all()

    async def user(self, user_id: int) -> User | None:
        return await self._users.by_id(user_id)

    async def account(self, username: str | None) -> User:
        """The named account, or the only one that can sign in when none is named."""
        if username is not None:
            user = await self._users.by_name(username)
            if user is None:
                name = canonical_username(username)
                raise NotFound(f"no user {name!r}; see `vault-mcp user list`")
            return user
        accounts = [u for u in await self._users.all() if u.can_log_in]
        if len(accounts) != 1:
            raise InvalidInput(
                "name the account with --user NAME"
                + ("" if accounts else " (create one first: `vault-mcp user add NAME`)")
            )
        return accounts[0]

    async def change_password(self, username: str, password: str) -> None:
        """A new password; every web session, OAuth grant and personal token of the account
        is revoked with it, in one transaction."""
        await self._users.set_password_and_revoke_all(username, await hash_password(password))

    async def delete_user(self, username: str, confirm: Callable[[int], bool]) -> int | None:
        """Delete the account and its notes once `confirm(note count)` agrees; the count, or
        None if nothing was deleted."""
        user = await self._users.by_name(username)
        if user is None:
            raise NotFound(f"no user named {canonical_username(username)!r}")
        notes = await self._users.count_notes(user.id)
        if notes and not confirm(notes):
            return None
        if not await self._users.delete(user.id, notes):
            raise Conflict(
                f"{user.username!r} gained or lost notes while the deletion waited for a yes; "
                "nothing was deleted, run it again"
            )
        return notes

    async def bootstrap_admin(self, password: str | None) -> bool | None:
        """With no account able to sign in, create `admin` from `password`: True if created,
        False if an account can already sign in, None if one is needed but no password given."""
        if await self._users.any_can_log_in():
            return False
        if password is None:
            return None
        await self.add_user("admin", password)
        return True

    # -- the first account, made in the browser ------------------------------------------

    async def needs_first_account(self) -> bool:
        return not await self._users.any_can_log_in()

    async def new_setup_code(self) -> str:
        """A one-time code (to print in the log) that lets any browser create the first
        account; it stops working once an account exists."""
        code = new_code()
        await self._setup_codes.add(normalized(code))
        return code

    async def create_first_account(
        self, username: str, password: str, address: str, code: str
    ) -> str:
        """Create the vault's first account and a web session for it (its token), for the
        holder of a setup code the server printed. Conflict once an account exists, however
        many race for it."""
        check_text("the user name", username)
        check_text("the password", password)
        username = validate_username(username)
        check_password_strength(password)
        if not await self.needs_first_account():
            raise Conflict("the vault already has an account; sign in")
        check_text("the setup code", code)
        # The sign-in throttle, in a bucket of the address's own: a wrong code never locks
        # out the person who holds the right one.
        attempt = await self._throttle.attempt(f"(setup code) {address}", address)
        if not await self._setup_codes.matches(normalized(code)):
            raise Unauthorized("the setup code is wrong; it is in the server's log")
        await self._throttle.succeeded(attempt)
        user_id = await self._users.create_first(username, await hash_password(password))
        if user_id is None:
            raise Conflict("the vault already has an account; sign in")
        token, _ = await self._refresh_tokens.issue(user_id)
        return token

    # -- connected apps --------------------------------------------------------------------

    async def connected_apps(self, user_id: int) -> list[ConnectedApp]:
        return await self._apps.connected(user_id)

    async def disconnect_app(self, user_id: int, client_id: str) -> None:
        """End every sign-in of `client_id` for this account: its refresh tokens at once,
        and its access tokens on their next request (on every server: each request asks
        the database whether its sign-in was revoked)."""
        check_text("the app", client_id)
        if not await self._apps.revoke(user_id, client_id):
            raise NotFound("no app with that id is connected to your account")

    # -- personal tokens -----------------------------------------------------------------

    async def create_personal_token(
        self, user: User, name: str, scopes: tuple[str, ...], lifetime: timedelta | None
    ) -> tuple[str, PersonalToken]:
        if not name.strip() or len(name) > MAX_TOKEN_NAME:
            raise InvalidInput(f"--name must be 1 to {MAX_TOKEN_NAME} characters")
        chosen = tuple(sorted(set(scopes))) or ALL_SCOPES
        unknown = unknown_scopes(chosen)
        if unknown:
            raise InvalidInput(f"unknown scope {unknown[0]!r}; choose from {', '.join(ALL_SCOPES)}")
        return await self._personal_tokens.create(user.id, name, chosen, lifetime)

    async def personal_tokens(self, user: User) -> list[PersonalToken]:
        return await self._personal_tokens.list(user.id)

    async def revoke_personal_token(self, user: User, name_or_id: str) -> None:
        await self._personal_tokens.revoke(user.id, name_or_id)
