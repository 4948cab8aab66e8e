"""The issue's typed values: a promo's position, written in newsletter.toml as text."""

from __future__ import annotations

import pytest

from newsletter.config.editor import PromoConfig
from newsletter.domain.issue import PromoPosition, Spot


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("top", PromoPosition(Spot.TOP)),
        ("after_toc", PromoPosition(Spot.AFTER_TOC)),
        ("after_section:2", PromoPosition(Spot.AFTER_SECTION, 2)),
        ("end", PromoPosition(Spot.END)),
    ],
)
def test_a_position_reads_as_newsletter_toml_writes_it(text: str, position: PromoPosition) -> None:
    assert PromoPosition.parse(text) == position and str(position) == text
    promo = PromoConfig.model_validate({"name": "p", "position": text})
    assert promo.promo().position == position and promo.model_dump()["position"] == text


@pytest.mark.parametrize("text", ["after_section", "after_section:0", "top:1", "middle", ""])
def test_a_position_that_is_none_says_which_are(text: str) -> None:
    with pytest.raises(ValueError, match="none of top, after_intro, after_toc, after_section:N"):
        PromoConfig.model_validate({"name": "p", "position": text})
