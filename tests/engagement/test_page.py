"""The HTML engagement report: a page that loads plotly.js from beside it (never inlined) and
works offline, with its charts drawn in headless Chromium, hostile titles shown as text, and
each chart's numbers in a table; an issue no provider reports on says what is not known.

The browser test saves its screenshot to tmp_path and to out/screenshots/ (the
docs' report.png is tests/web/test_reports.py's, of the demo issue).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from html.parser import HTMLParser
from pathlib import Path

from plotly.offline import get_plotlyjs

from newsletter.domain.week import Week
from newsletter.engagement.page import CHART_LIBRARY, chart_library, report_html
from newsletter.engagement.report import HOURS, IssueEngagement, PaperClicks, Report
from newsletter.engagement.subject_test import SubjectTestReport, VariantReport
from newsletter.subscribers.growth import GrowthWeek
from tests.support.browser import Browser
from tests.support.paths import SHOTS

CHARTS = (
    "chart-subjects",
    "chart-papers",
    "chart-sections",
    "chart-promos",
    "chart-hours",
    "chart-growth",
)
HOSTILE = "</script><script>window.pwned=1</script> & <b> is not markup"
SENT = dt.datetime(2024, 12, 2, 7, 0, tzinfo=dt.UTC)
PAPERS = {  # section → (title, arxiv id, clicks)
    "Reasoning & Agents": [
        ("Tree search at test time makes small models reason like big ones", "2411.18201", 412),
        ("Agents that write their own tools: a benchmark", "2411.17733", 231),
        ("Process reward models without human labels", "2411.16904", 118),
    ],
    "Efficiency": [
        ("1-bit attention: KV caches that fit in L2", "2411.18011", 356),
        (HOSTILE, "2411.17420", 87),
        ("Speculative decoding with a draft of drafts", "2411.16555", 64),
    ],
    "Safety <Alignment>": [
        ("Refusals that generalise: a study across 40 languages", "2411.18320", 149),
        ("Reward hacking in the wild: 12 case studies", "2411.17002", 40),
        ("Constitutional classifiers under adaptive attack", "2411.16141", 22),
    ],
    "Data & Evaluation": [
        ("A contamination-free math benchmark, refreshed weekly", "2411.18450", 198),
        ("What $1M of annotation buys: scaling preference data", "2411.17111", 9),
        ("LLM-as-a-judge agrees with experts less than you think", "2411.16020", 0),
    ],
}


def _curve(total: int, peak: float, spread: float) -> tuple[int, ...]:
    """A realistic first-72-hours curve: a morning peak, then a daily echo that fades."""
    weights = [
        math.exp(-(((h % 24) - peak) ** 2) / (2 * spread**2)) * 0.55 ** (h // 24) + 0.02
        for h in range(HOURS)
    ]
    scale = total / sum(weights)
    return tuple(round(w * scale) for w in weights)


def _papers() -> tuple[PaperClicks, ...]:
    found = [
        PaperClicks(f"{s}.{p}", arxiv_id, title, section, clicks)
        for s, (section, papers) in enumerate(PAPERS.items(), 1)
        for p, (title, arxiv_id, clicks) in enumerate(papers, 1)
    ]
    return tuple(sorted(found, key=lambda p: -p.clicks))


def _growth() -> list[GrowthWeek]:
    changes = [(64, 12, 3), (71, 9, 1), (58, 20, 4), (90, 14, 2), (83, 11, 0), (77, 25, 5), (102, 16, 3), (95, 13, 2)]  # fmt: skip
    size, weeks = 4120, []
    for n, (joins, unsubscribed, bounced) in enumerate(changes):
        size += joins - unsubscribed - bounced
        left = {"unsubscribed": unsubscribed, **({"bounced": bounced} if bounced else {})}
        week = Week.containing(SENT.date() - dt.timedelta(weeks=len(changes) - 1 - n))
        weeks.append(GrowthWeek(week, joins, left, size))
    return weeks


def _report() -> Report:
    papers = _papers()
    by_section = {name: sum(p.clicks for p in papers if p.section == name) for name in PAPERS}
    engagement = IssueEngagement(
        issue=42,
        title="Important LLM Papers for the Week from 25/11 to 01/12",
        week_start=dt.date(2024, 11, 25),
        sent_at=SENT,
        audience=4_587,
        sent=4_581,
        delivered=4_502,
        bounced=41,
        soft_bounced=23,
        dropped=6,
        deferred=17,
        complained=2,
        unsubscribed_by={"one-click": 11, "page": 4, "webhook": 2},
        unique_opens=1_963,
        machine_opens=655,
        unique_clicks=1_108,
        view_clicks=57,
        unsubscribe_clicks=19,
        papers=papers,
        clicks_by_section=by_section,
        clicks_by_promo={"ebook": 143, "mentoring": 61},
        opens_by_hour=_curve(1_963, peak=2.0, spread=2.5),
        clicks_by_hour=_curve(1_108, peak=2.5, spread=2.0),
        subject_test=_subject_test(),
    )
    return Report(engagement, _growth(), dt.datetime(2024, 12, 5, 7, 0, tzinfo=dt.UTC))


def _subject_test(sent: int = 400) -> SubjectTestReport:
    """A test of a plain subject against a hostile one, which won."""
    half = sent // 2
    return SubjectTestReport(
        metric="clicks",
        sample=sent,
        variants=(
            VariantReport(
                "Important LLM Papers for the Week", half, 84 * half // 200, 31 * half // 200
            ),
            VariantReport(HOSTILE, half, 97 * half // 200, 52 * half // 200),
        ),
        winner=HOSTILE,
        significant=True,
        rule="best click rate",
        summary="B won on clicks: B 26.0% (52 of 200) vs A 15.5% (31 of 200); "
        "two-proportion z-test p = 0.012, significant at 0.05",
        method="two-proportion z-test",
        p_value=0.012,
    )


def _empty() -> Report:
    """An issue just sent: nobody has opened or clicked yet, and no weeks of growth."""
    e = _report().engagement
    quiet = dataclasses.replace(
        e,
        papers=tuple(dataclasses.replace(p, clicks=0) for p in e.papers),
        clicks_by_section=dict.fromkeys(e.clicks_by_section, 0),
        clicks_by_promo={},
        opens_by_hour=(0,) * HOURS,
        clicks_by_hour=(0,) * HOURS,
        folded=True,
        subject_test=_subject_test(sent=0),
    )
    return Report(quiet, [], None)


class _Resources(HTMLParser):
    """Every address an element would load by itself (links a reader follows are not)."""

    LOADS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src",
             "embed": "src", "object": "data", "video": "src", "audio": "src", "use": "href"}  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = self.LOADS.get(tag)
        self.found += [v or "" for k, v in attrs if k in (wanted, "srcset", "poster")]


def test_the_page_loads_its_chart_library_once_by_a_relative_address() -> None:
    """Nothing comes from another site; plotly.js is loaded from the one address given, not
    inlined (4.8 MB a page before), under a name that carries its version."""
    page = report_html(_report())
    parser = _Resources()
    parser.feed(page)
    assert parser.found == [CHART_LIBRARY] and CHART_LIBRARY.startswith("plotly-")
    assert get_plotlyjs()[:2000] not in page and len(page) < 200_000
    assert report_html(_report(), library="../static/x.js").count('src="../static/x.js"') == 1
    assert page.count("Plotly.newPlot(") == len(CHARTS)
    assert '<a href="https://arxiv.org/abs/2411.18201">' in page  # papers link to arXiv


def test_hostile_text_is_escaped_in_html_and_inside_scripts() -> None:
    """A title can neither end a <script> nor add markup, in the tables or in the charts' JSON."""
    page = report_html(_report())
    assert "window.pwned=1</script>" not in page
    assert "<b> is not markup" not in page
    assert "&lt;/script&gt;&lt;script&gt;window.pwned=1&lt;/script&gt; &amp; &lt;b&gt;" in page
    assert "Safety &lt;Alignment&gt;" in page
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 1 + len(CHARTS)  # plotly.js's tag, then one per chart: none broken up


