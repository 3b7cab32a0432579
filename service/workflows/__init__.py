"""Use cases of issue 5 over the Portal: individual targets, job duties, monthly summaries, scores.

Each module holds plain functions taking the Portal first. Every write runs under
`store.locked()`, is audit-logged, and is durable before the function returns.
"""
