"""JSON API v1 at /api/v1: bearer tokens, the contract of the README's API section, and its OpenAPI 3.1 document.

The app factory (certification/web.py) registers its blueprint and error handlers; this package's own
`__init__` imports nothing, so the low-level modules that use `api.errors` or `api.models` do not pull in
the API's views (and with them every feature) when they are imported.
"""
