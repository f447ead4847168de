"""Small local servers that speak third-party APIs, for tests with the real client libraries."""
