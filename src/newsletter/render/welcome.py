"""The welcome mail's bodies: the welcome text above the latest issue, as it was mailed.

The issue's stored HTML and text are used whole (with their placeholders, which delivery
fills for the new reader: their unsubscribe link, name and vote links); the welcome's
paragraphs go in front, in a block of their own at the top of the HTML body, so the inbox's
preview line shows the welcome. Pure: text in, text out.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Sequence

from newsletter.domain.placeholders import neutralise

_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
SERIF = "Georgia, 'Times New Roman', serif"
# Table layout and inline styles, as the issue's own: mail clients drop <style> and flexbox.
BLOCK = (
    '<table role="presentation" class="welcome" width="100%" cellpadding="0" cellspacing="0" '
    'border="0" style="background-color:#f3f4f6;"><tr><td align="center" '
    'style="padding:16px 0 0 0;"><table role="presentation" width="600" cellpadding="0" '
    'cellspacing="0" border="0" style="width:600px; max-width:600px; background-color:#ffffff; '
    'border-left:4px solid #10b981;"><tr><td style="padding:16px 28px 4px 28px; '
    f'font-family:{SERIF}; font-size:17px; line-height:1.6; color:#1f2937;">'
    "{paragraphs}</td></tr></table></td></tr></table>\n"
)
RULE = "-" * 76


def welcome_html(issue_html: str, paragraphs: Sequence[str]) -> str:
    """The issue's HTML with the welcome's paragraphs first in its body."""
    shown = "".join(
        f'<p style="margin:0 0 12px 0;">{html.escape(neutralise(p))}</p>' for p in paragraphs
    )
    block = BLOCK.format(paragraphs=shown)
    found = _BODY.search(issue_html)
    if found is None:  # not a whole document: the welcome goes first all the same
        return block + issue_html
    return issue_html[: found.end()] + "\n" + block + issue_html[found.end() :]


def welcome_text(issue_text: str, paragraphs: Sequence[str]) -> str:
    """The welcome's paragraphs, wrapped, a rule, then the issue's text."""
    shown = "\n\n".join(textwrap.fill(neutralise(p), 76) for p in paragraphs)
    return f"{shown}\n\n{RULE}\n\n{issue_text}"
