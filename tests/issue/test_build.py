"""Building the weekly issue: golden files for the demo week, and the properties of any issue."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from newsletter.config import TEMPLATES_DIR, EditorConfig, load_editor_config
from newsletter.demo import DEMO_DIR
from newsletter.domain.events import EmailEvent, EventKind, LinkKind, Target
from newsletter.domain.issue import IssuePaper, IssueSection
from newsletter.domain.papers import Listing
from newsletter.domain.week import Week
from newsletter.engagement.interest import section_history
from newsletter.errors import ConfigError, StoreError
from newsletter.issue.build import (
    Built,
    NoCandidatesError,
    build_issue,
    read_overrides,
    write_files,
)
from newsletter.issue.edits import Edits
from newsletter.render.placeholders import UNSUBSCRIBE_PLACEHOLDER, VIEW_PLACEHOLDER
from newsletter.selection.rules import section_taxonomy
from newsletter.store import Store
from tests.support.deliveries import issue_record
from tests.support.paths import GOLDEN
from tests.support.stores import demo_copy, migrated

WEEK = Week.containing(dt.date(2024, 11, 25))


@pytest.fixture
def store(demo_db: Path, tmp_path: Path) -> Iterator[Store]:
    """A copy of the demo store (the bundled feeds, ingested once per session)."""
    with migrated(demo_copy(demo_db, tmp_path)) as s:
        yield s


@pytest.fixture
def editor() -> EditorConfig:
    return load_editor_config(DEMO_DIR / "newsletter.toml")


def build(store: Store, editor: EditorConfig, **edits: object) -> Built:
    """The demo week built as the CLI builds it: the readers' clicks from the store."""
    return build_issue(
        store,
        editor,
        WEEK,
        templates=TEMPLATES_DIR,
        edits=Edits(**edits),  # type: ignore[arg-type]
        history=section_history(store),
    )


def test_the_demo_week_matches_the_golden_files(
    store: Store, editor: EditorConfig, tmp_path: Path, update_golden: bool
) -> None:
    """issue.html, .txt, .md and .json of 2024-11-25 are exactly the reviewed ones."""
    files = write_files(build(store, editor), tmp_path / "out")
    if update_golden:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for path in files.values():
            (GOLDEN / path.name).write_bytes(path.read_bytes())
    for path in files.values():
        golden = GOLDEN / path.name
        assert golden.exists(), (
            f"no golden {golden}; run pytest --update-golden and review the diff"
        )
        assert path.read_text(encoding="utf-8") == golden.read_text(encoding="utf-8"), (
            f"{path.name} differs from {golden}; if the change is intended: pytest --update-golden"
        )


def test_every_pick_is_in_exactly_one_numbered_section(store: Store, editor: EditorConfig) -> None:
    """Sections are numbered 1., 2., …; papers 1.1., 1.2., …; none empty; default size 12."""
    issue = build(store, editor).issue
    ids = [p.arxiv_id for p in issue.papers]
    assert len(ids) == len(set(ids)) == 12
    order = [s.name for s in editor_sections()]
    assert [s.name for s in issue.sections] == sorted(
        (s.name for s in issue.sections), key=order.index
    )
    for n, section in enumerate(issue.sections, 1):
        assert section.number == n and section.papers
        assert [p.number for p in section.papers] == [
            f"{n}.{i}" for i in range(1, len(section.papers) + 1)
        ]
    fewest, most = editor.selection.sections
    assert fewest <= len(issue.sections) <= most  # the editor's habit: 4 to 8 sections


def test_title_and_intro_name_the_week_as_the_editor_does(
    store: Store, editor: EditorConfig
) -> None:
    """The title runs to the week's last listing day; the intro says "Fourth Week of November 2024"."""
    built = build(store, editor)
    assert built.issue.title == "Important LLMs Papers for the Week from 25/11 to 30/11"
    assert "published during the Fourth Week of November 2024." in built.issue.intro[1]


