"""`detente report`: one self-contained HTML file on a dyad (plotly.js inlined, no network needed).

Contents: headline numbers, the relation over time (events by quad class stacked, cooperation-conflict
index line), event types, spikes with the events that caused them, and the top events with their
evidence sentences (trigger in bold), each labelled with its event id and document id so every
figure can be traced back to the database.
"""

from __future__ import annotations

import datetime as dt
import html
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

    (ca, _), (cb, _) = parse_actor(a), parse_actor(b)
    lo, hi = parse_day(since, "since"), parse_day(until, "until")
    if lo and hi and lo > hi:
        raise QueryError(f"since ({lo}) is after until ({hi})")
    fl = dict(
        include_flagged=include_flagged, include_historical=include_historical, include_future=include_future
    )
    ev = an.dyad_events(store, a, b, since=lo, until=hi, **fl)
    if freq is None:
        d = ev["date"].dropna() if len(ev) else pd.Series(dtype="datetime64[ns]")
        freq = _auto_freq(
            lo or (d.min().date() if len(d) else None), hi or (d.max().date() if len(d) else None)
        )
    s = an.dyad_series(store, a, b, freq=freq, since=lo, until=hi, **fl)
    sp = an.spikes(store, a, b, freq=freq, since=lo, until=hi, **fl)

    # --- charts
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
    fig.add_scatter(x=x, y=s["cci"], name="CCI", yaxis="y2", mode="lines+markers", line=dict(color="#2166ac"))
    fig.update_layout(
        barmode="stack",
        height=420,
        margin=dict(l=50, r=50, t=30, b=40),
        yaxis=dict(title="events"),
        legend=dict(orientation="h", y=-0.15),
        yaxis2=dict(title="CCI", overlaying="y", side="right", range=[-1.05, 1.05]),
        xaxis=dict(type="date", tickformat="%Y-%m-%d"),
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
    tfig.update_layout(height=300, margin=dict(l=50, r=20, t=20, b=40), yaxis=dict(title="events"))
    chart = fig.to_html(include_plotlyjs=True, full_html=False, config={"displaylogo": False})
    tchart = tfig.to_html(include_plotlyjs=False, full_html=False, config={"displaylogo": False})

    # --- tables
    # headline numbers count every event of the view; the chart only those dated precisely enough
    n_events = len(ev)
    imprecise = int(s.attrs.get("imprecise", 0))
    quads = ev["quad_code"] if len(ev) else pd.Series(dtype=float)
    coop, conflict = int(quads.isin([1, 2]).sum()), int(quads.isin([3, 4]).sum())
    cci = (coop - conflict) / (coop + conflict) if coop + conflict else float("nan")
    mean_g = ev["goldstein"].mean() if len(ev) else float("nan")
    titles = {}
    if len(ev):
        con = an._con(store)
        for doc_id, title, url in con.execute(
            "SELECT id, title, url FROM documents WHERE id IN (SELECT unnest(?))",
            [list(ev["doc_id"].unique())],
        ).fetchall():
            titles[doc_id] = (title, url)
    ranked = (
        ev.assign(_g=ev["goldstein"].abs().fillna(0))
        .sort_values(["_g", "n_mentions", "confidence", "date"], ascending=[False, False, False, True])
        .head(top)
        if len(ev)
        else ev
    )

    def event_rows(df: pd.DataFrame) -> str:
        rows = []
        for r in df.itertuples():
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
            rows.append(
                f"<tr><td>{html.escape(date)}</td><td>{src} → {tgt}</td>"
                f"<td class='ev q{quad}'>{html.escape(_text(r.event, '?'))}</td>"
                f"<td class='num'>{_fmt(r.goldstein, 1)}</td>"
                f"<td><blockquote>{_evidence_html(_text(r.text), _text(r.event_text))}</blockquote>{doc} "
                f"<code>event {html.escape(_text(r.id))} · doc {html.escape(_text(r.doc_id))} · chars {span}"
                f"{' · ' + str(mentions) + ' reports' if mentions > 1 else ''}</code></td></tr>"
            )
        return "".join(rows)

    head = "<tr><th>date</th><th>who → whom</th><th>event</th><th>Goldstein</th><th>evidence</th></tr>"
    spike_html = (
        "<p class='muted'>No spikes: no period departs from the dyad's trailing baseline by |z| ≥ 2.</p>"
    )
    if len(sp):
        parts = []
        by_id = ev.set_index("id")
        for r in sp.itertuples():
            parts.append(
                f"<h3>{r.period:%Y-%m-%d}: {r.events:g} events (baseline {r.baseline_mean:.1f} ± "
                f"{r.baseline_std:.1f}, z {r.z:+.1f}), CCI {_fmt(r.cci)}</h3>"
            )
            sub = by_id.loc[[i for i in r.top_event_ids if i in by_id.index]].reset_index()
            parts.append(f"<table>{head}{event_rows(sub)}</table>")
        spike_html = "".join(parts)

    period_txt = f"{lo or 'first event'} – {hi or 'last event'}"
    left_out = [
        name
        for name, inc in (
            ("negated and hypothetical", include_flagged),
            ("historical", include_historical),
            ("future", include_future),
        )
        if not inc
    ]
    flag_txt = ("excluding " + ", ".join(left_out) + " events") if left_out else "all events"
    if imprecise:
        flag_txt += (
            f" · {imprecise} event{'s' if imprecise != 1 else ''} dated only to a coarser period than "
            f"a {freq} left out of the chart"
        )
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(ca)}–{html.escape(cb)} relations · Detente report</title><style>{CSS}</style></head><body>
<h1>{html.escape(ca)} ↔ {html.escape(cb)}</h1>
<p class="muted">{html.escape(period_txt)} · by {freq} · {html.escape(flag_txt)} ·
generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by Detente</p>
<div class="kpis"><div class="kpi"><b>{n_events}</b>events</div><div class="kpi"><b>{coop}</b>cooperation</div>
<div class="kpi"><b>{conflict}</b>conflict</div><div class="kpi"><b>{_fmt(cci)}</b>CCI</div>
<div class="kpi"><b>{_fmt(mean_g, 1)}</b>mean Goldstein</div><div class="kpi"><b>{len(sp)}</b>spikes</div></div>
<h2>Relation over time</h2>
<p class="muted">Bars: events by quad class, stacked. Line (right axis): {html.escape(an.CCI_DEFINITION)}.</p>
{chart}
<h2>Event types</h2>{tchart}
<h2>Spikes</h2>
<p class="muted">Periods whose event count departs from the {sp.attrs.get("window", 8)} periods before by
|z| ≥ {sp.attrs.get("threshold", 2.0)}, z = (n − mean) / max(sd, √mean, 1), with the events that caused them.</p>
{spike_html}
<h2>Top events with evidence</h2>
<p class="muted">The {len(ranked)} most intense events (largest |Goldstein|, then most reported), each with its
evidence sentence (trigger in bold), event id, document id and character offsets in the document.</p>
<table>{head}{event_rows(ranked)}</table>
</body></html>"""
    info = {"events": n_events, "periods": len(s), "spikes": len(sp), "freq": freq}
    return body, info


def _quad_of(t: str) -> int:
    i = PLOVER_TYPES.index(t)
    return 1 if i < 4 else 2 if i < 7 else 3 if i < 11 else 4


def write_report(store: Any, a: str, b: str, out: str | Path, **kw: Any) -> dict[str, Any]:
    body, info = build_report(store, a, b, **kw)
    Path(out).write_text(body, encoding="utf-8")
    return info
