"""Asset pages: the list with filters, a campaign's assets (partial), an asset's page
(variations, edit with live limit counters, approve, regenerate, audio and picture), and
the /api/v1/ai endpoints."""
