"""The app's foundation: clock, configuration, database setup, extensions, errors, tenancy and signals."""