def test_promos_sit_where_configured_and_can_be_skipped(store: Store, editor: EditorConfig) -> None:
    """The e-book after the table of contents, mentoring at the end; skip_promos drops one."""
    text = build(store, editor).rendered.text
    toc, ebook = text.index("Table of Contents:"), text.index("My New E-Book")
    first_section = text.index("\n1. ", ebook)
    mentoring = text.index("Are you looking to start a career")
    assert toc < ebook < first_section < mentoring
    assert "https://lnkd.in/dXeg3KPW" in text[mentoring:]
    skipped = build(store, editor, skip_promos=("ebook",)).rendered
    assert "My New E-Book" not in skipped.text + skipped.html + skipped.markdown


def test_the_sign_off_footer_and_link_labels_are_the_editors(
    store: Store, editor: EditorConfig
) -> None:
    """Every fixed text of the mail is newsletter.toml's: a sign-off after the last promo, the
    footer (with the subtitle in lower case) and the labels of its two links."""
    texts = editor.texts.model_copy(
        update={
            "sign_off": ["Until next Monday,", "Ed"],
            "footer": "Sent to you as a reader of {subtitle}.",
            "view_in_browser": "Read it online",
            "unsubscribe": "Leave the list",
        }
    )
    rendered = build(store, editor.model_copy(update={"texts": texts})).rendered
    for part in (rendered.html, rendered.text, rendered.markdown):
        assert part.index("Are you looking to start a career") < part.index("Until next Monday,")
    assert "Sent to you as a reader of stay updated with recent large" in rendered.html
    for part in (rendered.html, rendered.text):
        assert "Read it online" in part and "Leave the list" in part
        assert "View in browser" not in part and "Unsubscribe" not in part


def test_the_editor_can_force_papers_in_and_out(store: Store, editor: EditorConfig) -> None:
    """--include brings in even an off-topic paper; --exclude keeps a top pick out."""
    first = build(store, editor).issue
    top = first.papers[0].arxiv_id
    off_topic = "2411.15138"  # Material Anything: 3D material generation
    issue = build(store, editor, add=(off_topic,), remove=(top,)).issue
    ids = [p.arxiv_id for p in issue.papers]
    assert off_topic in ids and top not in ids
    forced = next(p for p in issue.papers if p.arxiv_id == off_topic)
    assert forced.why.startswith("included by the editor")


def test_including_an_unknown_paper_is_a_clear_error(store: Store, editor: EditorConfig) -> None:
    """An id the store does not have says so and how to fetch it."""
    with pytest.raises(ConfigError, match="2499.99999: it is not in the store"):
        build(store, editor, add=("2499.99999",))


def test_the_weeks_file_adds_to_the_command_line(tmp_path: Path) -> None:
    """overrides/<monday>.toml holds include, exclude, move, order, note, skip_promos, size;
    the command line's word goes on top of it."""
    (tmp_path / "2024-11-25.toml").write_text(
        'include = ["2411.10001"]\nexclude = ["https://arxiv.org/abs/2411.10002v2"]\n'
        'skip_promos = ["ebook"]\nsize = 6\nmove = { "2411.10004" = "llm agents" }\n'
        'order = { "LLM Agents" = ["2411.10004", "2411.10001"] }\nnote = "A short week."\n'
    )
    merged = read_overrides(tmp_path, WEEK).then(Edits.typed(add=["2411.10003", "2411.10002"]))
    assert merged == Edits(
        add=("2411.10001", "2411.10004", "2411.10003", "2411.10002"),
        remove=(),
        move=(("2411.10004", "llm agents"),),
        order=(("LLM Agents", ("2411.10004", "2411.10001")),),
        note="A short week.",
        size=6,
        skip_promos=("ebook",),
    )
    for wrong, message in [
        ("inclde = []", "unknown keys inclde"),
        ('include = ["2411.1"]', "'2411.1' is not an arXiv id"),
        ('size = "ten"', "size 'ten'"),
        ('move = ["2411.10004"]', "move must be a table"),
    ]:
        (tmp_path / "2024-11-25.toml").write_text(wrong + "\n")
        with pytest.raises(ConfigError, match=message) as raised:
            read_overrides(tmp_path, WEEK)
        assert str(raised.value).startswith(str(tmp_path / "2024-11-25.toml"))


