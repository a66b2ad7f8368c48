"""Unexpected errors reach a client as INTERNAL_SERVER_ERROR with a request id, never details."""

from __future__ import annotations

import logging

import pytest
import strawberry

from gql_server.errors import NotFound
from gql_server.graphql.errors import ApiErrorCodes


@strawberry.type
class Query:
    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("connection to /var/lib/postgresql failed: password=hunter2")

    @strawberry.field
    def missing(self) -> str:
        raise NotFound("transaction not found", field="id")


def _schema(expose_internal: bool) -> strawberry.Schema:
    return strawberry.Schema(
        Query, extensions=[lambda: ApiErrorCodes(expose_internal=expose_internal)]
    )


async def test_unexpected_errors_are_masked_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="gql_server.errors"):
        result = await _schema(expose_internal=False).execute("{ broken }")

    assert result.errors
    error = result.errors[0].formatted
    assert error["message"] == "Internal server error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "requestId" in error["extensions"]
    assert "hunter2" not in str(error)
    assert "postgresql" not in str(error)
    assert "hunter2" in caplog.text  # the operator still sees what happened


async def test_development_adds_the_cause_for_the_developer() -> None:
    result = await _schema(expose_internal=True).execute("{ broken }")
    assert result.errors
    assert "RuntimeError" in result.errors[0].formatted["extensions"]["debug"]


async def test_api_errors_keep_their_message_code_and_field() -> None:
    result = await _schema(expose_internal=False).execute("{ missing }")
    assert result.errors
    error = result.errors[0].formatted
    assert error["message"] == "transaction not found"
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "id"}
