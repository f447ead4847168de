"""Settings → Suppressed addresses: the list, its search and CSV, adding and lifting; the
bounce mailbox and the email providers' bounce webhooks."""
