"""`detente report`: one self-contained HTML file on a dyad (plotly.js inlined, no network needed).

Contents: headline numbers, the relation over time (events by quad class stacked, cooperation-conflict
index line), event types, spikes with the events that caused them, and the top events with their
evidence sentences (trigger in bold), each labelled with its event id and document id so every
figure can be traced back to the database.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from detente.analysis import series as an
from detente.model import PLOVER_TYPES
from detente.storage.query import QueryError, parse_actor, parse_day

QUAD_COLORS = {1: "#7fbf7b", 2: "#1b7837", 3: "#f4a582", 4: "#b2182b"}

CSS = """
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d232a;max-width:1100px;margin:2rem auto;padding:0 1rem}
h1{margin-bottom:.2rem} .muted{color:#66717d} table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top} th{background:#f5f6f8}
.num{text-align:right} .ev{font-weight:600} .q1{color:#5a9e57}.q2{color:#1b7837}.q3{color:#d6604d}.q4{color:#b2182b}
blockquote{margin:.2rem 0;padding:.2rem .6rem;border-left:3px solid #ffd43b;background:#fffbe6} code{font-size:.85em;color:#55606b}
.kpis{display:flex;gap:1.5rem;flex-wrap:wrap;margin:1rem 0}.kpi{background:#f5f6f8;padding:.5rem 1rem;border-radius:6px}
.kpi b{display:block;font-size:1.4rem}
"""


def _auto_freq(since: dt.date | None, until: dt.date | None) -> str:
    if since and until:
        days = (until - since).days
        return "day" if days <= 62 else "week" if days <= 730 else "month"
    return "week"


def _evidence_html(text: str, trigger: str | None) -> str:
    text = text or ""
    if trigger:
        p = text.lower().find(trigger.lower())
        if p >= 0:
            return (
                html.escape(text[:p])
                + "<b>"
                + html.escape(text[p : p + len(trigger)])
                + "</b>"
                + html.escape(text[p + len(trigger) :])
            )
    return html.escape(text)


def _missing(v: Any) -> bool:
    """None, NaN, NaT or pd.NA: what pandas puts in a column where the database had NULL."""
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _text(v: Any, default: str = "") -> str:
    return default if _missing(v) else str(v)


def _actor_label(code: Any, sector: Any) -> str:
    code, sector = _text(code, "-"), _text(sector)
    return f"{code}:{sector}" if sector else code


def _fmt(v: Any, nd: int = 2) -> str:
    if _missing(v):
        return "–"
    return f"{v:+.{nd}f}" if isinstance(v, float) else str(v)


@dataclass
class _ReportData:
    """What one report shows: the dyad, the period, the flag choices and the three frames."""

    source: str  # actor codes as asked (sector dropped)
    target: str
    since: dt.date | None
    until: dt.date | None
    freq: str
    flags: dict[str, bool]  # include_flagged / include_historical / include_future
    events: pd.DataFrame  # an.dyad_events
    series: pd.DataFrame  # an.dyad_series
    spikes: pd.DataFrame  # an.spikes


def build_report(
    store: Any,
    a: str,
    b: str,
    *,
    since: Any = None,
    until: Any = None,
    freq: str | None = None,
    top: int = 25,
    include_flagged: bool = False,
    include_historical: bool = False,
    include_future: bool = False,
) -> tuple[str, dict[str, Any]]:
    """The report as an HTML string, and a summary dict (events, periods, spikes, freq)."""
    flags = {
        "include_flagged": include_flagged,
        "include_historical": include_historical,
        "include_future": include_future,
    }
    data = _report_data(store, a, b, since, until, freq, flags)
    ev = data.events
    titles = _document_titles(store, ev)
    ranked = (
        ev.assign(_g=ev["goldstein"].abs().fillna(0))
        .sort_values(["_g", "n_mentions", "confidence", "date"], ascending=[False, False, False, True])
        .head(top)
        if len(ev)
        else ev
    )
    body = _page_html(data, _spikes_html(data, titles), _event_rows(ranked, titles), len(ranked))
    info = {"events": len(ev), "periods": len(data.series), "spikes": len(data.spikes), "freq": data.freq}
    return body, info


def _report_data(
    store: Any, a: str, b: str, since: Any, until: Any, freq: str | None, flags: dict[str, bool]
) -> _ReportData:
    """Check the arguments and read the dyad's events, series and spikes."""
    (ca, _), (cb, _) = parse_actor(a), parse_actor(b)
    lo, hi = parse_day(since, "since"), parse_day(until, "until")
    if lo and hi and lo > hi:
        raise QueryError(f"since ({lo}) is after until ({hi})")
    ev = an.dyad_events(store, a, b, since=lo, until=hi, **flags)
    if freq is None:
        d = ev["date"].dropna() if len(ev) else pd.Series(dtype="datetime64[ns]")
        freq = _auto_freq(
            lo or (d.min().date() if len(d) else None), hi or (d.max().date() if len(d) else None)
        )
    s = an.dyad_series(store, a, b, freq=freq, since=lo, until=hi, **flags)
    sp = an.spikes(store, a, b, freq=freq, since=lo, until=hi, **flags)
    return _ReportData(ca, cb, lo, hi, freq, flags, ev, s, sp)


def _charts(s: pd.DataFrame) -> tuple[str, str]:
    """The relation-over-time chart (with plotly.js inlined) and the event-types chart."""
    x = s["period"].dt.strftime("%Y-%m-%d")
    fig = go.Figure()
    for q in an.QUADS:
        fig.add_bar(
            x=x,
            y=s[f"q{q}"],
            name=an.QUAD_NAMES[q],
            marker_color=QUAD_COLORS[q],
            hovertemplate="%{x}: %{y} " + an.QUAD_NAMES[q] + "<extra></extra>",
        )
    fig.add_scatter(x=x, y=s["cci"], name="CCI", yaxis="y2", mode="lines+markers", line={"color": "#2166ac"})
    fig.update_layout(
        barmode="stack",
        height=420,
        margin={"l": 50, "r": 50, "t": 30, "b": 40},
        yaxis={"title": "events"},
        legend={"orientation": "h", "y": -0.15},
        yaxis2={"title": "CCI", "overlaying": "y", "side": "right", "range": [-1.05, 1.05]},
        xaxis={"type": "date", "tickformat": "%Y-%m-%d"},
    )
    totals = s[list(PLOVER_TYPES)].sum()
    totals = totals[totals > 0]
    tfig = go.Figure(
        go.Bar(
            x=list(totals.index),
            y=list(totals.values),
            marker_color=[QUAD_COLORS[_quad_of(t)] for t in totals.index],
        )
    )
    tfig.update_layout(height=300, margin={"l": 50, "r": 20, "t": 20, "b": 40}, yaxis={"title": "events"})
    chart = fig.to_html(include_plotlyjs=True, full_html=False, config={"displaylogo": False})
    tchart = tfig.to_html(include_plotlyjs=False, full_html=False, config={"displaylogo": False})
    return chart, tchart


def _document_titles(store: Any, ev: pd.DataFrame) -> dict[str, tuple[Any, Any]]:
    """{document id: (title, url)} of the documents the events come from."""
    if not len(ev):
        return {}
    rows = (
        an._con(store)
        .execute(
            "SELECT id, title, url FROM documents WHERE id IN (SELECT unnest(?))",
            [list(ev["doc_id"].unique())],
        )
        .fetchall()
    )
    return {doc_id: (title, url) for doc_id, title, url in rows}


EVENT_TABLE_HEAD = (
    "<tr><th>date</th><th>who → whom</th><th>event</th><th>Goldstein</th><th>evidence</th></tr>"
)


def _event_row(r: Any, titles: dict[str, tuple[Any, Any]]) -> str:
    """One table row: date, dyad, type, Goldstein, evidence with its event/document ids."""
    title, url = titles.get(r.doc_id, (None, None))
    # Every column may hold NULL (NaN/NaT/None in pandas): an actor without a sector, an
    # undated event, an event without a quad class. None of them may reach string arithmetic.
    src = html.escape(_actor_label(r.source_code, r.source_sector))
    tgt = html.escape(_actor_label(r.target_code, r.target_sector))
    doc = html.escape(_text(title) or _text(r.doc_id))
    url = _text(url)
    if url.startswith(("http://", "https://")):
        doc = f'<a href="{html.escape(url, quote=True)}">{doc}</a>'
    quad = 0 if _missing(r.quad_code) else int(r.quad_code)
    mentions = 1 if _missing(r.n_mentions) else int(r.n_mentions)
    date = _text(r.date, "undated")[:10]
    prec = _text(getattr(r, "date_precision", None))
    if prec and prec != "day":
        date += f" ({prec})"
    span = "–".join(_text(v if _missing(v) else int(v), "?") for v in (r.span_start, r.span_end))
    return (
        f"<tr><td>{html.escape(date)}</td><td>{src} → {tgt}</td>"
        f"<td class='ev q{quad}'>{html.escape(_text(r.event, '?'))}</td>"
        f"<td class='num'>{_fmt(r.goldstein, 1)}</td>"
        f"<td><blockquote>{_evidence_html(_text(r.text), _text(r.event_text))}</blockquote>{doc} "
        f"<code>event {html.escape(_text(r.id))} · doc {html.escape(_text(r.doc_id))} · chars {span}"
        f"{' · ' + str(mentions) + ' reports' if mentions > 1 else ''}</code></td></tr>"
    )


def _event_rows(df: pd.DataFrame, titles: dict[str, tuple[Any, Any]]) -> str:
    return "".join(_event_row(r, titles) for r in df.itertuples())


def _spikes_html(data: _ReportData, titles: dict[str, tuple[Any, Any]]) -> str:
    """Each spike with the events that caused it, or a line saying there are none."""
    if not len(data.spikes):
        return (
            "<p class='muted'>No spikes: no period departs from the dyad's trailing baseline by |z| ≥ 2.</p>"
        )
    parts = []
    by_id = data.events.set_index("id")
    for r in data.spikes.itertuples():
        parts.append(
            f"<h3>{r.period:%Y-%m-%d}: {r.events:g} events (baseline {r.baseline_mean:.1f} ± "
            f"{r.baseline_std:.1f}, z {r.z:+.1f}), CCI {_fmt(r.cci)}</h3>"
        )
        sub = by_id.loc[[i for i in r.top_event_ids if i in by_id.index]].reset_index()
        parts.append(f"<table>{EVENT_TABLE_HEAD}{_event_rows(sub, titles)}</table>")
    return "".join(parts)


def _flags_text(data: _ReportData) -> str:
    """Which flagged events are left out, and how many were dated too coarsely for the chart."""
    names = {
        "include_flagged": "negated and hypothetical",
        "include_historical": "historical",
        "include_future": "future",
    }
    left_out = [name for key, name in names.items() if not data.flags[key]]
    text = ("excluding " + ", ".join(left_out) + " events") if left_out else "all events"
    imprecise = int(data.series.attrs.get("imprecise", 0))
    if imprecise:
        text += (
            f" · {imprecise} event{'s' if imprecise != 1 else ''} dated only to a coarser period than "
            f"a {data.freq} left out of the chart"
        )
    return text


def _headline_html(ev: pd.DataFrame, n_spikes: int) -> str:
    """The headline numbers: they count every event of the view; the chart only those dated
    precisely enough."""
    quads = ev["quad_code"] if len(ev) else pd.Series(dtype=float)
    coop, conflict = int(quads.isin([1, 2]).sum()), int(quads.isin([3, 4]).sum())
    cci = (coop - conflict) / (coop + conflict) if coop + conflict else float("nan")
    mean_g = ev["goldstein"].mean() if len(ev) else float("nan")
    return f"""<div class="kpis"><div class="kpi"><b>{len(ev)}</b>events</div><div class="kpi"><b>{coop}</b>cooperation</div>
<div class="kpi"><b>{conflict}</b>conflict</div><div class="kpi"><b>{_fmt(cci)}</b>CCI</div>
<div class="kpi"><b>{_fmt(mean_g, 1)}</b>mean Goldstein</div><div class="kpi"><b>{n_spikes}</b>spikes</div></div>"""


def _page_html(data: _ReportData, spike_html: str, top_rows: str, n_top: int) -> str:
    ca, cb, sp = html.escape(data.source), html.escape(data.target), data.spikes
    chart, tchart = _charts(data.series)
    period_txt = f"{data.since or 'first event'} – {data.until or 'last event'}"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{ca}–{cb} relations · Detente report</title><style>{CSS}</style></head><body>
<h1>{ca} ↔ {cb}</h1>
<p class="muted">{html.escape(period_txt)} · by {data.freq} · {html.escape(_flags_text(data))} ·
generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by Detente</p>
{_headline_html(data.events, len(sp))}
<h2>Relation over time</h2>
<p class="muted">Bars: events by quad class, stacked. Line (right axis): {html.escape(an.CCI_DEFINITION)}.</p>
{chart}
<h2>Event types</h2>{tchart}
<h2>Spikes</h2>
<p class="muted">Periods whose event count departs from the {sp.attrs.get("window", 8)} periods before by
|z| ≥ {sp.attrs.get("threshold", 2.0)}, z = (n − mean) / max(sd, √mean, 1), with the events that caused them.</p>
{spike_html}
<h2>Top events with evidence</h2>
<p class="muted">The {n_top} most intense events (largest |Goldstein|, then most reported), each with its
evidence sentence (trigger in bold), event id, document id and character offsets in the document.</p>
<table>{EVENT_TABLE_HEAD}{top_rows}</table>
</body></html>"""


def _quad_of(t: str) -> int:
    i = PLOVER_TYPES.index(t)
    return 1 if i < 4 else 2 if i < 7 else 3 if i < 11 else 4


def write_report(store: Any, a: str, b: str, out: str | Path, **kw: Any) -> dict[str, Any]:
    body, info = build_report(store, a, b, **kw)
    Path(out).write_text(body, encoding="utf-8")
    return info
