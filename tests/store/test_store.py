"""The paper store, against a real SQLite file and (in CI) a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from newsletter.domain.papers import AnnounceType, Listing
from newsletter.store import FeedState, Store
from newsletter.store.schema import metadata
from tests.support.stores import HEAD, migrated

D = dt.date


def listing(arxiv_id: str = "2411.15124", **kw: object) -> Listing:
    base = Listing(
        arxiv_id=arxiv_id,
        title="TÜLU 3: Pushing Frontiers in Open Language Model Post-Training",
        abstract="Language model post-training is applied to refine behaviors.",
        feed="hf-daily",
        version=1,
        authors=("Nathan Lambert", "Jacob Morrison"),
        submitted_at=dt.datetime(2024, 11, 22, 18, 44, tzinfo=dt.UTC),
        listed_on=D(2024, 11, 25),
        upvotes=24,
        comments=1,
        on_hugging_face=True,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_a_new_paper_is_stored_with_links_and_signals(any_store: Store) -> None:
    """A first listing creates one row with its links, listing date and signals."""
    counts = any_store.merge([listing()])
    assert counts.new["hf-daily"] == 1
    paper = any_store.get_paper("2411.15124")
    assert paper is not None
    assert paper.title.startswith("TÜLU 3")
    assert paper.abs_url == "https://arxiv.org/abs/2411.15124"
    assert paper.pdf_url == "https://arxiv.org/pdf/2411.15124"
    assert paper.hf_url == "https://huggingface.co/papers/2411.15124"
    assert paper.listed_on == D(2024, 11, 25)
    assert paper.submitted_at == dt.datetime(2024, 11, 22, 18, 44, tzinfo=dt.UTC)
    assert paper.upvotes == 24 and paper.comments == 1 and paper.feeds == ("hf-daily",)


def test_ingesting_the_same_data_twice_changes_nothing(any_store: Store) -> None:
    """The second merge of identical listings counts them unchanged and writes nothing."""
    batch = [listing(), listing("2411.17116", title="Star Attention", upvotes=21)]
    any_store.merge(batch)
    before = _dump(any_store)
    counts = any_store.merge(batch)
    assert counts.unchanged["hf-daily"] == 2 and not counts.new and not counts.updated
    assert _dump(any_store) == before


def test_the_same_paper_from_two_feeds_merges_into_one_row(any_store: Store) -> None:
    """An arXiv listing and a Hugging Face listing combine: categories from one, votes from the other."""
    any_store.merge([listing()])
    arxiv = listing(
        feed="arxiv-cs-cl",
        categories=("cs.CL", "cs.LG"),
        primary_category="cs.CL",
        upvotes=None,
        comments=None,
        on_hugging_face=False,
        listed_on=D(2024, 11, 25),
        announce_type=AnnounceType.NEW,
    )
    counts = any_store.merge([arxiv])
    assert counts.updated["arxiv-cs-cl"] == 1
    paper = any_store.get_paper("2411.15124")
    assert paper is not None
    assert paper.feeds == ("arxiv-cs-cl", "hf-daily")
    assert paper.categories == ("cs.CL", "cs.LG") and paper.primary_category == "cs.CL"
    assert paper.upvotes == 24
    assert any_store.count_papers() == 1


def test_merge_order_does_not_matter(tmp_path: Path) -> None:
    """Any order of the same listings ends in the same rows, even when same-version texts differ."""
    items = [
        listing(upvotes=3, listed_on=D(2024, 11, 26)),
        listing(upvotes=24),
        listing(
            feed="arxiv",
            on_hugging_face=False,
            upvotes=None,
            version=2,
            title="TÜLU 3 v2",
            listed_on=D(2024, 11, 22),
            announce_type=AnnounceType.NEW,
        ),
        listing(
            feed="arxiv2",
            on_hugging_face=False,
            upvotes=None,
            version=2,
            title="Tulu 3 v2",
            listed_on=D(2024, 11, 23),
            categories=("cs.CL",),
        ),
    ]
    dumps = set()
    for seed in range(6):
        random.Random(seed).shuffle(items)
        with migrated(f"sqlite:///{tmp_path / f'{seed}.db'}") as store:
            for item in items:
                store.merge([item])
            dumps.add(repr(_dump(store, times=False)))
    assert len(dumps) == 1


def test_processes_opening_and_merging_at_once_lose_nothing(any_store_url: str) -> None:
    """Four writers at once on a new store: one migrates, and every feed's signals survive."""
    start = threading.Barrier(4)

    def writer(k: int) -> None:
        start.wait()
        with Store(any_store_url) as store:  # an engine of its own, as another process has
            store.migrate()  # each process starts with the migration step
            for first in range(0, 200, 50):
                store.merge(
                    [
                        listing(f"2411.{n:05d}", feed=f"feed-{k}", upvotes=k)
                        for n in range(first, first + 50)
                    ]
                )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(writer, range(4)))
    with Store(any_store_url) as store:
        assert store.count_papers() == 200
        assert {store.get_paper(f"2411.{n:05d}").feeds for n in (0, 99, 199)} == {  # type: ignore[union-attr]
            ("feed-0", "feed-1", "feed-2", "feed-3")
        }