def test_the_summary_gives_every_number() -> None:
    """Audience to unsubscribe clicks, with the rates and the unsubscribes by path."""
    page = report_html(_report())
    assert "<title>Issue 42: Important LLM Papers for the Week from 25/11 to 01/12" in page
    assert "Sent Monday 02 December 2024, 07:00 UTC" in page
    for shown in ("4,587", "4,502", "hard; 23 soft", "open rate 43.6%", "click rate 24.6%",
                  "one-click 11, page 4, webhook 2", "655", "57", "19"):  # fmt: skip
        assert shown in page
    assert "folded into totals" not in page
    assert "Decision (best click rate): B won on clicks: B 26.0% (52 of 200)" in page
    assert "The rest of the list (4,181) got B." in page and "B (winner)" in page


def test_no_clicks_and_no_weeks_say_so_instead_of_drawing() -> None:
    """An issue nobody has clicked yet shows a line per chart, its tables and the folded note."""
    page = report_html(_empty())
    assert page.count("No clicks yet.") == 2  # papers and sections
    assert "No promos in this issue." in page
    assert "No opens or clicks yet." in page and "No weeks to show yet." in page
    assert "No sample was sent." in page
    assert "Plotly.newPlot(" not in page
    assert "Raw events folded into totals" in page
    assert "Tree search at test time" in page  # the papers' table is still there
    assert "Report made" not in page  # no time given


