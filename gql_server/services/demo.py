"""The demo account `gql-server serve --demo` prepares for a newcomer: a generated history
of a growing freelancer with a tax profile, under a known email and password."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio.to_thread

from gql_server import db
from gql_server.auth import passwords
from gql_server.generator.payloads import ChunkRequest, build_chunk
from gql_server.generator.writers import reserve_ids, write_chunk
from gql_server.models import Scheme, TaxProfile, User
from gql_server.services.generation import history_end
from gql_server.services.smoothing import seed_buffer_from_history
from gql_server.settings import Settings

DEMO_SEED = 2026
DEMO_DAYS = 540


async def ensure_demo_data(settings: Settings) -> User:
    """Create the demo user once; later runs leave it (and whatever was done with it) alone."""
    user = await User.get_or_none(email=settings.demo_email)
    if user is not None:
        return user
    user_ids, source_ids = await reserve_ids(1)
    request = ChunkRequest(
        seed=DEMO_SEED,
        first=0,
        count=1,
        days=DEMO_DAYS,
        end=history_end(None),
        patterns=("growing",),
        user_ids=user_ids,
        source_ids=source_ids,
        password_hash=await passwords.hash_password(settings.demo_password),
        job_id=None,
        created_at=datetime.now(UTC),
        dialect="sqlite" if db.is_sqlite() else "postgres",
        email_override=settings.demo_email,
    )
    await write_chunk(await anyio.to_thread.run_sync(build_chunk, request))
    user = await User.get(email=settings.demo_email)
    await seed_buffer_from_history(user)  # as if they had followed the smoothing rule
    # A professional under 44ADA, as most Indian freelancers file: the demo shows tax ahead.
    await TaxProfile.create(user_id=user.id, scheme=Scheme.SECTION_44ADA, state="Maharashtra")
    return user
