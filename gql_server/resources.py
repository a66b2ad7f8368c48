"""Long-lived resources the app's lifespan owns and requests use: the forecast pool (through
the outlook service) and the runner of generation jobs started by this process."""

from __future__ import annotations

from dataclasses import dataclass

from gql_server.auth.caller_cache import CallerCache
from gql_server.mail import Mailer
from gql_server.services.generation import JobRunner
from gql_server.services.outlook import OutlookService
from gql_server.services.webhook_deliveries import DeliveryWorker


@dataclass
class Resources:
    outlook: OutlookService
    job_runner: JobRunner
    deliveries: DeliveryWorker
    mailer: Mailer
    callers: CallerCache
