"""The Strawberry schema: one module per domain, translating between GraphQL and services."""
