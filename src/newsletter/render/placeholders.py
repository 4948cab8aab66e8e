"""What the rendered issue leaves for delivery to fill: the per-recipient and per-issue parts.

The issue is rendered once; each recipient's message differs only by substituting these.
A placeholder is a `Placeholder`, so rendering can tell it from text: any other "%%" (in
a title from a feed, say) is broken up and can never become one (`domain/placeholders.py`,
which ingest uses too). Values differ by part: the HTML part gets the reader's name
HTML-escaped, under its own key.
"""

from __future__ import annotations

from newsletter.domain.placeholders import Placeholder

UNSUBSCRIBE_PLACEHOLDER = Placeholder("%%unsubscribe_url%%")  # the reader's signed unsubscribe link
VIEW_PLACEHOLDER = Placeholder("%%view_url%%")  # "view in browser": the page in the archive
NAME_PLACEHOLDER = Placeholder("%%name%%")  # the reader's name, in the text part
NAME_HTML_PLACEHOLDER = Placeholder(
    "%%name_html%%"
)  # the reader's name, HTML-escaped, in the HTML part
# What the templates call them: `{{ links.unsubscribe }}`, `{{ links.view }}`, `{{ links.name }}`.
PLACEHOLDER_LINKS = {
    "unsubscribe": UNSUBSCRIBE_PLACEHOLDER,
    "view": VIEW_PLACEHOLDER,
    "name": NAME_PLACEHOLDER,
}
HTML_LINKS = {**PLACEHOLDER_LINKS, "name": NAME_HTML_PLACEHOLDER}
