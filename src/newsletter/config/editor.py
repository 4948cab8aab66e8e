"""The editor's settings: `newsletter.toml` (feeds, sections, selection, texts, promos,
schedule, approval, welcome), read and checked once."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
)

from newsletter.config.settings import first_error
from newsletter.config.subject_test import SubjectTestConfig
from newsletter.config.welcome import WelcomeConfig
from newsletter.domain.issue import Promo, PromoPosition, Spot
from newsletter.domain.papers import FeedSpec, SourceKind
from newsletter.domain.taxonomy import PaperKind
from newsletter.errors import ConfigError


class FeedConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    kind: SourceKind
    url: str = Field(min_length=1)
    weight: float = Field(default=1.0, ge=0)

    def spec(self) -> FeedSpec:
        return FeedSpec(name=self.name, kind=self.kind, url=self.url, weight=self.weight)


DEFAULT_INTRO = (
    "Large language models (LLMs) have advanced rapidly in recent years. As new generations of "
    "models are developed, researchers and engineers need to stay informed on the latest progress.",
    "This article summarizes some of the most important LLM papers published during the "
    "{week_name}. The papers cover various topics shaping the next generation of language "
    "models, from model optimization and scaling to reasoning, benchmarking, and enhancing "
    "performance.",
    "Keeping up with novel LLM research across these domains will help guide continued progress "
    "toward models that are more capable, robust, and aligned with human values.",
)


class TextsConfig(BaseModel):
    """The issue's fixed texts. Placeholders in title, subtitle, intro, toc_heading and
    preheader: {start} {end} (DD/MM), {week_name}, {count}; in footer, {subtitle} (in lower
    case). They travel as this model into assemble and render."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = "Important LLMs Papers for the Week from {start} to {end}"
    subtitle: str = "Stay Updated with Recent Large Language Models Research"
    intro: list[str] = Field(default_factory=lambda: list(DEFAULT_INTRO))
    toc_heading: str = "Table of Contents:"
    preheader: str = "{count} important LLM papers from the {week_name}"
    no_abstract: str = "No abstract was available for this paper; read it on arXiv."
    sign_off: list[str] = Field(default_factory=list)  # closing paragraphs, after the last promo
    view_in_browser: str = "View in browser"  # the link above the issue and in its footer
    unsubscribe: str = "Unsubscribe"  # the footer's unsubscribe link
    footer: str = "You receive this because you subscribed to {subtitle}."


class LinkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    url: str


def _position(value: object) -> object:
    return PromoPosition.parse(value) if isinstance(value, str) else value


# newsletter.toml writes a position as text ("after_section:2"); the code reads it typed.
Position = Annotated[PromoPosition, BeforeValidator(_position), PlainSerializer(str)]


class PromoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    position: Position
    title: str = ""
    text: list[str] | str = Field(default_factory=list)
    links: list[LinkConfig] = Field(default_factory=list)
    image: str | None = None
    image_alt: str = ""
    enabled: bool = True

    def promo(self) -> Promo:
        paragraphs = [self.text] if isinstance(self.text, str) else self.text
        return Promo(
            name=self.name,
            position=self.position,
            title=self.title,
            paragraphs=tuple(p for p in paragraphs if p.strip()),
            links=tuple((link.label, link.url) for link in self.links),
            image=self.image,
            image_alt=self.image_alt,
        )


DEFAULT_PROMOS = (
    PromoConfig(
        name="ebook",
        position=PromoPosition(Spot.AFTER_TOC),
        title="My New E-Book: LLM Roadmap from Beginner to Advanced Level",
        text=[
            "I am pleased to announce that I have published my new ebook LLM Roadmap from "
            "Beginner to Advanced Level. This ebook will provide all the resources you need to "
            "start your journey towards mastering LLMs."
        ],
    ),
    PromoConfig(
        name="mentoring",
        position=PromoPosition(Spot.END),
        text=[
            "Are you looking to start a career in data science and AI and do not know how? I "
            "offer data science mentoring sessions and long-term career mentoring:"
        ],
        links=[
            LinkConfig(label="Mentoring sessions", url="https://lnkd.in/dXeg3KPW"),
            LinkConfig(label="Long-term mentoring", url="https://lnkd.in/dtdUYBrM"),
        ],
    ),
)


class KindWeights(BaseModel):
    """What a paper's kind adds to its score: one field per `PaperKind` (a test checks)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    survey: float = 0.45
    benchmark: float = 0.3
    scaling_law: float = 0.55
    replication: float = 0.45
    open_release: float = 0.45
    method: float = 0.0

    def of(self, kind: PaperKind) -> float:
        weight: float = getattr(self, kind.value)
        return weight


class WeightsConfig(BaseModel):
    """`[selection.weights]`: how much each term of the rule score counts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    upvotes: float = 1.0
    comments: float = 0.15
    feeds: float = 0.2
    topic: float = 0.3
    readers: float = Field(default=0.1, ge=0, le=1)  # readers' clicks per section: a nudge
    kinds: KindWeights = Field(default_factory=KindWeights)


