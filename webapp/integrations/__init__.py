"""Adapters to external systems, one module or package per provider, each behind a narrow
interface: `email/` (MIME, SMTP), `twilio/` (messaging, numbers, webhook signatures),
`openai.py`, `stripe.py`; the local `outbox.py` stands in for any of them when none is
configured. `delivery.py` is the one door outbound messages take (recipient check, circuit
breaker), `resilience.py` the error classes, breaker and token buckets, `addresses.py` the
recipient checks.

Adapters never import services (an import-linter contract): settings and credentials are
passed in, resolved by `webapp.services.connections`.
"""
