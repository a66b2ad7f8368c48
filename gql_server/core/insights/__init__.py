"""Insights: the records and context every rule shares (`records`), the user's months
(`months`), one module of rules per family (`income`, `stability`, `spending`, `balance`, `tax`) and
the list that runs them all (`rules`)."""
