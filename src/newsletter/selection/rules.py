"""What newsletter.toml makes of selection: the section list and the rules the score reads.

Every default is written once, in `config/editor.py`'s models (`[selection]` and its
weights); the rules hold those models as they are, with the two things a build adds: the
feeds' weights and the section list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from newsletter.config.editor import EditorConfig, SelectionConfig, WeightsConfig
from newsletter.domain.taxonomy import Section
from newsletter.selection.sections import DEFAULT_SECTIONS, sections_from_config


def section_taxonomy(editor: EditorConfig) -> tuple[Section, ...]:
    """The configured `[[sections]]`, checked; without any, the editor's own defaults."""
    return DEFAULT_SECTIONS if editor.sections is None else sections_from_config(editor.sections)


@dataclass(frozen=True, slots=True)
class Rules:
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    feed_weights: Mapping[str, float] = field(default_factory=dict)  # by feed name; else 1
    sections: tuple[Section, ...] = DEFAULT_SECTIONS

    @classmethod
    def of(
        cls,
        editor: EditorConfig,
        sections: tuple[Section, ...] | None = None,
        feed_weights: Mapping[str, float] | None = None,
    ) -> Rules:
        """The editor's rules: `[selection]`, the feeds' weights and sections as configured
        (or as given)."""
        return cls(
            selection=editor.selection,
            feed_weights=(
                feed_weights
                if feed_weights is not None
                else {f.name: f.weight for f in editor.feeds}
            ),
            sections=sections if sections is not None else section_taxonomy(editor),
        )

    @property
    def weights(self) -> WeightsConfig:
        return self.selection.weights
