"""Webhooks that providers call: Twilio's status callbacks and inbound messages."""
