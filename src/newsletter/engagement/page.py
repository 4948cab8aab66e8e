"""The engagement report as one HTML page: the summary, plotly charts, and under each chart
its numbers in a plain table, readable without JavaScript.

The page loads plotly.js (4.8 MB) by a relative address, never inline: the web app serves it
once under a versioned name that browsers keep (`/static/plotly-<version>.min.js`), and a
page written to a file (`newsletter report --html`, the issue-report flow) has it written
beside it, once for every page in that folder; opened from the disk it works offline.

Titles, section and promo names are hostile text. Jinja escapes them in the HTML; in the
charts they are escaped for plotly.js too, which reads `<b>` or `<a href>` in a label as
markup; and the figures' JSON is made safe inside `<script>`.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import plotly.graph_objects as go
import plotly.io as pio
from markupsafe import Markup
from plotly.offline import get_plotlyjs, get_plotlyjs_version
from plotly.subplots import make_subplots

from newsletter.config import TEMPLATES_DIR
from newsletter.domain.subject_test import label
from newsletter.engagement.report import HOURS, IssueEngagement, PaperClicks, Report
from newsletter.engagement.subject_test import SubjectTestReport
from newsletter.engagement.tables import decision_line
from newsletter.subscribers.growth import GrowthWeek

TEMPLATE = "report/report.html.j2"
# The chart library's file name: versioned, so a browser may keep it for good.
CHART_LIBRARY = f"plotly-{get_plotlyjs_version()}.min.js"
CONFIG: dict[str, Any] = {
    "displaylogo": False,  # the logo links to plotly.com
    "showSendToCloud": False,
    "typesetMath": False,  # a "$" in a title is text: MathJax is not on the page
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
}
FONT = "-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif"
COLORS = ("#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ef4444", "#06b6d4", "#ec4899", "#64748b")
OPENS, CLICKS, JOINS, LEAVES, SIZE = "#2563eb", "#f59e0b", "#10b981", "#ef4444", "#334155"
LEGEND = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}  # above the plot
BARS = {"orientation": "h", "textposition": "outside", "cliponaxis": False}  # counts at the end
# the list size's own round ticks, not ones synced to the bars' grid
SIZE_AXIS = {"title": "list size", "showgrid": False, "tickmode": "auto", "tickformat": ","}
PAPERS = "Clicks and votes per paper"
LABEL_CHARS = 60  # a paper's label on the chart; the table and the hover show it whole
ARXIV_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?")


@dataclass(frozen=True, slots=True)
class Table:
    head: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]  # cells are escaped by the template unless Markup
    numbers_from: int  # columns from this one on are right-aligned numbers
    collapsed: str = ""  # when set: the table sits in a <details> with this summary


@dataclass(frozen=True, slots=True)
class Chart:
    id: str
    title: str
    div: Markup | None  # None: nothing to draw, and the page says `empty` instead
    empty: str
    table: Table
    note: str = ""  # a line under the title (a subject test's decision)


def chart_library() -> bytes:
    """plotly.js, as the page loads it from CHART_LIBRARY beside it."""
    library: str = get_plotlyjs()
    return library.encode("utf-8")


def report_html(
    report: Report, *, library: str = CHART_LIBRARY, templates: Path = TEMPLATES_DIR
) -> str:
    """The whole page, loading the chart library from `library` (a relative address: the file
    beside a written page, or the web app's static path)."""
    e = report.engagement
    pair = [
        _counts_chart("section", e.clicks_by_section, e.votes_by_section),
        _counts_chart("promo", e.clicks_by_promo),
    ]
    told = [[_papers_chart(e)], pair, [_hours_chart(e)]]
    if not e.tracked:  # no provider reports on it: its clicks are not known, not zero
        told = [[_unknown(c) for c in row] for row in told]
    rows = [*told, [_growth_chart(report.growth)]]
    if e.subject_test:
        test = _subjects_chart(e.subject_test, e.sent)
        rows.insert(0, [test if e.tracked else _unknown_rates(test, e.subject_test)])
    # Autoescaping as the email's (render/email.py), without its placeholder guard: this
    # page is never delivered, and the guard would break up "%%" inside plotly.js.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template(TEMPLATE).render(
        title=f"Issue {e.issue}: {e.title}",
        sent=_when(e.sent_at),
        generated=_when(report.generated_at),
        folded=e.folded,
        untracked=e.untracked,
        stats=summary(e),
        rows=rows,
        library=library,
    )


