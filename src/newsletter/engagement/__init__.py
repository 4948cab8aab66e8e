"""How an issue did: the provider's events kept and attributed, the engagement report,
its charts, and folding old events into totals."""
