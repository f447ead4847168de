"""Settings → Integrations: a workspace's own SMTP, Twilio and OpenAI credentials."""
