"""Adapters to external systems (AI, email, SMS/WhatsApp), each behind a narrow interface."""
