"""Delivery: the ledger loop (send.py), the message (message.py), signed links (links.py)
and one module per backend (backends/). `newsletter.app` builds them from the settings."""
