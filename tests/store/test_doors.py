"""The store satisfies every narrow door its consumers declare: each query a protocol names
is on the store, with the same parameters (mypy proves the types where a store is passed;
this also covers doors no module of the package hands a store to yet)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Protocol

import pytest

from newsletter.delivery.ledger import Ledger
from newsletter.engagement.ingest import EventStore
from newsletter.engagement.interest import ClickHistory
from newsletter.engagement.report import EngagementStore, ReportStore
from newsletter.engagement.retention import Folding
from newsletter.engagement.votes import VoteBook, VoteHistory
from newsletter.feeds.ingest import PaperStore
from newsletter.issue.build import Drafts
from newsletter.issue.lookup import IssueLookup
from newsletter.selection.training_store import TrainingStore
from newsletter.store import Store
from newsletter.subscribers.export import Pages
from newsletter.subscribers.import_csv import ImportTarget
from newsletter.subscribers.membership import ListStats, SubscriberBook, Subscribers
from newsletter.subscribers.welcome import WelcomeLedger

DOORS: list[type] = [
    Ledger,
    IssueLookup,
    Drafts,
    Subscribers,
    SubscriberBook,
    ListStats,
    ImportTarget,
    Pages,
    EventStore,
    EngagementStore,
    ReportStore,
    Folding,
    ClickHistory,
    PaperStore,
    TrainingStore,
    VoteBook,
    VoteHistory,
    WelcomeLedger,
]


def queries(door: type) -> set[str]:
    """The methods a protocol asks for, its bases' included."""
    found: set[str] = set()
    for cls in door.__mro__:
        if cls is not Protocol and getattr(cls, "_is_protocol", False):
            found |= {name for name in vars(cls) if not name.startswith("_")}
    return found


def shape(signature: inspect.Signature) -> list[tuple[str, object, bool]]:
    return [
        (p.name, p.kind, p.default is not inspect.Parameter.empty)
        for p in signature.parameters.values()
    ]


@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.__name__)
def test_the_store_has_every_query_of_each_door(door: type, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")  # opening one changes nothing
    asked = queries(door)
    assert asked, f"{door.__name__} asks for nothing"
    for name in sorted(asked):
        wanted = inspect.signature(getattr(door, name))
        wanted = wanted.replace(parameters=list(wanted.parameters.values())[1:])  # self
        assert shape(inspect.signature(getattr(store, name))) == shape(wanted), name
    store.close()


def test_no_door_is_as_wide_as_the_store() -> None:
    everything = {name for name in dir(Store) if not name.startswith("_")}
    assert max(len(queries(door)) for door in DOORS) < len(everything) / 2
