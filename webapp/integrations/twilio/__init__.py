"""The Twilio adapter: sending SMS and WhatsApp (`messaging`), a workspace's subaccount and
phone numbers (`numbers`), and checking the signatures of Twilio's webhooks (`webhooks`)."""
