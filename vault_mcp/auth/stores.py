"""The narrow store Protocols the auth services need; vault_mcp.db implements them (Pg*)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from vault_mcp.auth.models import (
    Attempt,
    CodeGrant,
    ConnectedApp,
    Grant,
    PersonalToken,
    StoredClient,
    TokenHolder,
    User,
)


class UserStore(Protocol):
    async def ensure(self, username: str) -> int: ...
    async def create(self, username: str, password_hash: str | None) -> int: ...
    async def by_name(self, username: str) -> User | None: ...
    async def by_id(self, user_id: int) -> User | None: ...
    async def all(self) -> list[User]: ...
    async def count_notes(self, user_id: int) -> int: ...
    async def delete(self, user_id: int, notes: int | None = None) -> bool: ...
    async def any_can_log_in(self) -> bool: ...
    async def create_first(self, username: str, password_hash: str) -> int | None:
        """Create the account only if none can sign in yet (two at once: one wins), and
        void every setup code with it; its id, or None if an account already existed."""
        ...

    async def set_password_and_revoke_all(self, username: str, password_hash: str) -> int:
        """Set the password and, in the same transaction, revoke every web session, OAuth
        grant and personal token of the account; its id."""
        ...


class RefreshTokenStore(Protocol):
    async def issue(
        self,
        user_id: int,
        *,
        client_id: str | None = None,
        scopes: tuple[str, ...] = ...,
        resource: str | None = None,
    ) -> tuple[str, Grant]: ...
    async def rotate(
        self,
        token: str,
        *,
        client_id: str | None = None,
        check: Callable[[Grant], None] | None = None,
    ) -> tuple[str, Grant]: ...
    async def revoke(self, token: str, *, client_id: str | None = None) -> None: ...
    async def revoke_family(self, family_id: uuid.UUID) -> None: ...
    async def live_user(self, token: str) -> int | None: ...
    async def access_allowed(self, user_id: int, family_id: uuid.UUID | None) -> bool: ...


class ConnectedAppStore(Protocol):
    async def connected(self, user_id: int) -> list[ConnectedApp]: ...
    async def revoke(self, user_id: int, client_id: str) -> bool: ...
    async def used(self, family_id: uuid.UUID) -> None: ...


class SetupCodeStore(Protocol):
    async def add(self, code: str) -> None: ...
    async def matches(self, code: str) -> bool: ...


class PersonalTokenStore(Protocol):
    async def create(
        self, user_id: int, name: str, scopes: tuple[str, ...], lifetime: timedelta | None
    ) -> tuple[str, PersonalToken]: ...
    async def holder(self, token: str) -> TokenHolder | None: ...
    async def list(self, user_id: int) -> list[PersonalToken]: ...
    async def revoke(self, user_id: int, name_or_id: str) -> None: ...


class ClientStore(Protocol):
    async def add(self, client: StoredClient, registration: dict[str, Any]) -> None: ...
    async def get(self, client_id: str) -> StoredClient | None: ...


class CodeStore(Protocol):
    async def add(self, code: str, grant: CodeGrant) -> None: ...
    async def exchange(self, code: str, check: Callable[[CodeGrant], None]) -> tuple[str, Grant]:
        """Spend the code, check its grant, issue a refresh token for it and bind the two,
        all in one transaction; a replayed code revokes what it was exchanged for (and
        raises). `check` may refuse the exchange: the code stays spent."""
        ...


class LoginThrottle(Protocol):
    async def attempt(self, account: str, address: str) -> Attempt:
        """Count an attempt before the password is checked; TooManyAttempts if the account
        or the address has failed too often lately."""
        ...

    async def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the attempt and the account's failures are forgotten."""
        ...
