"""`python flows/serve.py`: serve weekly-issue, daily-ingest and issue-report on their schedules.

The same as `python -m newsletter_flows.serve` or the `newsletter-flows` command: the flows
come from the installed package (src/newsletter_flows/ in this checkout), not from this
folder. Start it in the settings folder (newsletter.toml and .env); see docs/install.md,
"Running the flows".
"""

from __future__ import annotations

from newsletter_flows.serve import main

if __name__ == "__main__":
    main()
