"""Outgoing mail through SMTP (aiosmtplib), and the background work that sends it.

Mail is sent after the request that asked for it has answered, so a request's response time
says nothing about what was mailed (a reset request for an unknown address must look like one
for a known address). Without SMTP_URL, development and test write each mail to the log; a
production server without SMTP_URL logs that a mail could not be sent, never its content (a
reset link in a log is a key to the account).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import aiosmtplib

if TYPE_CHECKING:  # settings.py checks SMTP_URL with parse_smtp_url
    from gql_server.settings import Settings

logger = logging.getLogger("gql_server.mail")

# The whole SMTP exchange; a server that hangs must not keep background work forever.
SMTP_TIMEOUT_S = 20.0
# At shutdown, mail still being sent gets this long before it is abandoned.
DRAIN_TIMEOUT_S = 10.0
# Mails being prepared or sent at once per process; more wait (a flood of reset requests from
# many addresses must not open as many SMTP sessions).
MAX_SENDING = 4


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    use_tls: bool  # smtps: TLS from the first byte; smtp: STARTTLS when the server offers it
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpServer:
    """smtp://host[:587] or smtps://user:password@host[:465]; ValueError names what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("SMTP_URL must name a host, e.g. smtp://mail.example.in:587")
    use_tls = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if use_tls else 25)
    except ValueError:
        raise ValueError("SMTP_URL has a port that is not a number") from None
    return SmtpServer(
        host=parts.hostname,
        port=port,
        use_tls=use_tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class Mailer:
    """Sends mail, and runs the work that leads to it after the request has answered."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server = parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
        self._pending: set[asyncio.Task[None]] = set()
        self._sending = asyncio.Semaphore(MAX_SENDING)

    def message(self, to: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        return message

    async def send(self, message: EmailMessage) -> None:
        if self.server is None:
            if self.settings.is_production:
                logger.warning("SMTP_URL is not set: a mail (%s) was not sent", message["Subject"])
            else:
                logger.info("SMTP_URL is not set, so this mail is logged, not sent:\n%s", message)
            return
        await aiosmtplib.send(
            message,
            hostname=self.server.host,
            port=self.server.port,
            username=self.server.username,
            password=self.server.password,
            use_tls=self.server.use_tls,
            # smtp:// in production: STARTTLS or nothing, so a server whose offer of it was
            # stripped on the way gets neither the password nor a reset link in clear text.
            # Elsewhere, when offered (a local test server has no certificate).
            start_tls=None if self.server.use_tls or not self.settings.is_production else True,
            timeout=SMTP_TIMEOUT_S,
        )

    def later(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run `work` in the background; its failure is logged (as `what`), never raised."""
        task = asyncio.create_task(self._logged(work, what))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _logged(self, work: Coroutine[Any, Any, None], what: str) -> None:
        try:
            async with self._sending, asyncio.timeout(SMTP_TIMEOUT_S * 3):
                await work
        except Exception as exc:
            # The class only: an SMTP error can quote the recipient back.
            logger.error("%s failed: %s", what, type(exc).__name__)

    async def drain(self, timeout_s: float = DRAIN_TIMEOUT_S) -> None:
        """Wait for the background work started so far (at shutdown, and in tests)."""
        pending = set(self._pending)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=timeout_s)
        for task in late:
            task.cancel()
        if late:
            logger.warning("%d mails were abandoned unsent at shutdown", len(late))