def summary(e: IssueEngagement) -> list[tuple[str, str, str]]:
    """The numbers at the top of the page: what, how many, and what it counts (or, for those
    only a provider's events tell, "–" when no provider reports on the issue)."""
    by_path = ", ".join(f"{path} {n:,}" for path, n in sorted(e.unsubscribed_by.items()))
    if not e.tracked:
        via = ", ".join(f"{n:,} via {backend}" for backend, n in sorted(e.sent_by.items()))
        unknown = ("Delivered", "Bounced", "Dropped", "Complained", "Unique opens")
        return [
            ("Audience", f"{e.audience:,}", "on the list at send"),
            ("Sent", f"{e.sent:,}", via),
            ("Unsubscribed", f"{e.unsubscribed:,}", by_path or "none"),
            *((label, "–", "needs SendGrid's events") for label in unknown),
            ("Unique clicks", "–", "needs SendGrid's events"),
        ]
    return [
        ("Audience", f"{e.audience:,}", "on the list at send"),
        ("Sent", f"{e.sent:,}", f"{e.deferred:,} deferred on the way"),
        ("Delivered", f"{e.delivered:,}", f"{e.delivered / e.sent:.1%} of sent" if e.sent else ""),
        ("Bounced", f"{e.bounced:,}", f"hard; {e.soft_bounced:,} soft"),
        ("Dropped", f"{e.dropped:,}", "not attempted by the provider"),
        ("Complained", f"{e.complained:,}", "marked as spam"),
        ("Unsubscribed", f"{e.unsubscribed:,}", by_path or "none"),
        ("Unique opens", f"{e.unique_opens:,}", f"open rate {e.open_rate:.1%}"),
        ("Machine-only opens", f"{e.machine_opens:,}", "Apple Mail privacy, not counted"),
        ("Unique clicks", f"{e.unique_clicks:,}", f"click rate {e.click_rate:.1%}"),
        ("View in browser", f"{e.view_clicks:,}", "readers who clicked it"),
        ("Unsubscribe link", f"{e.unsubscribe_clicks:,}", "readers who clicked it"),
        ("Votes", f"{e.votes.total:,}", f"{e.votes.up:,} useful, {e.votes.down:,} not for me"),
    ]


def _unknown(chart: Chart) -> Chart:
    """A chart of what only the provider's events tell, for an issue no provider reports on."""
    empty = Table(chart.table.head, (), chart.table.numbers_from)
    return Chart(chart.id, chart.title, None, "Not known: this needs SendGrid's events.", empty)


def _unknown_rates(chart: Chart, test: SubjectTestReport) -> Chart:
    """A subject test's table for an issue no provider reports on: each subject's sent, its
    opens, clicks and rate not known (the decision line kept: it says which rule decided)."""
    rows = [(row[0], row[1], row[2], "–", "–", "–") for row in chart.table.rows]
    table = Table(chart.table.head, rows, chart.table.numbers_from)
    note = "Opens and clicks are not known: this needs SendGrid's events."
    return Chart(chart.id, chart.title, None, note, table, chart.note or decision_line(test))


def _papers_chart(e: IssueEngagement) -> Chart:
    """One bar per paper, most clicked on top, coloured by section; its votes beside it."""
    rows = [
        (p.number, _paper_link(p), p.section, f"{p.clicks:,}", f"{p.up:,}", f"{p.down:,}")
        for p in e.papers
    ]
    head = ("#", "Paper", "Section", "Clicks", "Useful", "Not for me")
    table = Table(head, rows, numbers_from=3)
    if not any(p.clicks for p in e.papers):
        return Chart("chart-papers", PAPERS, None, "No clicks yet.", table)
    fig = go.Figure()
    sections = dict.fromkeys([*e.clicks_by_section, *(p.section for p in e.papers)])
    for n, section in enumerate(sections):
        if mine := [p for p in e.papers if p.section == section]:
            fig.add_bar(
                **BARS,
                y=[_label(p) for p in mine],
                x=[p.clicks for p in mine],
                text=[f"{p.clicks:,}{_votes(p.up, p.down)}" for p in mine],
                name=_plot_text(section),
                marker_color=COLORS[n % len(COLORS)],
                hovertext=[_plot_text(f"{p.number} {p.title}") for p in mine],
                hoverinfo="text+x",
            )
    order = [_label(p) for p in e.papers]
    fig.update_layout(
        barmode="overlay",  # one bar per row: no offset between the sections' traces
        height=110 + 30 * len(order),
        yaxis={"categoryorder": "array", "categoryarray": order, "autorange": "reversed"},
        xaxis={"title": "readers who clicked", "rangemode": "tozero"},
        legend=LEGEND,
    )
    return Chart("chart-papers", PAPERS, _div(fig, "chart-papers"), "", table)