def test_the_report_draws_in_chromium_offline(browser: Browser, tmp_path: Path) -> None:
    """Chromium draws every chart from the file and its library beside it, runs no injected
    script, logs no error, loads nothing else."""
    page = tmp_path / "report.html"
    page.write_text(report_html(_report()), encoding="utf-8")
    (tmp_path / CHART_LIBRARY).write_bytes(chart_library())
    with browser:
        browser.record("Runtime", "Network", "Log")
        browser.goto(page.as_uri())
        for chart in CHARTS:
            drawn = f"document.querySelectorAll('#{chart} .main-svg').length > 0"
            assert browser.evaluate(drawn), f"{chart} has no plotly SVG"
        bars = "document.querySelectorAll('#chart-papers .bars .point').length"
        assert browser.evaluate(bars) == sum(len(p) for p in PAPERS.values())

        assert browser.evaluate("typeof window.pwned") == "undefined"
        assert HOSTILE in browser.text()
        ticks = (
            "[...document.querySelectorAll('#chart-papers .ytick text')].map(t => t.textContent)"
        )
        assert any(HOSTILE[:50] in tick for tick in browser.evaluate(ticks))
        assert browser.evaluate("document.querySelectorAll('b, #chart-papers tspan[style*=bold]').length") == 0  # fmt: skip

        assert browser.seen("Runtime.exceptionThrown") == []
        errors = [c for c in browser.seen("Runtime.consoleAPICalled") if c["type"] == "error"]
        assert errors + [e for e in browser.seen("Log.entryAdded") if e["entry"]["level"] == "error"] == []  # fmt: skip
        requested = {r["request"]["url"] for r in browser.seen("Network.requestWillBeSent")}
        assert requested == {page.as_uri(), (tmp_path / CHART_LIBRARY).as_uri()}

        browser.screenshot(tmp_path / "report.png", full_page=True)
        browser.screenshot(SHOTS / "report.png", full_page=True)


def test_an_issue_no_provider_reports_on_says_what_is_not_known() -> None:
    """Sent through SMTP, with no events: sent and the list's own numbers are shown; opens,
    clicks and deliveries say they need SendGrid's events instead of showing 0 and 0.0%."""
    e = dataclasses.replace(
        _empty().engagement,
        folded=False,
        sent_by={"smtp": 4_581},
        provider_events=False,
        subject_test=None,
    )
    page = report_html(Report(e, _growth(), None))
    assert "Sent via smtp, which tells nothing of what happened to the mail" in page
    assert "4,581 via smtp" in page and "open rate" not in page and "0.0%" not in page
    assert page.count("Not known: this needs SendGrid") == 4  # papers, sections, promos, hours
    assert page.count('<span class="value">–</span>') == 6  # delivered … unique clicks
    assert "chart-growth" in page  # the list's own numbers are known


def test_a_subject_test_no_provider_reports_on_shows_its_rates_as_not_known() -> None:
    """Sent through SMTP, with no events: the subject test's table keeps each subject's sent
    and the decision, and says its opens, clicks and rates are not known (null in the JSON,
    "not known" in the text tables), never 0.0%."""
    from newsletter.engagement.tables import tables

    e = dataclasses.replace(
        _report().engagement, sent_by={"smtp": 4_581}, provider_events=False, folded=False
    )
    report = Report(e, _growth(), None)
    page = report_html(report)
    assert "Opens and clicks are not known: this needs SendGrid" in page
    table = page.index("<tbody>", page.index("chart-subjects-section"))
    subjects = page[table : page.index("</table>", table)]
    assert "%" not in subjects and ">200<" in subjects
    variants = report.to_json()["subject_test"]["variants"]
    assert {v["unique_opens"] for v in variants} == {None} == {v["unique_clicks"] for v in variants}
    rows = tables(report)["subjects"]
    assert {r["unique clicks"] for r in rows} == {"not known"}
