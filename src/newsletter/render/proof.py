"""What makes an issue a proof: a banner at its top saying so (with, for an editor, the
button to the review page, first in the mail), and its links pointing at the draft's
preview and at a page saying this is a proof, not at the archive or a reader's unsubscribe.
Pure: the stored HTML and text in, the proof's out.
"""

from __future__ import annotations

import re

from markupsafe import escape

from newsletter.render.placeholders import VIEW_PLACEHOLDER

_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_BANNER = (
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
    'style="background-color:#fef3c7;border-bottom:1px solid #f59e0b;">'
    '<tr><td align="center" style="padding:14px 16px;font-family:Arial,Helvetica,sans-serif;'
    'font-size:14px;line-height:1.5;color:#78350f;">{button}'
    '<div style="margin-top:{gap}px;">{line}</div></td></tr></table>'
)
_BUTTON = (
    '<a href="{url}" id="review-link" style="display:inline-block;padding:12px 22px;'
    "background-color:#1d4ed8;color:#ffffff;font-weight:bold;font-size:16px;"
    'text-decoration:none;border-radius:6px;">Review and approve this issue</a>'
)


def proof_line(number: int, version: int) -> str:
    return (
        f"Proof of issue {number}, version {version}: not sent to subscribers yet. "
        "Its links to the issue open this draft."
    )


def proof_html(html: str, *, number: int, version: int, preview: str, review: str | None) -> str:
    """The stored HTML as a proof: the banner first in the body (with the review button
    for an editor), "View in browser" opening the draft's preview."""
    button = _BUTTON.format(url=escape(review)) if review else ""
    banner = _BANNER.format(
        button=button, gap=10 if review else 0, line=escape(proof_line(number, version))
    )
    html = html.replace(VIEW_PLACEHOLDER, str(escape(preview)))
    found = _BODY.search(html)
    at = found.end() if found else 0
    return html[:at] + banner + html[at:]


def proof_text(text: str, *, number: int, version: int, preview: str, review: str | None) -> str:
    head = [proof_line(number, version)]
    if review:
        head.insert(0, f"Review and approve this issue: {review}")
    return "\n".join(head) + "\n\n" + text.replace(VIEW_PLACEHOLDER, preview)
