"""Segments: the list, the rules builder, members and export; a contact's tags."""
