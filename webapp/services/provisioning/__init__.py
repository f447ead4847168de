"""Workspace setup: the pipeline, its steps, its runner and paid checkouts."""
