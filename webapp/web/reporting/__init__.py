"""The weekly reports pages."""
