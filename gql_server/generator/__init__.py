"""Bulk synthetic data: realistic users, income sources and transactions, vectorised with numpy."""
