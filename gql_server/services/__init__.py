"""Async glue between the GraphQL layer, the database and the pure core."""
