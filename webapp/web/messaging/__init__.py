"""Sequences (the Automation tab), the outbox, tracking links and Twilio's webhooks."""
