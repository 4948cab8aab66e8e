"""`[welcome]` in newsletter.toml: the mail a new reader gets when they confirm their
subscription (or are added with `newsletter subscribers add --welcome`): a short text, then
the latest sent issue, whole."""

from __future__ import annotations

import string

from pydantic import BaseModel, ConfigDict, Field, field_validator

# What the texts may name: the latest issue's title, and the newsletter's name (NEWSLETTER_FROM's).
PLACEHOLDERS = ("title", "site")

DEFAULT_TEXT = (
    "Welcome, and thank you for subscribing to {site}!",
    "Every week you get the most important papers on large language models, grouped by "
    "topic and summarised. So that you need not wait for the next one, here is the latest "
    "issue: {title}.",
    "Under each paper, tell us whether it was useful to you: your votes help choose the "
    "next issues.",
)


class WelcomeConfig(BaseModel):
    """The welcome mail's settings; `enabled = false` sends none."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    subject: str = Field(default="Welcome to {site}: the latest issue", min_length=1)
    text: tuple[str, ...] = DEFAULT_TEXT  # paragraphs, above the issue

    @field_validator("subject")
    @classmethod
    def _one_line(cls, subject: str) -> str:
        if "\n" in subject or "\r" in subject:
            raise ValueError("the subject is one line")
        return _checked(subject)

    @field_validator("text", mode="before")
    @classmethod
    def _paragraphs(cls, text: object) -> object:
        return (text,) if isinstance(text, str) else text

    @field_validator("text")
    @classmethod
    def _known_placeholders(cls, text: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_checked(paragraph) for paragraph in text if paragraph.strip())

    def filled(self, *, title: str, site: str) -> tuple[str, tuple[str, ...]]:
        """(subject, paragraphs) with their placeholders filled."""
        values = {"title": title, "site": site}
        return self.subject.format(**values), tuple(p.format(**values) for p in self.text)


def _checked(text: str) -> str:
    """`text` if every {placeholder} in it is one of PLACEHOLDERS (write {{ for a brace)."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc} (write {{{{ and }}}} for braces)") from None
    unknown = [name for name in names if name not in PLACEHOLDERS]
    if unknown:
        known = ", ".join(f"{{{n}}}" for n in PLACEHOLDERS)
        raise ValueError(f"unknown placeholder {{{unknown[0]}}} in {text!r} (known: {known})")
    return text
