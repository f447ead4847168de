"""The health page and the scheduler page."""
