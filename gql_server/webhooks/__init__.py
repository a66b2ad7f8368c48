"""The outbound side of webhooks: which URLs a user may register (`urls`), how one signed
request is delivered without becoming a way into our own network (`outbound`), and the
Standard Webhooks signature that lets a receiver trust it (`signing`).

Nothing here touches the database: the outbox, the retry schedule and the alert payloads are
built on top of these three modules.
"""
