"""The review page and its JSON API over HTTP, on the real app and server: the link's scope,
CSRF and origin, a typo refusing only itself, two writers, approval of one version, 409 once
sending started, and the proof's links."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from pathlib import Path

import pytest

from newsletter.services import send as sending
from newsletter.tokens import Purpose, editor_token, make_token
from tests.support.review import EDITOR, Review, build_week, reviewing
from tests.support.web_site import SECRET


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_week(tmp_path_factory.mktemp("built"))


@pytest.fixture
def review(built: Path, tmp_path: Path) -> Review:
    with reviewing(built, tmp_path) as found:
        yield found


def test_the_link_opens_the_page_and_its_draft_json(review: Review) -> None:
    page = review.http.get(review.link)
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and page.headers["cache-control"] == "no-store"
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/review.js" defer>']
    assert "https://fonts" not in page.text and "<style" not in page.text
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page.text
    draft = review.draft()
    assert set(draft) >= {
        "number",
        "week_start",
        "status",
        "version",
        "csrf",
        "sections",
        "candidates",
    }
    assert (draft["number"], draft["week_start"], draft["status"], draft["version"]) == (
        1,
        "2024-11-25",
        "draft",
        1,
    )
    assert set(draft["sections"][0]) == {"name", "papers"}
    assert set(draft["sections"][0]["papers"][0]) >= {"arxiv_id", "title"}
    assert set(draft["candidates"][0]) >= {"arxiv_id", "title", "section", "score", "why", "picked"}
    picked = sum(c["picked"] for c in draft["candidates"])
    assert picked == sum(len(s["papers"]) for s in draft["sections"]) == 12
    js = review.http.get("/static/review.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")


def test_forged_expired_and_foreign_links_are_a_plain_404(review: Review) -> None:
    """A review link opens nothing else, and nothing else opens it."""
    now = dt.datetime.now(dt.UTC)
    token = review.link.rsplit("/", 1)[1]
    others = {
        "unsubscribe": make_token(1, SECRET),
        "report": make_token(1, SECRET, Purpose.REPORT, issued_at=now),
        "preview": make_token(1, SECRET, Purpose.PREVIEW, issued_at=now),
        "another editor": editor_token(1, "eve@example.org", SECRET, Purpose.REVIEW, issued_at=now),
        "expired": editor_token(
            1, EDITOR, SECRET, Purpose.REVIEW, issued_at=now - dt.timedelta(hours=2)
        ),
        "another secret": editor_token(1, EDITOR, "not-ours", Purpose.REVIEW, issued_at=now),
        "another issue": editor_token(7, EDITOR, SECRET, Purpose.REVIEW, issued_at=now),
        "altered": token[:-1] + ("A" if token[-1] != "A" else "B"),
    }
    for name, other in others.items():
        page = review.http.get(f"/review/{other}")
        assert page.status_code == 404 and "No such review" in page.text, name
        assert review.http.get(f"/review/{other}/draft.json").status_code == 404, name
        posted = review.http.post(
            f"/review/{other}/edits", json={"remove": []}, headers={"Origin": review.site.url}
        )
        assert posted.status_code == 404 and posted.json() == {"error": "not found"}, name
    assert review.http.get(f"/u/{token}").status_code == 400  # unsubscribes nobody
    assert review.http.get(f"/reports/{token}").status_code == 404
    assert review.http.get(f"/preview/{token}").status_code == 404
    assert review.draft()["version"] == 1


def test_changes_need_our_origin_the_csrf_token_and_json(review: Review) -> None:
    first = review.draft()["sections"][0]["papers"][0]["arxiv_id"]
    body = {"remove": [first]}
    assert review.post("edits", body, **{"X-CSRF-Token": "forged"}).status_code == 403
    assert review.post("edits", body, Origin="https://evil.example").status_code == 403
    no_origin = review.http.post(
        f"{review.link}/edits", json=body, headers={"X-CSRF-Token": review.draft()["csrf"]}
    )
    assert no_origin.status_code == 403
    form = review.post("edits", None, **{"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    assert review.draft()["version"] == 1  # nothing of that landed
    done = review.post("edits", body)
    assert done.status_code == 200 and done.json()["version"] == 2


def test_a_typo_refuses_only_itself_and_nothing_is_backfilled(review: Review) -> None:
    draft = review.draft()
    papers = [p["arxiv_id"] for s in draft["sections"] for p in s["papers"]]
    candidate = next(c for c in draft["candidates"] if not c["picked"])
    answer = review.post(
        "edits",
        {
            "remove": [papers[0], papers[1]],
            "add": ["2411.99999", "nonsense"],
            "move": [
                {"arxiv_id": candidate["arxiv_id"], "section": "LLM Agents"},
                {"arxiv_id": papers[2], "section": "Poetry"},
            ],
            "version": 1,
        },
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert [r["item"] for r in found["refused"]] == [
        "nonsense",
        f"{papers[2]} to Poetry",
        "2411.99999",
    ]
    assert found["applied"]["removed"] == papers[:2]
    assert found["applied"]["added"] == [
        {"arxiv_id": candidate["arxiv_id"], "section": "LLM Agents"}
    ]
    after = [p["arxiv_id"] for s in found["sections"] for p in s["papers"]]
    assert len(after) == len(papers) - 1  # two out, one in: nothing filled the gaps
    assert set(after) == (set(papers) - set(papers[:2])) | {candidate["arxiv_id"]}
    assert found["suggestions"]  # the next-ranked, offered to take, not taken


def test_two_writers_the_second_is_told_and_sees_the_new_draft(review: Review) -> None:
    papers = [p["arxiv_id"] for s in review.draft()["sections"] for p in s["papers"]]
    assert review.post("edits", {"remove": [papers[0]], "version": 1}).status_code == 200
    late = review.post("edits", {"remove": [papers[1]], "version": 1})  # still on version 1
    assert late.status_code == 409
    found = late.json()
    assert "changed since version 1" in found["error"] and found["version"] == 2
    assert found["difference"]["removed"] == [papers[0]]
    assert found["draft"]["version"] == 2 and found["draft"]["papers"] == len(papers) - 1


def test_approval_is_of_the_version_seen_and_sending_ends_every_change(review: Review) -> None:
    papers = [p["arxiv_id"] for s in review.draft()["sections"] for p in s["papers"]]
    review.post("edits", {"remove": [papers[-1]]})
    stale = review.post("approve", {"version": 1})
    assert stale.status_code == 409 and stale.json()["difference"]["removed"] == [papers[-1]]
    assert review.post("approve", {"version": "2"}).status_code == 400
    done = review.post("approve", {"version": 2})
    assert done.status_code == 200 and done.json()["status"] == "approved"
    assert "newsletter send --week 2024-11-25" in done.json()["message"]  # no run waiting
    assert "Approved" in review.http.get(review.link).text  # the state line, on reload
    again = review.post("edits", {"remove": [papers[0]], "version": 2})  # after approval
    assert again.status_code == 200 and again.json()["status"] == "draft"  # a draft again
    assert review.post("approve", {"version": 3}).status_code == 200
    report = sending.send(review.app, 1, "outbox")
    assert report.sent == 3
    for what, body in (("edits", {"add": [papers[0]]}), ("approve", {"version": 3})):
        late = review.post(what, body)
        assert late.status_code == 409 and "is sent" in late.json()["error"], what
    assert "Sent" in review.http.get(review.link).text
    for mail in sorted((review.site.outbox / "issue-1").glob("*.eml")):  # exactly version 3
        html = mail.read_text()
        assert papers[0] not in html and papers[-1] not in html and papers[1] in html


def test_the_proof_opens_the_review_page_the_draft_and_a_proof_page(review: Review) -> None:
    sent = review.post("proof", {})
    assert (
        sent.status_code == 200
        and "Proof of version 1 sent to e•••@example.org" in sent.json()["message"]
    )
    path = review.site.outbox / "proofs" / "issue-1" / f"{EDITOR}.eml"
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs[0].startswith(f"{review.site.url}/review/")  # the review link: first of all
    assert review.http.get(hrefs[0]).status_code == 200
    view = next(h for h in hrefs if "/preview/" in h)
    preview = review.http.get(view)
    assert preview.status_code == 200 and "Important LLMs Papers" in preview.text
    assert "frame-ancestors 'self'" in preview.headers["content-security-policy"]
    assert "%%" not in preview.text and f"{review.site.url}/issues/1" not in html
    away = message["List-Unsubscribe"]
    assert away == f"<{review.site.url}/proof>" and f'href="{review.site.url}/proof"' in html
    page = review.http.get("/proof")
    assert page.status_code == 200 and "This was a proof" in page.text
    assert review.http.post("/proof", data={"List-Unsubscribe": "One-Click"}).status_code == 200
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith(f"Review and approve this issue: {hrefs[0]}")


def test_a_proof_to_someone_who_is_not_an_editor_has_no_review_button(review: Review) -> None:
    assert sending.send_proof(review.app, 1, ["copy@example.org"], "outbox") == 1
    path = review.site.outbox / "proofs" / "issue-1" / "copy@example.org.eml"
    html = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = html.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "/review/" not in body and "Proof of issue 1, version 1" in body