def _subjects_chart(test: SubjectTestReport, sent: int) -> Chart:
    """Each subject's open and click rates in the sample; the decision above them."""
    names = [
        label(k) + (" (winner)" if v.subject == test.winner else "")
        for k, v in enumerate(test.variants)
    ]
    rows = [
        (
            name,
            v.subject,
            f"{v.sent:,}",
            f"{v.unique_opens:,}",
            f"{v.unique_clicks:,}",
            f"{v.rate(test.metric):.1%}",
        )
        for name, v in zip(names, test.variants, strict=True)
    ]
    head = ("", "Subject", "Sent", "Unique opens", "Unique clicks", f"{test.metric[:-1]} rate")
    table = Table(head, rows, numbers_from=2)
    title, note = f"Subject-line test, on {test.metric}", decision_line(test)
    rest = sent - sum(v.sent for v in test.variants)
    if test.winner_label and rest > 0:
        note += f" The rest of the list ({rest:,}) got {test.winner_label}."
    if not any(v.sent for v in test.variants):
        return Chart("chart-subjects", title, None, "No sample was sent.", table, note)
    fig = go.Figure()
    for what, color in (("opens", OPENS), ("clicks", CLICKS)):
        rates = [v.rate(what) for v in test.variants]
        fig.add_bar(
            **BARS,
            y=names,
            x=rates,
            text=[f"{r:.1%}" for r in rates],
            name=f"unique {what} per message",
            marker_color=color,
            hovertext=[_plot_text(v.subject) for v in test.variants],
            hoverinfo="text+x",
        )
    fig.update_layout(
        barmode="group",
        height=120 + 60 * len(test.variants),
        yaxis={"autorange": "reversed"},
        xaxis={
            "title": "of the messages sent to the subject's sample",
            "tickformat": ".0%",
            "rangemode": "tozero",
        },
        legend=LEGEND,
    )
    return Chart("chart-subjects", title, _div(fig, "chart-subjects"), "", table, note)


def _counts_chart(
    what: str, counts: dict[str, int], votes: dict[str, dict[str, int]] | None = None
) -> Chart:
    """Clicks per section (with its papers' votes) or per promo, in the issue's order; half
    the page's width."""
    chart_id = f"chart-{what}s"
    voted = {k: (votes or {}).get(k, {}) for k in counts}
    tally = {k: (v.get("up", 0), v.get("down", 0)) for k, v in voted.items()}
    head: tuple[str, ...]
    rows: list[tuple[str, ...]]
    if votes is None:
        title, head = f"Clicks per {what}", (what.capitalize(), "Clicks")
        rows = [(k, f"{n:,}") for k, n in counts.items()]
    else:
        title, head = (
            f"Clicks and votes per {what}",
            (what.capitalize(), "Clicks", "Useful", "Not for me"),
        )
        rows = [(k, f"{n:,}", f"{tally[k][0]:,}", f"{tally[k][1]:,}") for k, n in counts.items()]
    table = Table(head, rows, numbers_from=1)
    if not any(counts.values()):
        empty = "No clicks yet." if counts else f"No {what}s in this issue."
        return Chart(chart_id, title, None, empty, table)
    bars = go.Bar(
        **BARS,
        y=[_plot_text(name) for name in counts],
        x=list(counts.values()),
        text=[f"{n:,}{_votes(*tally[k])}" for k, n in counts.items()],
        marker_color=[COLORS[n % len(COLORS)] for n in range(len(counts))],
    )
    fig = go.Figure(bars).update_layout(
        height=90 + 40 * len(counts),
        yaxis={"autorange": "reversed"},
        xaxis={"title": "readers who clicked", "rangemode": "tozero"},
    )
    return Chart(chart_id, title, _div(fig, chart_id), "", table)