class SelectionConfig(BaseModel):
    """`[selection]`: the issue's size and balance, and the score's weights. The one place
    their defaults are written; selection reads them from here (`selection/rules.py`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int = Field(default=12, ge=1, le=100)
    sections: tuple[int, int] = (4, 8)  # how many sections an issue has, fewest and most
    crowding: float = Field(
        default=0.7, gt=0, le=1
    )  # each paper in a section: the next counts this much
    weights: WeightsConfig = Field(default_factory=WeightsConfig)

    @field_validator("sections")
    @classmethod
    def _range(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= value[0] <= value[1]:
            raise ValueError(
                f"sections = [fewest, most] with 1 <= fewest <= most, not {list(value)}"
            )
        return value


class ScheduleConfig(BaseModel):
    """When the Prefect deployments run (`flows/serve.py`, `prefect.yaml`)."""

    model_config = ConfigDict(extra="forbid")

    weekly: str = "0 8 * * 1"  # weekly-issue: cron, in `timezone` (Mondays 08:00)
    timezone: str = "UTC"  # an IANA zone, e.g. "Europe/Berlin"
    daily_ingest: str = "0 5 * * *"  # daily-ingest: cron, always in UTC
    report: str = "0 8 * * 4"  # issue-report: cron, in `timezone` (Thursdays: 3 days after)
    min_candidates: int = Field(
        default=5, ge=0
    )  # fewer: the weekly run stops and tells the editors

    @field_validator("weekly", "daily_ingest", "report")
    @classmethod
    def _five_fields(cls, cron: str) -> str:
        if len(cron.split()) != 5:
            raise ValueError(f"{cron!r} is not a cron expression (minute hour day month weekday)")
        return cron

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {zone!r} (use an IANA name like Europe/Berlin)"
            ) from None
        return zone


class ApprovalConfig(BaseModel):
    """The editor's approval of the weekly issue: on the review page, or in the dashboard."""

    model_config = ConfigDict(extra="forbid")

    # get proofs (with their own review link) and failure notices; only they open review links
    editors: list[str] = Field(default_factory=list)
    # no answer by then: not sent; review links work this long after they are made
    timeout_hours: float = Field(default=24.0, gt=0, le=14 * 24)
    # `newsletter send` refuses a draft the editor has not approved (the weekly run always
    # asks, unless started with require_approval off)
    required: bool = False
    poll_seconds: int = Field(
        default=10, ge=1, le=600
    )  # how often a paused run checks for the answer


def _names_unique(what: str, names: list[str]) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{what} names must be unique, repeated: {', '.join(dupes)}")


class EditorConfig(BaseModel):
    """The editor's settings (`newsletter.toml`)."""

    model_config = ConfigDict(extra="allow")

    feeds: list[FeedConfig] = Field(default_factory=list)
    sections: list[dict[str, Any]] | None = None  # validated by sections.sections_from_config
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    texts: TextsConfig = Field(default_factory=TextsConfig)
    promos: list[PromoConfig] = Field(default_factory=lambda: list(DEFAULT_PROMOS))
    overrides_dir: str = "overrides"
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    approval: ApprovalConfig = Field(default_factory=ApprovalConfig)
    subject_test: SubjectTestConfig | None = None  # off unless the editor writes one
    welcome: WelcomeConfig = Field(default_factory=WelcomeConfig)  # config/welcome.py

    @field_validator("promos")
    @classmethod
    def _unique_promos(cls, promos: list[PromoConfig]) -> list[PromoConfig]:
        _names_unique("promo", [p.name for p in promos])
        return promos

    @field_validator("feeds")
    @classmethod
    def _unique_names(cls, feeds: list[FeedConfig]) -> list[FeedConfig]:
        _names_unique("feed", [f.name for f in feeds])
        return feeds

    def feed_specs(self) -> list[FeedSpec]:
        return [f.spec() for f in self.feeds]


def load_editor_config(path: Path) -> EditorConfig:
    """Read `newsletter.toml`; a relative feed path is taken relative to the file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    for feed in raw.get("feeds", []):
        if isinstance(feed, dict) and isinstance(feed.get("url"), str):
            feed["url"] = resolve_location(feed["url"], path.parent)
    try:
        return EditorConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {first_error(exc)}") from exc


def resolve_location(url: str, base: Path) -> str:
    """URLs stay as they are; a relative file path becomes absolute against `base`."""
    if "://" in url or Path(url).is_absolute():
        return url
    return str((base / url).resolve())
