"""The demo account `gql-server serve --demo` prepares for a newcomer."""

from __future__ import annotations

from gql_server.auth import passwords
from gql_server.models import User
from gql_server.settings import Settings


async def ensure_demo_data(settings: Settings) -> User:
    """Create the demo user once; later runs leave it (and its data) as it is."""
    user = await User.get_or_none(email=settings.demo_email)
    if user is not None:
        return user
    return await User.create(
        email=settings.demo_email,
        password_hash=await passwords.hash_password(settings.demo_password),
        full_name="Asha Verma",
        city="Pune",
        occupation="Graphic Designer",
    )