def _hours_chart(e: IssueEngagement) -> Chart:
    """Each reader's first open and first click, by hours after sending."""
    hourly = zip(range(HOURS), e.opens_by_hour, e.clicks_by_hour, strict=False)
    rows = [(f"{h}–{h + 1} h", f"{o:,}", f"{c:,}") for h, o, c in hourly]
    table = Table(("Hours after sending", "First opens", "First clicks"), rows, 1, "Hour by hour")
    title = "Opens and clicks over the first 72 hours"
    if not any(e.opens_by_hour) and not any(e.clicks_by_hour):
        return Chart("chart-hours", title, None, "No opens or clicks yet.", table)
    fig = go.Figure().add_scatter(y=e.opens_by_hour, name="first opens", line_color=OPENS)
    fig.add_scatter(y=e.clicks_by_hour, name="first clicks", line_color=CLICKS)
    for day in range(24, HOURS, 24):  # where each day after the first begins
        fig.add_vline(x=day, line_dash="dot", line_color="#94a3b8")
    fig.update_layout(
        height=340,
        hovermode="x unified",
        xaxis={"title": "hours after sending", "dtick": 6, "range": [0, HOURS - 1]},
        yaxis={"title": "readers", "rangemode": "tozero"},
        legend=LEGEND,
    )
    return Chart("chart-hours", title, _div(fig, "chart-hours"), "", table)


def _growth_chart(weeks: Sequence[GrowthWeek]) -> Chart:
    """Joins up, leaves down, and the list's size at each week's end."""
    head = ("Week", "From", "Left, by reason", "Joined", "Left", "Net", "List size")
    table = Table(head, [_week_row(w) for w in weeks], numbers_from=3)
    if not weeks:
        return Chart("chart-growth", "List size per week", None, "No weeks to show yet.", table)
    labels = [w.label for w in weeks]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=labels, y=[w.joins for w in weeks], name="joined", marker_color=JOINS)
    fig.add_bar(x=labels, y=[-w.leaves for w in weeks], name="left", marker_color=LEAVES)
    sizes = go.Scatter(x=labels, y=[w.size for w in weeks], name="list size", line_color=SIZE)
    fig.add_trace(sizes, secondary_y=True)
    fig.update_layout(height=360, barmode="relative", hovermode="x unified", legend=LEGEND)
    fig.update_yaxes(title_text="joined / left", secondary_y=False)
    fig.update_yaxes(SIZE_AXIS, secondary_y=True)
    return Chart("chart-growth", "List size per week", _div(fig, "chart-growth"), "", table)


def _week_row(w: GrowthWeek) -> tuple[str, ...]:
    left = ", ".join(f"{reason} {n:,}" for reason, n in sorted(w.left.items())) or "–"
    counts = (f"{w.joins:,}", f"{w.leaves:,}", f"{w.net:+,}", f"{w.size:,}")
    return (w.label, f"{w.week.start:%d %b %Y}", left, *counts)


def _div(fig: go.Figure, chart_id: str) -> Markup:
    """The chart's <div> and <script>, without plotly.js (the page has it once)."""
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": "#1e293b"},
        margin={"l": 10, "r": 40, "t": 30, "b": 10},
        hoverlabel={"font_family": FONT},
    )
    div = pio.to_html(fig, CONFIG, include_plotlyjs=False, full_html=False, div_id=chart_id)
    # plotly's JSON escapes <, > and / but not &. Around its JSON the wrapper has no "&", so
    # every "&" is inside a JSON string, where \u0026 reads the same.
    return Markup(str(div).replace("&", "\\u0026"))


def _votes(up: int, down: int) -> str:
    """A bar's votes after its clicks, when it has any: " (▲ 3 ▼ 1)"."""
    return f"  (▲ {up:,}  ▼ {down:,})" if up or down else ""


def _plot_text(text: str) -> str:
    """Text for a plotly label: one line, and its markup (`<b>`, `&lt;`) shown as typed."""
    return html.escape(" ".join(text.split()), quote=False)


def _label(p: PaperClicks) -> str:
    """ "1.2 Title", cut to LABEL_CHARS; the number keeps two equal titles apart."""
    label = f"{p.number} {' '.join(p.title.split())}"
    if len(label) > LABEL_CHARS:
        label = label[: LABEL_CHARS - 1].rstrip() + "…"
    return _plot_text(label)


def _paper_link(p: PaperClicks) -> str:
    if not ARXIV_ID.fullmatch(p.arxiv_id):
        return p.title
    return Markup('<a href="https://arxiv.org/abs/{}">{}</a>').format(p.arxiv_id, p.title)


def _when(at: dt.datetime | None) -> str:
    if at is None:
        return ""
    utc = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    return f"{utc:%A %d %B %Y, %H:%M} UTC"