def test_feed_and_promo_names_must_be_unique(tmp_path: Path) -> None:
    """A name used twice in newsletter.toml is a config error naming it."""
    path = tmp_path / "newsletter.toml"
    path.write_text('[[feeds]]\nname = "a"\nkind = "rss"\nurl = "x.xml"\n' * 2)
    with pytest.raises(ConfigError, match="feed names must be unique, repeated: a"):
        load_editor_config(path)
    path.write_text('[[promos]]\nname = "ebook"\nposition = "end"\ntext = "t"\n' * 2)
    with pytest.raises(ConfigError, match="promo names must be unique, repeated: ebook"):
        load_editor_config(path)


def test_a_week_without_candidates_is_an_error(store: Store, editor: EditorConfig) -> None:
    """No candidates is a clear error, never an empty email."""
    with pytest.raises(NoCandidatesError, match="no candidate papers for the week 2024-01-01"):
        build_issue(store, editor, Week.containing(dt.date(2024, 1, 3)), templates=TEMPLATES_DIR)


def test_drafts_are_numbered_and_a_rebuild_keeps_the_number(
    store: Store, editor: EditorConfig
) -> None:
    """The same week keeps its number; the next week gets the next one; a sent issue is frozen."""
    assert build(store, editor).issue.number == 1
    assert build(store, editor, size=6).issue.number == 1
    nxt = build_issue(store, editor, Week.containing(dt.date(2024, 12, 2)), templates=TEMPLATES_DIR)
    assert nxt.issue.number == 2
    stored = store.issue_for_week(WEEK.start)
    assert stored is not None and stored.status == "draft" and len(stored.record.sections) >= 1
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE issues SET status = 'sent' WHERE number = 1")
    with pytest.raises(StoreError, match="already sent"):
        build(store, editor)


def test_titles_are_escaped_and_nothing_says_none(store: Store, editor: EditorConfig) -> None:
    """A title with <script> shows as text in HTML and Markdown; a paper without abstract still reads well."""
    store.merge(
        [
            Listing(
                arxiv_id="2411.99998",
                title='Scaling LLMs <script>alert("x")</script> & friends',
                abstract="We study large language models. <b>Bold</b> claims follow.",
                feed="hf-daily",
                listed_on=dt.date(2024, 11, 26),
                upvotes=99,
                on_hugging_face=True,
            ),
            Listing(
                arxiv_id="2411.99999",
                title="A Large Language Model With No Abstract",
                feed="hf-daily",
                listed_on=dt.date(2024, 11, 26),
                upvotes=98,
                on_hugging_face=True,
            ),
        ]
    )
    r = build(store, editor, add=("2411.99998", "2411.99999")).rendered
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html
    assert "<b>Bold</b>" not in r.html
    assert "\\<script\\>" in r.markdown
    assert editor.texts.no_abstract in r.text and editor.texts.no_abstract in r.html
    for body in (r.html, r.text, r.markdown, json.dumps(r.record.to_json())):
        assert not re.search(r"\bNone\b", body)


def test_the_email_html_is_inlined_and_well_formed(store: Store, editor: EditorConfig) -> None:
    """Parses; 600 px table layout; hidden preheader; only media queries stay in <style>."""
    html = build(store, editor).rendered.html
    parser = _TagCounter()
    parser.feed(html)
    assert parser.unclosed() == {}
    styles = re.findall(r"<style[^>]*>(.*?)</style>", html, re.S)
    for css in styles:
        outside_media = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css).strip()
        assert outside_media == "", f"premailer left rules in <style>: {outside_media[:80]}"
    assert any("prefers-color-scheme: dark" in css for css in styles)
    assert (
        'width="600"' in html
        and 'class="preheader"' in html
        and "display:none" in html.replace(" ", "")
    )
    assert UNSUBSCRIBE_PLACEHOLDER in html and VIEW_PLACEHOLDER in html
    assert (
        'style="' in html
        and "https://arxiv.org/pdf/" in html
        and "https://huggingface.co/papers/" in html
    )


