"""Broadcasts: the list, compose and edit, preview, a test to yourself, schedule or send now, pause, resume, cancel and the progress while sending."""
