"""The review page's speed with many candidates, over HTTP on the real app and server.

    .venv/bin/python bench/review.py [--candidates 200] [--rounds 20]

Ingests the demo's recorded feeds into a fresh SQLite store, builds the week of 2024-12-02,
widens its draft to N ranked candidates (papers of the other demo weeks, ranked below the
week's own), serves `newsletter web` on 127.0.0.1, and times what the editor waits for:

- the page (GET /review/<token>: the draft, every candidate with its controls);
- its draft.json;
- an edit (POST /edits: checked, applied, the issue rendered again with its CSS inlined,
  saved as a new version, the decisions recorded), alternately taking a paper out and
  putting it back;
- the page's whole round trip for an edit: the POST, then the page fetched again (what its
  script does to show the new draft).

Targets: page < 300 ms, edit with re-render < 500 ms (on the 2-core CI machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import update

ROOT = Path(__file__).resolve().parents[1]
WEEK = dt.date(2024, 12, 2)
DEMO = (dt.date(2024, 11, 18), dt.date(2024, 12, 12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--candidates", type=int, default=200, help="candidates on the page")
    parser.add_argument("--rounds", type=int, default=20, help="timed requests of each kind")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # tests.support: the web server the tests run

    from tests.support.webserver import WebServer
    from tests.support.workspace import CONFIG

    from newsletter.app import App
    from newsletter.config import load_settings
    from newsletter.delivery.backends.outbox import OutboxBackend
    from newsletter.domain.week import Week
    from newsletter.services import build, ingest, links
    from newsletter.store import Store
    from newsletter.subscribers.membership import add
    from newsletter.web.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="bench-review-"))
    url = f"sqlite:///{folder / 'store.db'}"
    settings = load_settings(
        database_url=url,
        config=CONFIG,
        outbox=folder / "outbox",
        sendgrid_api_key=None,
        smtp_url=None,
        prefect_api_url=None,
    )
    app = App(settings)
    app.migrate()
    specs = app.editor().feed_specs()
    ingest.ingest(app, specs, since=DEMO[0], until=DEMO[1])
    built = build.build(app, Week.containing(WEEK), out=folder / "out")
    with Store(url) as store:
        count = widen(store, built.issue.number, args.candidates)
        add(store, "reader@example.org")

    def make_app(base: str) -> object:
        served = settings.model_copy(
            update={"base_url": base, "secret": settings.secret or _secret()}
        )
        with_store = App(served, store=Store(url))
        return create_app(served, app=with_store, backend=OutboxBackend(folder / "outbox"))

    with WebServer(make_app) as server, httpx.Client(base_url=server.base_url) as http:  # type: ignore[arg-type]
        served_app = server.app.state.deps.app  # type: ignore[attr-defined]
        link = links.review_link(served_app, built.issue.number, "editor@example.org")
        path = link.removeprefix(server.base_url)
        assert http.get(path).status_code == 200
        csrf = http.get(f"{path}/draft.json").json()["csrf"]
        headers = {"Origin": server.base_url, "X-CSRF-Token": csrf}
        draft = http.get(f"{path}/draft.json").json()
        section, paper = draft["sections"][-1]["name"], draft["sections"][-1]["papers"][-1]
        toggle = [
            {"remove": [paper["arxiv_id"]]},
            {"move": [{"arxiv_id": paper["arxiv_id"], "section": section}]},
        ]
        rounds = iter(range(10**9))

        def edit() -> None:
            answer = http.post(f"{path}/edits", json=toggle[next(rounds) % 2], headers=headers)
            assert answer.status_code == 200 and not answer.json()["refused"], answer.text

        def edit_and_page() -> None:
            edit()
            assert http.get(path).status_code == 200

        print(
            f"review page of issue {built.issue.number}: {len(draft['sections'])} sections, "
            f"{draft['papers']} papers, {count} candidates (SQLite, HTTP on 127.0.0.1)"
        )
        report("page load (GET /review/<token>)", lambda: http.get(path), args.rounds, 300)
        report("draft.json", lambda: http.get(f"{path}/draft.json"), args.rounds, None)
        report("edit (POST edits: re-render, new version)", edit, args.rounds, 500)
        report("edit + the page again (the script's round trip)", edit_and_page, args.rounds, None)
        size = len(http.get(path).content)
        print(f"  the page is {size / 1024:.0f} KiB of HTML for {count} candidates")


def widen(store: object, number: int, wanted: int) -> int:
    """The draft's candidates, widened to `wanted` with the other demo weeks' papers."""
    from newsletter.domain.issue import CandidateRecord, PaperKind
    from newsletter.store import Store
    from newsletter.store.schema import issues

    assert isinstance(store, Store)
    stored = store.get_issue(number)
    assert stored is not None
    record = stored.record
    have = {c.arxiv_id for c in record.candidates}
    low = min((c.score for c in record.candidates), default=1.0)
    more = []
    for paper in store.papers_listed_between(*DEMO):
        if len(record.candidates) + len(more) >= wanted:
            break
        if paper.arxiv_id in have:
            continue
        low *= 0.99
        more.append(
            CandidateRecord(
                arxiv_id=paper.arxiv_id,
                title=paper.title,
                score=low,
                section=record.sections[0].name,
                kind=PaperKind.METHOD,
                upvotes=paper.upvotes,
                listed_on=paper.listed_on,
                why="bench: a paper of another week",
            )
        )
    widened = record.model_copy(update={"candidates": (*record.candidates, *more)})
    with store.engine.begin() as conn:
        conn.execute(update(issues).where(issues.c.number == number).values(data=widened.to_json()))
    return len(widened.candidates)


def report(what: str, call: Callable[[], object], rounds: int, target: int | None) -> None:
    call()  # warm
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    aim = f"   target < {target} ms" if target else ""
    print(f"  {what:<50} median {statistics.median(times):6.0f} ms   p90 {p90:6.0f} ms{aim}")


def _secret() -> object:
    from pydantic import SecretStr

    return SecretStr("bench-review-secret")


if __name__ == "__main__":
    main()
