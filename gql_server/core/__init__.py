"""Pure computation: no database, no GraphQL. Plain values in, frozen dataclasses out."""
