"""Ad platform adapters (Google Ads, Meta): one interface (`base.AdsAdapter`), credentials
passed in, provider errors mapped onto the resilience layer's classes inside each adapter.
The rules (linking, pulling results, pushing budgets, the month cap) live in
`webapp.services.ads`.
"""
