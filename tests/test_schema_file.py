from pathlib import Path

from gql_server.graphql.schema import create_schema
from gql_server.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_schema_graphql_matches_the_code() -> None:
    exported = create_schema(Settings()).as_str() + "\n"
    on_disk = (ROOT / "schema.graphql").read_text()
    assert on_disk == exported, "schema.graphql is stale: run `gql-server export-schema`"
