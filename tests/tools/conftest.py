from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client

from tests.conftest import held
from vault_mcp.runtime import Services
from vault_mcp.tools import build_mcp_server


class ReadyServices:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def get(self) -> Services:
        return self._services


def in_memory_client(services: Services) -> Client:
    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[ReadyServices]:
        yield ReadyServices(services)

    return Client(build_mcp_server(lifespan), mode="legacy")


@pytest.fixture
async def client(services: Services) -> AsyncIterator[Client]:
    async with held(in_memory_client(services)) as connected:
        yield connected