def test_the_hugging_face_listing_date_decides_the_week(any_store: Store) -> None:
    """Curated lists date a paper even when arXiv announced it earlier."""
    any_store.merge([listing(feed="arxiv", on_hugging_face=False, listed_on=D(2024, 11, 22))])
    any_store.merge([listing(listed_on=D(2024, 11, 25))])
    paper = any_store.get_paper("2411.15124")
    assert paper is not None and paper.listed_on == D(2024, 11, 25)


def test_a_replacement_updates_the_text_but_is_not_a_new_paper(any_store: Store) -> None:
    """replace / replace-cross: known papers get the new text; unknown ones are skipped."""
    any_store.merge([listing(feed="arxiv", on_hugging_face=False)])
    newer = listing(
        feed="arxiv",
        on_hugging_face=False,
        version=2,
        title="TÜLU 3 (revised)",
        listed_on=D(2024, 12, 9),
        announce_type=AnnounceType.REPLACE,
    )
    stranger = listing("2401.00001", feed="arxiv", announce_type=AnnounceType.REPLACE_CROSS)
    counts = any_store.merge([newer, stranger])
    assert counts.updated["arxiv"] == 1 and counts.skipped["arxiv"] == 1
    paper = any_store.get_paper("2411.15124")
    assert paper is not None
    assert paper.title == "TÜLU 3 (revised)" and paper.version == 2
    assert paper.listed_on == D(2024, 11, 25)  # a revision is not news
    assert any_store.get_paper("2401.00001") is None


def test_an_older_version_never_overwrites_newer_text(any_store: Store) -> None:
    """Text follows the highest version seen; a missing abstract is filled from any version."""
    any_store.merge([listing(version=2, title="v2 title", abstract="")])
    any_store.merge([listing(feed="old", version=1, title="v1 title", abstract="v1 abstract")])
    paper = any_store.get_paper("2411.15124")
    assert paper is not None
    assert (paper.title, paper.abstract, paper.version) == ("v2 title", "v1 abstract", 2)


def test_papers_listed_in_a_week(any_store: Store) -> None:
    """The week query returns papers by listing date, in a stable order."""
    any_store.merge(
        [
            listing("2411.00003", listed_on=D(2024, 11, 24)),
            listing("2411.00002", listed_on=D(2024, 11, 25)),
            listing("2411.00001", listed_on=D(2024, 12, 1)),
            listing("2411.00004", listed_on=D(2024, 12, 2)),
        ]
    )
    week = any_store.papers_listed_between(D(2024, 11, 25), D(2024, 12, 1))
    assert [p.arxiv_id for p in week] == ["2411.00002", "2411.00001"]


def test_feed_state_is_remembered_per_location(any_store: Store) -> None:
    """ETag and Last-Modified are kept per URL and replaced on the next fetch."""
    any_store.save_feed_state("https://x/rss", FeedState('"abc"', None))
    any_store.save_feed_state("https://x/rss", FeedState('"def"', "Mon, 25 Nov 2024 00:00:00 GMT"))
    states = any_store.feed_states(["https://x/rss", "https://y/rss"])
    assert states == {"https://x/rss": FeedState('"def"', "Mon, 25 Nov 2024 00:00:00 GMT")}


def test_migrations_match_the_schema(any_store: Store) -> None:
    """The migrated database has exactly the tables and columns the code defines."""
    with any_store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrading_keeps_the_data(any_store_url: str) -> None:
    """Migrating again keeps every paper."""
    with migrated(any_store_url) as store:
        store.merge([listing()])
    with Store(any_store_url) as store:
        assert store.migrate() == HEAD
        assert store.count_papers() == 1
        with store.engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            assert inspect(conn).has_table("papers")
    assert version == HEAD


def _dump(store: Store, *, times: bool = True) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text("SELECT * FROM papers ORDER BY arxiv_id"))]
        sigs = [
            tuple(r) for r in conn.execute(text("SELECT * FROM signals ORDER BY arxiv_id, feed"))
        ]
    if not times:
        rows = [r[:-2] for r in rows]
    return rows + sigs


def test_opening_a_store_changes_nothing(tmp_path: Path) -> None:
    """Migrations run by an explicit step, never inside the constructor."""
    with Store(f"sqlite:///{tmp_path / 'new.db'}") as store, store.engine.connect() as conn:
        assert not inspect(conn).has_table("papers")
