"""Analytics report pages."""
