"""The autopilot page and its setup wizard."""
