"""What the rendered issue leaves for delivery to fill: the per-recipient and per-issue links.

The issue is rendered once; each recipient's message differs only by substituting these.
"""

from __future__ import annotations

UNSUBSCRIBE_PLACEHOLDER = "%%unsubscribe_url%%"  # the reader's own signed unsubscribe link
VIEW_PLACEHOLDER = "%%view_url%%"  # "view in browser": the page in the archive
NAME_PLACEHOLDER = "%%name%%"  # the reader's name
PLACEHOLDER_LINKS = {"unsubscribe": UNSUBSCRIBE_PLACEHOLDER, "view": VIEW_PLACEHOLDER}
