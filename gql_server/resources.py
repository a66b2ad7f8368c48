"""Long-lived resources the app's lifespan owns and requests use: the forecast pool (through
the outlook service) and the runner of generation jobs started by this process."""

from __future__ import annotations

from dataclasses import dataclass

from gql_server.services.forecasts import Outlooks
from gql_server.services.generation import JobRunner


@dataclass
class Resources:
    outlooks: Outlooks
    job_runner: JobRunner
