"""DataLoaders, built per request (a module-level loader would cache across users)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from gql_server.models import IncomeSource, User
from gql_server.services.outlook import OutlookReader, OutlookService


def income_source_loader(
    current_user: Callable[[], Awaitable[User]],
) -> DataLoader[int, IncomeSource | None]:
    async def load(ids: list[int]) -> list[IncomeSource | None]:
        user = await current_user()
        rows = await IncomeSource.filter(id__in=set(ids), user_id=user.id)
        by_id = {row.id: row for row in rows}
        return [by_id.get(source_id) for source_id in ids]

    return DataLoader(load_fn=load)


def outlook_loader(
    service: Callable[[], OutlookService], current_user: Callable[[], Awaitable[User]]
) -> OutlookReader:
    """The caller's outlook, read once for the request however many fields ask."""
    return OutlookReader(service, current_user, shared=True)


@dataclass(frozen=True)
class Loaders:
    income_source: DataLoader[int, IncomeSource | None]
    outlook: OutlookReader