def test_issue_json_has_the_published_shape(store: Store, editor: EditorConfig) -> None:
    """number, title, week, intro, sections with papers, and every ranked candidate."""
    data = build(store, editor).rendered.record.to_json()
    assert {
        "number",
        "title",
        "week_start",
        "week_end",
        "intro",
        "sections",
        "candidates",
    } <= data.keys()
    paper = data["sections"][0]["papers"][0]
    assert {"number", "arxiv_id", "title", "url", "summary", "score", "why"} <= paper.keys()
    scores = [c["score"] for c in data["candidates"]]
    assert scores == sorted(scores, reverse=True)
    assert {"arxiv_id", "title", "score", "section"} <= data["candidates"][0].keys()


def editor_sections() -> tuple:  # type: ignore[type-arg]
    return section_taxonomy(EditorConfig())


class _TagCounter(HTMLParser):
    VOID = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.open: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.open[tag] = self.open.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        self.open[tag] = self.open.get(tag, 0) - 1

    def unclosed(self) -> dict[str, int]:
        return {t: n for t, n in self.open.items() if n}


def test_a_move_in_the_weeks_file_puts_the_paper_in_that_section(
    store: Store, editor: EditorConfig, tmp_path: Path
) -> None:
    (tmp_path / "2024-11-25.toml").write_text('move = { "2411.17116" = "LLM Reasoning" }\n')
    edits = read_overrides(tmp_path, WEEK)
    assert edits.move == (("2411.17116", "LLM Reasoning"),) and edits.add == ("2411.17116",)
    issue = build(store, editor, move=edits.move).issue
    assert [
        s.name for s in issue.sections if any(p.arxiv_id == "2411.17116" for p in s.papers)
    ] == ["LLM Reasoning"]


def test_the_editors_order_and_note_reach_the_issue(store: Store, editor: EditorConfig) -> None:
    """An order puts a section's papers in the editor's order, numbered so, in every part;
    the editor's note stands under the intro; neither changes anything else."""
    plain = build(store, editor)
    first = plain.issue
    section = next(s for s in first.sections if len(s.papers) >= 2)
    wanted = tuple(p.arxiv_id for p in reversed(section.papers))
    note = "A short week: *two* holidays."
    built = build(store, editor, order=((section.name.lower(), wanted),), note=note)
    again = next(s for s in built.issue.sections if s.name == section.name)
    assert tuple(p.arxiv_id for p in again.papers) == wanted
    assert [p.number for p in again.papers] == [
        f"{again.number}.{n}" for n in range(1, len(wanted) + 1)
    ]
    assert [p.arxiv_id for p in built.issue.papers if p.arxiv_id not in wanted] == [
        p.arxiv_id for p in first.papers if p.arxiv_id not in wanted
    ]
    r = built.rendered
    for body, shown in (
        (r.text, note),
        (r.markdown, "*A short week: \\*two\\* holidays.*"),
        (r.html, f"<em>{note}</em>"),
    ):
        where = [body.index(f"arxiv.org/abs/{arxiv_id}") for arxiv_id in wanted]
        assert where == sorted(where)
        assert body.index("Fourth Week of November") < body.index(shown) < body.index("Table of")
    assert r.record.to_json()["note"] == [note]
    assert "note" not in plain.rendered.record.to_json()  # issue.json as before without one


