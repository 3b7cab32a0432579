"""Use cases: what users do with the service, over the store, its files and the audit log.

Each module holds plain functions taking the Context (context.py) first. Every change goes
through commit.py with its audit entry and is durable before the function returns. The
functions are synchronous and thread-safe: the web views run them off the event loop.
"""
