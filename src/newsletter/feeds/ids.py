"""arXiv identifiers as feeds write them: bare, "arXiv:ID", OAI ids, abs/pdf and HF URLs."""

from __future__ import annotations

import re

__all__ = ["arxiv_id_from"]

_OLD_ARCHIVES = (
    "acc-phys|adap-org|alg-geom|ao-sci|astro-ph|atom-ph|bayes-an|chao-dyn|chem-ph|cmp-lg|"
    "comp-gas|cond-mat|cs|dg-ga|funct-an|gr-qc|hep-ex|hep-lat|hep-ph|hep-th|math-ph|math|"
    "mtrl-th|nlin|nucl-ex|nucl-th|patt-sol|physics|plasm-ph|q-alg|q-bio|quant-ph|solv-int|supr-con"
)
_YYMM = r"\d\d(?:0[1-9]|1[0-2])"
_ID = (
    rf"(?P<id>{_YYMM}\.\d{{4,5}}|(?:{_OLD_ARCHIVES})(?:\.[A-Z]{{2}})?/{_YYMM}\d{{3}})"
    r"(?:v(?P<version>\d+))?(?!\d)"
)
_BARE_ID = re.compile(rf"(?i:arxiv:\s?)?{_ID}")
# Only where an id is plainly an arXiv id, so a blog's "/2024.12345" is not one.
_ID_IN_CONTEXT = re.compile(
    rf"(?i:arxiv\.org/(?:abs|pdf|html)/|huggingface\.co/papers/|arxiv\.org:|arxiv[:.]\s?){_ID}"
)


def arxiv_id_from(text: str) -> tuple[str, int | None] | None:
    """(id, version) from a bare id, "arXiv:ID", an arxiv.org or huggingface.co/papers URL.

    >>> arxiv_id_from("oai:arXiv.org:2411.16594v2")
    ('2411.16594', 2)
    """
    text = text.strip()
    match = _BARE_ID.fullmatch(text) or _ID_IN_CONTEXT.search(text)
    if match is None:
        return None
    version = match.group("version")
    return match.group("id"), int(version) if version else None