def test_readers_clicks_on_past_issues_nudge_their_sections(
    store: Store, editor: EditorConfig
) -> None:
    """Three sent issues whose readers clicked reasoning papers far more than training ones:
    the week's reasoning candidates go up a little, training ones down, each saying why."""
    for n, monday in enumerate(
        (dt.date(2024, 10, 28), dt.date(2024, 11, 4), dt.date(2024, 11, 11))
    ):
        sent_with_clicks(store, monday, {"LLM Reasoning": 40, "LLM Training": 2}, first_id=n * 1000)
    built = build(store, editor)
    readers = {
        c.section.name: next(p for p in c.parts if p.name == "readers")
        for c in built.issue.candidates
    }
    assert readers["LLM Reasoning"].value > 0 > readers["LLM Training"].value
    assert abs(readers["LLM Reasoning"].value) <= editor.selection.weights.readers
    assert "clicks per reader and paper" in readers["LLM Reasoning"].detail


def sent_with_clicks(store: Store, monday: dt.date, clicks: dict[str, int], first_id: int) -> None:
    number = store.issue_number_for(monday)
    sections = tuple(
        IssueSection(
            n,
            name,
            (
                IssuePaper(
                    f"{n}.1", f"2410.{number:03d}{n:02d}", name, "", "", None, (), (), 1.0, ""
                ),
            ),
        )
        for n, name in enumerate(clicks, 1)
    )
    record = issue_record(number, monday, f"#{number}").model_copy(update={"sections": sections})
    store.save_draft(
        number=number, week_start=monday, title="t", record=record, html="", text="", markdown=""
    )
    assert store.finish_issue(number)  # nobody to send to: sent at once
    at = dt.datetime.combine(monday, dt.time(8), dt.UTC)
    events = [
        EmailEvent(f"d{number}-{i}", EventKind.DELIVERED, at, number, first_id + i)
        for i in range(200)
    ]
    for section in sections:
        paper = section.papers[0]
        target = Target(LinkKind.PAPER, paper.arxiv_id, section.name)
        events += [
            EmailEvent(
                f"c{paper.arxiv_id}-{i}", EventKind.CLICK, at, number, first_id + i, target=target
            )
            for i in range(clicks[section.name])
        ]
    store.add_events(events)


VLM = {
    "name": "Vision Language Models",
    "description": "Models that see and read: vision-language models, visual question "
    "answering, image understanding with LLMs.",
}  # a section of the editor's 2025 issues (editor_sections_by_week.jsonl) the defaults lack


def test_a_section_added_with_a_name_and_description_fills_from_its_first_build(
    store: Store, editor: EditorConfig
) -> None:
    """No keywords, no examples, no labels: its name and description place papers in it the
    first week; an editor's move into it is learned, and the next build places that paper
    there without the move."""
    from newsletter.domain.learning import Action, Decision
    from newsletter.selection.sections import DEFAULT_SECTIONS
    from newsletter.selection.training import train_and_save

    tables = [
        {"name": s.name, "description": s.description, "keywords": list(s.keywords),
         "kinds": list(s.kinds), "aliases": list(s.aliases), "catch_all": s.catch_all}
        for s in DEFAULT_SECTIONS
    ]  # fmt: skip
    editor = editor.model_copy(update={"sections": [*tables[:-1], VLM, tables[-1]]})
    week = Week.containing(dt.date(2024, 12, 9))
    first = build_issue(store, editor, week, templates=TEMPLATES_DIR).issue
    placed = [c for c in first.candidates if c.section.name == VLM["name"]]
    assert placed, "no paper placed in the new section"
    assert all(re.search(r"vision|visual|vlm", c.paper.title, re.I) for c in placed)
    moved = next(
        c
        for c in first.candidates
        if "multimodal" in c.paper.title.lower() and c.section.name != VLM["name"]
    )
    store.record_decisions(
        [Decision(week.start, moved.paper.arxiv_id, Action.MOVED, VLM["name"], "approval")]
    )
    train_and_save(store, section_taxonomy(editor))
    again = build_issue(store, editor, week, templates=TEMPLATES_DIR).issue
    after = next(c for c in again.candidates if c.paper.arxiv_id == moved.paper.arxiv_id)
    assert after.section.name == VLM["name"]
    assert after.section_scores[VLM["name"]] > moved.section_scores[VLM["name"]]
