"""Events on a contact's page (the timeline of what it did), and the product-event
subscribers, connected once per app when this blueprint is registered."""
