"""Key phrases for a section the editor named but gave none: from its name and description.

The editor's taxonomy moves ("Vision Language Models" one week, "Post Training & RL" the
next): a section added to newsletter.toml with a name and a one-line description must place
papers from its first week, before any paper was ever filed in it. Its name is split into
parts at "&", "/", commas and "and" ("Post Training & RL": "post training", "rl"); each part
is a phrase (shorn of a last everyday word: "vision language"; of three words or more, also
its initials: "VLM"), and its distinctive words (not the field's everyday words: LLM, language, model,
research) count half as a phrase of their own. The description adds its short phrases of
two to four words ("visual question answering", "image understanding"), never single words,
which say too little on their own. Each phrase weighs like a hand-written one, so a paper
whose title names the section goes there as surely as into any configured section.
"""

from __future__ import annotations

import re

from newsletter.selection.topics import normalise_phrase, phrase_variants
from newsletter.selection.vectors import STOP_WORDS

# The field's everyday words: in every section's papers, so they tell none apart.
GENERIC = frozenset((
    "llm", "llms", "large", "language", "languages", "model", "models", "ai", "research",
    "paper", "papers", "study", "studies", "method", "methods", "approach", "approaches",
    "new", "novel", "other", "everything", "else", "work", "works", "week", "weeks",
    "worth", "reading", "advances", "progress", "topics", "techniques",
))  # fmt: skip
_PARTS = re.compile(r"\s*(?:[&/,;:.()\[\]]|\band\b|\bor\b|\bwith\b)\s*", re.IGNORECASE)
WORD_WEIGHT = 0.5  # a distinctive word of the name alone, against a whole phrase


def derived_keywords(name: str, description: str = "") -> tuple[str, ...]:
    """Key phrases ("phrase" or "phrase^weight") for a section from its name and description."""
    found: list[str] = []
    taken: set[str] = set()

    def add(phrase: str, weight: float = 1.0) -> None:
        variants = phrase_variants(phrase)
        if not variants or variants & taken:
            return  # one spelling counted twice would double a match
        taken.update(variants)
        found.append(phrase if weight == 1.0 else f"{phrase}^{weight:g}")

    dull = STOP_WORDS | GENERIC
    for part in _parts(name):
        if any(w not in dull for w in part):
            add(" ".join(part))
            initials = "".join(w[0] for w in part if w not in STOP_WORDS)
            if len(initials) >= 3:  # "Vision Language Models": "VLM", "VLMs"
                add(initials)
            head = list(part)
            while len(head) > 2 and head[-1] in GENERIC:  # "vision language (models)"
                head.pop()
                add(" ".join(head))
    for part in _parts(name):
        for word in part:
            if word not in dull and len(word) > 2:
                add(word, WORD_WEIGHT)
    for part in _parts(description):
        core = _trimmed(part)
        if 2 <= len(core) <= 4:
            add(" ".join(core))
    return tuple(found)


def _parts(text: str) -> list[list[str]]:
    """The text's parts between separators, each as its words (stop words kept inside)."""
    found = []
    for part in _PARTS.split(text):
        words = normalise_phrase(part).split()
        if words:
            found.append(words)
    return found


def _trimmed(words: list[str]) -> list[str]:
    """The words without stop words and the field's everyday words at either end."""
    dull = STOP_WORDS | GENERIC
    start, end = 0, len(words)
    while start < end and words[start] in dull:
        start += 1
    while end > start and words[end - 1] in dull:
        end -= 1
    return words[start:end]
