"""Parsed and validated documents, reused across requests, within a budget of bytes.

Strawberry's ParserCache and ValidationCache bound the number of entries, not their size:
600 distinct 250 KB queries, parsed before anyone knew who sent them, held 280 MB. Here a
document is kept only for a caller with an access token this server signed (an app sends
the same few queries again and again; a stranger's queries are parsed and forgotten), only
when its text is small, and the text kept in all has a ceiling (least recently used first
out). The cache is per process on purpose: it holds nothing processes must agree on.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension

# An app's largest query is a few kilobytes; parsed, a document takes some 10-20 times its
# text, so 2 MB of text is roughly 20-40 MB of memory at most.
MAX_CACHED_QUERY_CHARS = 16_000
MAX_CACHED_CHARS = 2_000_000


@dataclass(frozen=True)
class _Entry:
    document: DocumentNode
    errors: list[GraphQLError]


class Documents:
    """One schema's cache: a document validated under one schema's rules (introspection
    allowed in development, say) must not pass for another's."""

    def __init__(self, budget: int = MAX_CACHED_CHARS) -> None:
        self.budget = budget
        self.used = 0
        self.entries: OrderedDict[str, _Entry] = OrderedDict()

    def get(self, query: str) -> _Entry | None:
        entry = self.entries.get(query)
        if entry is not None:
            self.entries.move_to_end(query)
        return entry

    def put(self, query: str, entry: _Entry) -> None:
        if query in self.entries or len(query) > MAX_CACHED_QUERY_CHARS:
            return
        self.entries[query] = entry
        self.used += len(query)
        while self.used > self.budget:
            evicted, _ = self.entries.popitem(last=False)
            self.used -= len(evicted)


class DocumentCache(SchemaExtension):
    def __init__(self, documents: Documents) -> None:
        super().__init__()
        self.documents = documents
        self._hit: _Entry | None = None

    def _cacheable(self) -> bool:
        context = self.execution_context.context
        query = self.execution_context.query or ""
        signed_in = getattr(context, "signed_in", None)
        return len(query) <= MAX_CACHED_QUERY_CHARS and callable(signed_in) and signed_in()

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        if query is not None:
            self._hit = self.documents.get(query)
            if self._hit is not None:
                self.execution_context.graphql_document = self._hit.document
        yield

    def on_validate(self) -> Iterator[None]:
        if self._hit is not None:
            self.execution_context.pre_execution_errors = list(self._hit.errors)
            yield
            return
        yield
        context = self.execution_context
        if context.query is None or context.graphql_document is None or not self._cacheable():
            return
        errors = list(context.pre_execution_errors or [])
        self.documents.put(context.query, _Entry(context.graphql_document, errors))
