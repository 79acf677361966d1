"""Relations between actors over time, computed from a Detente event store.

Every function takes an `EventStore` (or a DuckDB connection to a Detente database) and returns
pandas DataFrames. Every figure can be traced back to its evidence: series and spike rows carry the
ids of the events they count (`event_ids`), and each event row carries its document id and the
character offsets of its evidence sentence (`doc_id`, `span_start`, `span_end`).

Conventions shared by all functions
  * Negated and hypothetical events are left out unless `include_flagged=True`; historical
    (background) and future (planned) events unless `include_historical` / `include_future`.
  * A symmetric event (A met B), stored once each way, counts once in every undirected figure.
  * Dates keep their precision (`date_precision`: day, week, month, year). A series leaves out
    events dated less precisely than its period (a "in March" event is not in a day or week
    series, an "in 2022" event in none but yearly ones) unless `include_imprecise=True`; how many
    were left out is in `df.attrs["imprecise"]`.
  * Each distinct event counts once. A story repeated by near-duplicate copies is stored as one
    event with several rows in `mentions`; `weight="mentions"` counts each event once per mention.
  * Events without a date are left out of time series (their number is in `df.attrs["undated"]`).

Cooperation-conflict index (CCI)
    CCI = (cooperation - conflict) / (cooperation + conflict)
  where cooperation is the (weighted) number of quad-class 1 and 2 events (verbal and material
  cooperation) and conflict the number of quad-class 3 and 4 events (verbal and material conflict).
  It runs from -1 (only conflict) to +1 (only cooperation), 0 is balance, and it is undefined (NaN)
  for a period with no events. Mean Goldstein (-10..+10) and mean PLOVER score are reported beside
  it for an intensity-weighted view.

Spikes
  A period is a spike when its event count departs from the dyad's own trailing baseline (the
  `window` periods before it, zeros included) by at least `threshold` standardised units:
    z = (n - mean) / max(std, sqrt(mean), 1)
  The sqrt(mean) floor is the Poisson standard deviation, so a quiet dyad going from 0 to 1 event
  is not a spike; `min_events` sets the smallest count worth reporting.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any, NamedTuple

import networkx as nx
import numpy as np
import pandas as pd

from detente.model import PLOVER_TYPES
from detente.storage.query import EventQuery, QueryError, flag_sql, parse_actor, parse_day, symmetric_fold_sql

FREQS = {"day": "D", "week": "W-SUN", "month": "M"}
QUADS = (1, 2, 3, 4)
QUAD_NAMES = {
    1: "verbal cooperation",
    2: "material cooperation",
    3: "verbal conflict",
    4: "material conflict",
}
CCI_DEFINITION = (
    "CCI = (cooperation - conflict) / (cooperation + conflict), cooperation = quad classes "
    "1+2, conflict = quad classes 3+4; -1 only conflict, +1 only cooperation, undefined (null) for no events"
)
MAX_TOP = 10_000
# A series longer than this many periods is refused (3,660 days is ten years by day): building
# and sending it costs time and memory for every request, whatever bounds were given.
MAX_PERIODS = 3660
PRECISION_RANK = {"day": 0, "week": 1, "month": 2, "year": 3}

EVENT_VIEW_COLUMNS = [
    "id",
    "date",
    "doc_id",
    "source_code",
    "source_sector",
    "event",
    "target_code",
    "target_sector",
    "quad_code",
    "cameo_code",
    "goldstein",
    "event_scale",
    "event_text",
    "text",
    "span_start",
    "span_end",
    "confidence",
    "loc_name",
    "loc_country",
    "lat",
    "lon",
    "negated",
    "hypothetical",
    "n_mentions",
]


def _con(store: Any):
    return getattr(store, "con", store)


def _freq(freq: str) -> str:
    if freq not in FREQS:
        raise QueryError(f"bad period {freq!r}: expected one of {', '.join(FREQS)}")
    return FREQS[freq]


def _weight(weight: str) -> str:
    if weight not in ("events", "mentions"):
        raise QueryError(f"bad weight {weight!r}: expected events or mentions")
    return weight


def _positive(value: Any, name: str, hi: int = MAX_TOP) -> int:
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise QueryError(f"bad {name} {value!r}: expected a whole number") from None
    if v < 1 or v > hi:
        raise QueryError(f"bad {name} {value!r}: expected 1..{hi}")
    return v


def period_start(dates: pd.Series, freq: str) -> pd.Series:
    """The first day of the day/week (Monday)/month each date falls in."""
    d = pd.to_datetime(dates)
    return d.dt.to_period(_freq(freq)).dt.start_time.dt.normalize()


# --------------------------------------------------------------------------- events of a dyad


def dyad_events(
    store: Any,
    a: str,
    b: str,
    *,
    directed: bool = False,
    since: Any = None,
    until: Any = None,
    include_flagged: bool = False,
    types: str | list[str] | None = None,
    include_historical: bool = False,
    include_future: bool = False,
    quad: Any = None,
) -> pd.DataFrame:
    """The events between actors `a` and `b` ('USA', 'USA:GOV'); both directions unless `directed`.

    Adds `n_mentions` (documents reporting the event, at least 1) and `direction` ('a->b' when the
    first source actor is `a`, else 'b->a')."""
    q = EventQuery(
        dyad=(a, b),
        directed=directed,
        since=since,
        until=until,
        include_flagged=include_flagged,
        type=types,
        quad=quad,
        include_historical=include_historical,
        include_future=include_future,
        fold_symmetric=not directed,
    )
    cols = (
        "e.* EXCLUDE (record), greatest(1, (SELECT count(*) FROM mentions m WHERE m.event_id = e.id)) "
        "AS n_mentions"
    )
    sql, params = q.to_sql(columns=cols)
    df = _con(store).execute(sql, params).df()
    code_a, _ = parse_actor(a)
    df["direction"] = (
        np.where(df["source_code"] == code_a, "a->b", "b->a") if len(df) else pd.Series(dtype=str)
    )
    return df


def _aggregate(df: pd.DataFrame, key: str, weight: str) -> pd.DataFrame:
    """Per-`key` counts by quad class and type, weighted means, CCI and the event ids."""
    df = df.copy()
    df["_w"] = df["n_mentions"].astype(float) if weight == "mentions" else 1.0
    g = df.groupby(key, sort=True)
    out = pd.DataFrame({"events": g["_w"].sum()})
    for q in QUADS:
        out[f"q{q}"] = df[df["quad_code"] == q].groupby(key)["_w"].sum()
    for t in PLOVER_TYPES:
        out[t] = df[df["event"] == t].groupby(key)["_w"].sum()
    out = out.fillna(0.0)

    def wmean(col: str) -> pd.Series:
        ok = df[col].notna()
        num = (df.loc[ok, col] * df.loc[ok, "_w"]).groupby(df.loc[ok, key]).sum()
        den = df.loc[ok, "_w"].groupby(df.loc[ok, key]).sum()
        return num / den

    out["goldstein"] = wmean("goldstein")
    out["event_scale"] = wmean("event_scale")
    out["event_ids"] = g["id"].agg(list)
    return out


def _finish(out: pd.DataFrame) -> pd.DataFrame:
    out["coop"] = out["q1"] + out["q2"]
    out["conflict"] = out["q3"] + out["q4"]
    tot = out["coop"] + out["conflict"]
    out["cci"] = ((out["coop"] - out["conflict"]) / tot).where(tot > 0)
    count_cols = ["events", "q1", "q2", "q3", "q4", "coop", "conflict", *PLOVER_TYPES]
    if (out[count_cols] == out[count_cols].round()).all().all():
        out[count_cols] = out[count_cols].astype("int64")
    return out


def dyad_series(
    store: Any,
    a: str,
    b: str,
    *,
    freq: str = "week",
    directed: bool = False,
    since: Any = None,
    until: Any = None,
    include_flagged: bool = False,
    weight: str = "events",
    fill: bool = True,
    include_historical: bool = False,
    include_future: bool = False,
    include_imprecise: bool = False,
    types: Any = None,
    quad: Any = None,
) -> pd.DataFrame:
    """Time series of the relation between `a` and `b`, one row per day/week/month.

    Columns: `period` (first day), `events`, `q1`..`q4` (counts by quad class), one count column per
    PLOVER type, `coop`, `conflict`, `cci` (see module docstring), `goldstein` and `event_scale`
    (means), `event_ids` (the events counted: every figure can be opened as evidence).
    Periods with no events are included (zeros) between `since` (or the first event) and `until`
    (or the last event) when `fill` is true.
    """
    f = _freq(freq)
    weight = _weight(weight)
    ev = dyad_events(
        store,
        a,
        b,
        directed=directed,
        since=since,
        until=until,
        include_flagged=include_flagged,
        include_historical=include_historical,
        include_future=include_future,
        types=types,
        quad=quad,
    )
    return _series_from_events(ev, freq, f, since, until, weight, fill, include_imprecise)


def actor_series(
    store: Any,
    a: str,
    *,
    freq: str = "week",
    since: Any = None,
    until: Any = None,
    include_flagged: bool = False,
    weight: str = "events",
    include_historical: bool = False,
    include_future: bool = False,
    include_imprecise: bool = False,
    types: Any = None,
    quad: Any = None,
) -> pd.DataFrame:
    """One actor against all: the series of every event `a` takes part in (either side), in the
    same columns as `dyad_series`."""
    f = _freq(freq)
    q = EventQuery(
        involving=a,
        since=since,
        until=until,
        include_flagged=include_flagged,
        type=types,
        quad=quad,
        include_historical=include_historical,
        include_future=include_future,
        fold_symmetric=True,
    )
    cols = (
        "e.* EXCLUDE (record), greatest(1, (SELECT count(*) FROM mentions m WHERE m.event_id = e.id)) "
        "AS n_mentions"
    )
    sql, params = q.to_sql(columns=cols)
    ev = _con(store).execute(sql, params).df()
    return _series_from_events(ev, freq, f, since, until, _weight(weight), True, include_imprecise)


def precise_enough(ev: pd.DataFrame, freq: str) -> pd.Series:
    """True for events whose date is at least as precise as the period (unknown counts as day)."""
    if "date_precision" not in ev.columns or not len(ev):
        return pd.Series(True, index=ev.index)
    rank = ev["date_precision"].map(PRECISION_RANK).fillna(0)
    return rank <= PRECISION_RANK[freq]


def _as_date(v: Any) -> dt.date | None:
    if v is None or (not isinstance(v, (dt.date, str)) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return parse_day(v, "date")


def check_periods(lo: Any, hi: Any, freq: str) -> None:
    """Refuse a series of more than MAX_PERIODS periods, whichever bounds were given (a missing
    bound is the first or last event's date, so `until=9999-12-31` alone is refused too)."""
    lo, hi = _as_date(lo), _as_date(hi)
    for d in (lo, hi):
        if d is not None and not 1000 <= d.year <= 2200:  # pandas dates end in 2262
            raise QueryError(f"date {d} out of range for a series (years 1000-2200)")
    if lo is None or hi is None or lo > hi:
        return
    n = (hi - lo).days // {"day": 1, "week": 7, "month": 28}[freq] + 1
    if n > MAX_PERIODS:
        raise QueryError(
            f"period too long for {freq} resolution: about {n} {freq}s from {lo} to {hi} "
            f"(limit {MAX_PERIODS}); narrow since/until or use a coarser period"
        )


def _series_from_events(
    ev: pd.DataFrame,
    freq: str,
    f: str,
    since: Any,
    until: Any,
    weight: str,
    fill: bool,
    include_imprecise: bool = False,
) -> pd.DataFrame:
    undated = int(ev["date"].isna().sum()) if len(ev) else 0
    ev = ev[ev["date"].notna()].copy() if len(ev) else ev
    imprecise = 0
    if len(ev) and not include_imprecise:
        keep = precise_enough(ev, freq)
        imprecise = int((~keep).sum())
        ev = ev[keep]
    cols = [
        "period",
        "events",
        "q1",
        "q2",
        "q3",
        "q4",
        "coop",
        "conflict",
        "cci",
        "goldstein",
        "event_scale",
        *PLOVER_TYPES,
        "event_ids",
    ]
    if len(ev):
        ev["period"] = period_start(ev["date"], freq)
        out = _aggregate(ev, "period", weight)
    else:
        out = pd.DataFrame(
            columns=[c for c in cols if c not in ("period", "coop", "conflict", "cci")],
            index=pd.DatetimeIndex([], name="period"),
        )
        for c in out.columns:
            if c != "event_ids":
                out[c] = out[c].astype(float)
    if fill:
        lo = parse_day(since, "since") or (ev["date"].min() if len(ev) else None)
        hi = parse_day(until, "until") or (ev["date"].max() if len(ev) else None)
        check_periods(lo, hi, freq)  # before any date range is built
        lo, hi = (
            (pd.Timestamp(lo) if lo is not None else None),
            (pd.Timestamp(hi) if hi is not None else None),
        )
        if lo is not None and hi is not None and lo <= hi:
            rng = pd.period_range(lo, hi, freq=f).start_time.normalize()
            out = out.reindex(rng.union(out.index))
            out.index.name = "period"
            for c in out.columns:
                if c == "event_ids":
                    out[c] = out[c].apply(lambda v: v if isinstance(v, list) else [])
                elif c not in ("goldstein", "event_scale"):
                    out[c] = out[c].fillna(0.0)
    out = _finish(out).reset_index()
    out = out[cols]
    out.attrs.update(
        {"undated": undated, "imprecise": imprecise, "cci": CCI_DEFINITION, "freq": freq, "weight": weight}
    )
    return out


# --------------------------------------------------------------------------- spikes


def spikes(
    store: Any,
    a: str,
    b: str,
    *,
    freq: str = "week",
    directed: bool = False,
    since: Any = None,
    until: Any = None,
    include_flagged: bool = False,
    window: int = 8,
    min_baseline: int = 3,
    threshold: float = 2.0,
    min_events: int = 3,
    top: int = 5,
    weight: str = "events",
    include_historical: bool = False,
    include_future: bool = False,
    include_imprecise: bool = False,
) -> pd.DataFrame:
    """Periods where the dyad's event count departs sharply from its own trailing baseline.

    For each period, the baseline is the `window` periods before it (at least `min_baseline` of them
    must exist); z = (n - mean) / max(std, sqrt(mean), 1). A period is reported when |z| >=
    `threshold` and (for rises) n >= `min_events`. Each row lists the baseline, z, the CCI of the
    period, all its `event_ids` and the `top_event_ids` that caused it (by |Goldstein|, then
    mentions and confidence). The baseline may use periods before `since`.
    """
    window = _positive(window, "window", 520)
    min_baseline = _positive(min_baseline, "min_baseline", 520)
    f = _freq(freq)
    threshold = _spike_threshold(threshold)
    start = parse_day(since, "since")
    base_since = None
    if start is not None:
        base_since = (pd.Period(pd.Timestamp(start), freq=f) - window).start_time.date()
    ev = dyad_events(
        store,
        a,
        b,
        directed=directed,
        since=base_since,
        until=until,
        include_flagged=include_flagged,
        include_historical=include_historical,
        include_future=include_future,
    )
    s = _series_from_events(ev, freq, f, base_since, until, _weight(weight), True, include_imprecise)
    n = s["events"].astype(float).to_numpy()
    rows = []
    by_id = ev.set_index("id") if len(ev) else None
    for i in range(len(s)):
        if start is not None and s.loc[i, "period"].date() < start:
            continue
        base = n[max(0, i - window) : i]
        if len(base) < min_baseline:
            continue
        mean, std = float(base.mean()), float(base.std())
        z = (n[i] - mean) / max(std, math.sqrt(mean), 1.0)
        if abs(z) < threshold or (z > 0 and n[i] < min_events):
            continue
        ids = s.loc[i, "event_ids"]
        rows.append(
            {
                "period": s.loc[i, "period"],
                "events": s.loc[i, "events"],
                "baseline_mean": mean,
                "baseline_std": std,
                "z": z,
                "direction": "up" if z > 0 else "down",
                "cci": s.loc[i, "cci"],
                "goldstein": s.loc[i, "goldstein"],
                "top_event_ids": _top_event_ids(by_id, ids, top),
                "event_ids": ids,
            }
        )
    out = pd.DataFrame(rows, columns=SPIKE_COLUMNS)
    out.attrs.update({"window": window, "threshold": threshold, "freq": freq})
    return out


SPIKE_COLUMNS = [
    "period",
    "events",
    "baseline_mean",
    "baseline_std",
    "z",
    "direction",
    "cci",
    "goldstein",
    "top_event_ids",
    "event_ids",
]


def _spike_threshold(threshold: Any) -> float:
    try:
        threshold = float(threshold)
    except (TypeError, ValueError):
        raise QueryError(f"bad threshold {threshold!r}: expected a number") from None
    if not math.isfinite(threshold) or threshold <= 0:
        raise QueryError(f"bad threshold {threshold!r}: expected a positive number")
    return threshold


def _top_event_ids(by_id: pd.DataFrame | None, ids: list[str], top: int) -> list[str]:
    """The `top` events of a spike that caused it: by |Goldstein|, then mentions and confidence."""
    if not ids or by_id is None:
        return []
    sub = by_id.loc[ids].copy()
    sub["_g"] = sub["goldstein"].abs().fillna(0)
    sub = sub.sort_values(["_g", "n_mentions", "confidence"], ascending=False)
    return list(sub.index[:top])


# --------------------------------------------------------------------------- whole-database views


def _filters(
    since: Any,
    until: Any,
    include_flagged: bool,
    alias: str = "e",
    include_historical: bool = False,
    include_future: bool = False,
    fold: bool = True,
) -> tuple[str, list[Any]]:
    where, params = [], []
    lo, hi = parse_day(since, "since"), parse_day(until, "until")
    if lo:
        where.append(f"{alias}.date >= ?")
        params.append(lo)
    if hi:
        where.append(f"{alias}.date <= ?")
        params.append(hi)
    flags = flag_sql(alias, include_flagged, include_historical, include_future)
    if flags:
        where.append(flags)
    if fold:
        where.append(symmetric_fold_sql(alias))
    return (" AND ".join(where) or "TRUE"), params


def top_actors(
    store: Any,
    *,
    since: Any = None,
    until: Any = None,
    n: int = 20,
    include_flagged: bool = False,
    role: str = "any",
    include_historical: bool = False,
    include_future: bool = False,
    q: str | None = None,
) -> pd.DataFrame:
    """Actors by number of distinct events they take part in (`role`: any, source or target).

    Columns: code, events, as_source, as_target, coop, conflict, cci, goldstein (mean)."""
    n = _positive(n, "n")
    roles = {"any": ("actor", "recipient"), "source": ("actor",), "target": ("recipient",)}
    if role not in roles:
        raise QueryError(f"bad role {role!r}: expected any, source or target")
    # a symmetric pair is one event for "any", but each row is its own role for source/target
    where, params = _filters(
        since,
        until,
        include_flagged,
        include_historical=include_historical,
        include_future=include_future,
        fold=role == "any",
    )
    r = roles[role]
    match, mp = "", []
    if q:
        # actor picking by name: the code, or any name / words the stories used for the actor
        pat = "%" + str(q).strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        match = (
            " AND a.code IN (SELECT x.code FROM event_actors x WHERE x.code ILIKE ? ESCAPE '\\' "
            "OR x.name ILIKE ? ESCAPE '\\' OR x.text ILIKE ? ESCAPE '\\')"
        )
        mp = [pat, pat, pat]
    sql = f"""
        SELECT a.code,
               count(DISTINCT e.id) AS events,
               count(DISTINCT e.id) FILTER (WHERE a.role = 'actor') AS as_source,
               count(DISTINCT e.id) FILTER (WHERE a.role = 'recipient') AS as_target,
               count(DISTINCT e.id) FILTER (WHERE e.quad_code IN (1, 2)) AS coop,
               count(DISTINCT e.id) FILTER (WHERE e.quad_code IN (3, 4)) AS conflict,
               avg(e.goldstein) AS goldstein
        FROM events e JOIN event_actors a ON a.event_id = e.id
        WHERE {where} AND a.role IN ({",".join("?" * len(r))}) AND a.code IS NOT NULL{match}
        GROUP BY a.code ORDER BY events DESC, a.code LIMIT ?"""
    con = _con(store)
    df = con.execute(sql, params + list(r) + mp + [n]).df()
    df = _with_cci(df)
    names = _actor_names(con, list(df["code"]))
    df["name"] = [names.get(c) for c in df["code"]]
    return df


def _actor_names(con: Any, codes: list[str]) -> dict[str, str]:
    """The most used canonical name of each actor code (None where the stories gave none)."""
    if not codes:
        return {}
    rows = con.execute(
        "SELECT code, arg_max(name, n) FROM (SELECT code, name, count(*) AS n FROM event_actors "
        "WHERE code IN (SELECT unnest(?)) AND name IS NOT NULL GROUP BY ALL) GROUP BY code",
        [codes],
    ).fetchall()
    return {c: nm for c, nm in rows}


def _with_cci(df: pd.DataFrame) -> pd.DataFrame:
    tot = df["coop"] + df["conflict"]
    df["cci"] = ((df["coop"] - df["conflict"]) / tot).where(tot > 0)
    return df


def _pairs_sql(where: str) -> str:
    return f"""
        SELECT DISTINCT e.id, s.code AS src, t.code AS tgt, e.quad_code, e.goldstein
        FROM events e
        JOIN event_actors s ON s.event_id = e.id AND s.role = 'actor'
        JOIN event_actors t ON t.event_id = e.id AND t.role = 'recipient'
        WHERE {where} AND s.code IS NOT NULL AND t.code IS NOT NULL AND s.code <> t.code"""


def top_dyads(
    store: Any,
    *,
    since: Any = None,
    until: Any = None,
    n: int = 20,
    directed: bool = False,
    include_flagged: bool = False,
    actor: str | None = None,
    include_historical: bool = False,
    include_future: bool = False,
) -> pd.DataFrame:
    """Actor pairs by number of distinct events between them (undirected pairs sorted a < b unless
    `directed`). `actor` keeps only pairs involving that actor code.

    Columns: a, b, events, coop, conflict, cci, goldstein (mean)."""
    n = _positive(n, "n")
    where, params = _filters(
        since,
        until,
        include_flagged,
        include_historical=include_historical,
        include_future=include_future,
        fold=not directed,
    )
    pa = "src" if directed else "least(src, tgt)"
    pb = "tgt" if directed else "greatest(src, tgt)"
    having, hp = "", []
    if actor:
        code, _ = parse_actor(actor)
        having = "WHERE (src = ? OR tgt = ?)"
        hp = [code, code]
    sql = f"""
        WITH p AS ({_pairs_sql(where)})
        SELECT {pa} AS a, {pb} AS b, count(DISTINCT id) AS events,
               count(DISTINCT id) FILTER (WHERE quad_code IN (1, 2)) AS coop,
               count(DISTINCT id) FILTER (WHERE quad_code IN (3, 4)) AS conflict,
               avg(goldstein) AS goldstein
        FROM p {having} GROUP BY ALL ORDER BY events DESC, a, b LIMIT ?"""
    df = _con(store).execute(sql, params + hp + [n]).df()
    return _with_cci(df)


class Network(NamedTuple):
    nodes: pd.DataFrame  # code, events (distinct events on its edges), degree, cci
    edges: pd.DataFrame  # a, b, events, coop, conflict, cci, sign (+1 coop, -1 conflict, 0), goldstein


def network(
    store: Any,
    *,
    since: Any = None,
    until: Any = None,
    min_events: int = 1,
    max_edges: int = 200,
    include_flagged: bool = False,
    actor: str | None = None,
    include_historical: bool = False,
    include_future: bool = False,
    layout: bool = False,
) -> Network:
    """The actor network of a period: undirected edges weighted by distinct events and signed by
    the sign of their CCI (+1 mostly cooperation, -1 mostly conflict, 0 balanced)."""
    min_events = _positive(min_events, "min_events", 10**9)
    max_edges = _positive(max_edges, "max_edges", 5000)
    edges = top_dyads(
        store,
        since=since,
        until=until,
        n=max_edges,
        include_flagged=include_flagged,
        actor=actor,
        include_historical=include_historical,
        include_future=include_future,
    )
    edges = edges[edges["events"] >= min_events].reset_index(drop=True)
    edges["sign"] = np.sign(edges["cci"].fillna(0)).astype(int)
    if edges.empty:
        nodes = pd.DataFrame(columns=["code", "events", "degree", "coop", "conflict", "cci"])
    else:
        both = pd.concat(
            [
                edges.rename(columns={"a": "code"})[["code", "events", "coop", "conflict"]],
                edges.rename(columns={"b": "code"})[["code", "events", "coop", "conflict"]],
            ]
        )
        g = both.groupby("code")
        nodes = g[["events", "coop", "conflict"]].sum()
        nodes["degree"] = g.size()
        nodes = _with_cci(nodes.reset_index()).sort_values(["events", "code"], ascending=[False, True])
        nodes = nodes[["code", "events", "degree", "coop", "conflict", "cci"]].reset_index(drop=True)
    if layout:
        nodes = _with_layout(nodes, edges)
    return Network(nodes, edges)


def _with_layout(nodes: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """Node positions (x, y in -1..1) from a force-directed layout (networkx's Fruchterman-Reingold,
    weighted by log events, fixed seed so the picture is the same on every load)."""
    nodes = nodes.copy()
    if nodes.empty:
        nodes["x"], nodes["y"] = pd.Series(dtype=float), pd.Series(dtype=float)
        return nodes

    g = nx.Graph()
    g.add_nodes_from(nodes["code"])
    for r in edges.itertuples():
        g.add_edge(r.a, r.b, weight=1.0 + math.log(max(1, r.events)))
    # Each connected part is laid out alone: the biggest fills the middle, the small ones (a lone
    # pair such as SRB-XKX) sit on a ring around it instead of squeezing it into a corner.
    parts = sorted(nx.connected_components(g), key=lambda c: (-len(c), min(c)))
    pos: dict[str, np.ndarray] = {}
    for i, part in enumerate(parts):
        sub = g.subgraph(part)
        if len(part) == 1:
            local = {next(iter(part)): np.zeros(2)}
        else:
            local = nx.spring_layout(
                sub, weight="weight", seed=7, k=1.6 / math.sqrt(len(part)), iterations=80
            )
        pts = np.array(list(local.values()), dtype=float)
        pts -= pts.mean(axis=0)
        pts /= np.abs(pts).max() or 1.0
        if i == 0:
            centre, scale = np.zeros(2), (0.75 if len(parts) > 1 else 1.0)
        else:
            angle = 2 * math.pi * (i - 1) / max(1, len(parts) - 1) + math.pi / 4
            centre, scale = 0.92 * np.array([math.cos(angle), math.sin(angle)]), 0.06 * math.sqrt(len(part))
        for code, pt in zip(local, pts):
            pos[code] = centre + scale * pt
    xy = np.array([pos[c] for c in nodes["code"]], dtype=float)
    xy /= np.abs(xy).max() or 1.0
    xy = _spread(xy, min_dist=min(0.16, 2.4 / max(1, len(xy)) ** 0.5))
    nodes["x"], nodes["y"] = xy[:, 0], xy[:, 1]
    return nodes


def _spread(xy: np.ndarray, min_dist: float, rounds: int = 60) -> np.ndarray:
    """Push apart nodes closer than `min_dist` (a layout can put two actors on the same spot, and
    then only one of them can be pointed at), then scale back into -1..1."""
    xy = xy.copy()
    rng = np.random.default_rng(7)
    for _ in range(rounds):
        d = xy[:, None, :] - xy[None, :, :]
        dist = np.sqrt((d**2).sum(-1)) + np.eye(len(xy))
        close = (dist < min_dist) & ~np.eye(len(xy), dtype=bool)
        if not close.any():
            break
        zero = dist < 1e-9
        d[zero] = rng.normal(size=(int(zero.sum()), 2)) * 1e-3
        push = np.where(close[..., None], d / dist[..., None] * (min_dist - dist[..., None]) / 2, 0.0)
        xy += push.sum(axis=1)
    return xy / (np.abs(xy).max() or 1.0)


def event_locations(
    store: Any,
    *,
    since: Any = None,
    until: Any = None,
    include_flagged: bool = False,
    dyad: tuple[str, str] | None = None,
    limit: int = 5000,
    include_historical: bool = False,
    include_future: bool = False,
    types: Any = None,
    quad: Any = None,
) -> pd.DataFrame:
    """Places where events happened: one row per (place, lat, lon) with the number of events and
    up to 20 of their ids (`/events?place=...` lists them all)."""
    limit = _positive(limit, "limit", 50_000)
    q = EventQuery(
        dyad=dyad,
        since=since,
        until=until,
        include_flagged=include_flagged,
        type=types,
        quad=quad,
        include_historical=include_historical,
        include_future=include_future,
        fold_symmetric=True,
    )
    sql, params = q.to_sql(columns="e.id, e.loc_name, e.loc_country, e.lat, e.lon, e.quad_code")
    sql = sql.split(" ORDER BY ")[0]
    df = (
        _con(store)
        .execute(
            f"SELECT coalesce(loc_name, loc_country) AS place, loc_country AS country, lat, lon, count(*) AS events, "
            f"count(*) FILTER (WHERE quad_code IN (1, 2)) AS coop, count(*) FILTER (WHERE quad_code IN (3, 4)) AS conflict, "
            f"list(id ORDER BY id)[1:20] AS event_ids FROM ({sql}) WHERE lat IS NOT NULL AND lon IS NOT NULL "
            f"GROUP BY ALL ORDER BY events DESC, place LIMIT ?",
            params + [limit],
        )
        .df()
    )
    df["event_ids"] = df["event_ids"].apply(list)
    return _with_cci(df)


def events_by_id(store: Any, ids: list[str]) -> pd.DataFrame:
    """Events (with evidence columns and `n_mentions`) for the given ids, in date order."""
    if not ids:
        return pd.DataFrame(columns=EVENT_VIEW_COLUMNS)
    con = _con(store)
    probe = pd.DataFrame({"id": [str(i) for i in ids]})
    name = "_want_ids"
    con.register(name, probe)
    try:
        df = con.execute(
            "SELECT e.* EXCLUDE (record), greatest(1, (SELECT count(*) FROM mentions m WHERE m.event_id = e.id)) "
            f"AS n_mentions FROM events e WHERE e.id IN (SELECT id FROM {name}) "
            "ORDER BY e.date, e.doc_id, e.span_start"
        ).df()
    finally:
        con.unregister(name)
    return df


def stats(
    store: Any,
    *,
    include_flagged: bool = False,
    include_historical: bool = False,
    include_future: bool = False,
) -> dict[str, Any]:
    """Counts and coverage of a database. `first_event`/`last_event` span the events counted (by
    default neither historical nor future); `first_document`/`last_document` the stories."""
    con = _con(store)
    where, params = _filters(
        None, None, include_flagged, include_historical=include_historical, include_future=include_future
    )
    one = lambda sql, p=(): con.execute(sql, list(p)).fetchone()
    docs, first_doc, last_doc = one("SELECT count(*), min(date), max(date) FROM documents")
    n_ev, first, last = one(f"SELECT count(*), min(date), max(date) FROM events e WHERE {where}", params)
    by_type = dict(
        con.execute(
            f"SELECT event, count(*) FROM events e WHERE {where} GROUP BY 1 ORDER BY 2 DESC", params
        ).fetchall()
    )
    by_quad = {
        str(k): v
        for k, v in con.execute(
            f"SELECT quad_code, count(*) FROM events e WHERE {where} GROUP BY 1 ORDER BY 1", params
        ).fetchall()
    }
    flagged = one(
        "SELECT count(*) FILTER (WHERE negated), count(*) FILTER (WHERE hypothetical), "
        "count(*) FILTER (WHERE historical), count(*) FILTER (WHERE future) FROM events"
    )
    iso = lambda d: d.isoformat() if isinstance(d, (dt.date, dt.datetime)) else None
    return {
        "documents": docs,
        "events": n_ev,
        "first_event": iso(first),
        "last_event": iso(last),
        "first_document": iso(first_doc),
        "last_document": iso(last_doc),
        "duplicates": one("SELECT count(*) FROM documents WHERE duplicate_of IS NOT NULL")[0],
        "mentions": one("SELECT count(*) FROM mentions")[0],
        "by_type": by_type,
        "by_quad": by_quad,
        "negated": flagged[0],
        "hypothetical": flagged[1],
        "historical": flagged[2],
        "future": flagged[3],
        "include_flagged": include_flagged,
        "include_historical": include_historical,
        "include_future": include_future,
    }


def default_view(store: Any, *, days: int = 365) -> dict[str, Any]:
    """What a first look should show: the busiest dyad over the last `days` days of the *stories*
    (not of event dates, which a stray historical or misread date can stretch), counting news
    events only (no negated, hypothetical, historical or future ones), with a period that gives a
    readable number of bars. Empty dict for a database without dyads."""
    con = _con(store)
    first_doc, last_doc = con.execute("SELECT min(date), max(date) FROM documents").fetchone()
    if last_doc is None:
        first_doc, last_doc = con.execute(
            "SELECT min(date), max(date) FROM events WHERE NOT historical AND NOT future"
        ).fetchone()
    if last_doc is None:
        return {}
    since = max(first_doc, last_doc - dt.timedelta(days=days))
    top = top_dyads(store, since=since, until=last_doc, n=1)
    if top.empty:
        top = top_dyads(store, n=1)
        if top.empty:
            return {}
    span = (last_doc - since).days
    period = "day" if span <= 62 else "week" if span <= 730 else "month"
    return {
        "a": top.iloc[0]["a"],
        "b": top.iloc[0]["b"],
        "events": int(top.iloc[0]["events"]),
        "since": since.isoformat(),
        "until": last_doc.isoformat(),
        "period": period,
    }


def document_evidence(store: Any, doc_id: str, *, include_flagged: bool = True) -> dict[str, Any] | None:
    """A document's text with the evidence of each of its events: sentence offsets and, where the
    trigger words are found inside the sentence, trigger offsets (all in document characters).
    Events recorded for this document as a near-duplicate mention are included too."""
    con = _con(store)
    doc = con.execute(
        "SELECT id, title, date, source, url, text, duplicate_of FROM documents WHERE id = ?", [doc_id]
    ).fetchone()
    if doc is None:
        return None
    keys = ["id", "title", "date", "source", "url", "text", "duplicate_of"]
    out = dict(zip(keys, doc))
    out["date"] = out["date"].isoformat() if out["date"] else None
    where = "" if include_flagged else " AND NOT e.negated AND NOT e.hypothetical"
    ev = con.execute(
        "SELECT e.id, e.date, e.event, e.quad_code, e.source_code, e.source_sector, e.target_code, "
        "e.target_sector, e.event_text, e.text, e.span_start, e.span_end, e.confidence, e.negated, "
        "e.hypothetical, e.doc_id FROM events e WHERE (e.doc_id = ? OR e.id IN "
        f"(SELECT event_id FROM mentions WHERE doc_id = ?)){where} ORDER BY e.span_start, e.id",
        [doc_id, doc_id],
    ).df()
    text = out["text"] or ""
    events = []
    for r in ev.to_dict("records"):
        r["date"] = r["date"].isoformat() if isinstance(r["date"], (dt.date, pd.Timestamp)) else None
        start, end = int(r["span_start"] or 0), int(r["span_end"] or 0)
        if r["doc_id"] != doc_id or text[start:end] != r["text"]:
            # a mention in a near-duplicate copy: find the sentence in this copy's text
            pos = text.find(r["text"] or "\0")
            start, end = (pos, pos + len(r["text"])) if pos >= 0 else (None, None)
        r["span_start"], r["span_end"] = start, end
        r["trigger_start"] = r["trigger_end"] = None
        if start is not None and r["event_text"]:
            p = text.lower().find(str(r["event_text"]).lower(), start, end)
            if p >= 0:
                r["trigger_start"], r["trigger_end"] = p, p + len(r["event_text"])
        events.append(
            {
                k: (
                    None
                    if isinstance(v, float) and math.isnan(v)
                    else (bool(v) if isinstance(v, (np.bool_,)) else v)
                )
                for k, v in r.items()
            }
        )
    out["events"] = events
    return out


# --------------------------------------------------------------------------- search

MAX_TERMS = 8


def search_terms(q: str) -> list[str]:
    """Lower-case words of a query (2+ characters, at most MAX_TERMS, first occurrence order)."""

    out: list[str] = []
    for w in re.findall(r"\w[\w'-]*", str(q).lower()):
        if len(w) >= 2 and w not in out:
            out.append(w)
    return out[:MAX_TERMS]


def _bm25(
    con: Any, rows_sql: str, params: list[Any], body: str, terms: list[str], phrase: str, limit: int
) -> pd.DataFrame:
    """Rank the rows of `rows_sql` by Okapi BM25 (k1 = 1.2, b = 0.75) of `body` (an SQL expression
    over those rows) for `terms`. A term's frequency is its number of occurrences as a substring of
    the lower-cased body; rows matching more of the terms come first, then by score; the whole
    query as a phrase adds 1. DuckDB's full-text index would be faster but its `fts` extension is
    not in the wheel and cannot be installed offline, so this is plain SQL over a scan."""
    sql = f"""
        WITH r AS (SELECT *, lower({body}) AS _body FROM ({rows_sql})),
        t AS (SELECT unnest(?::VARCHAR[]) AS term),
        n AS (SELECT count(*) AS big_n, greatest(avg(length(_body)), 1) AS avgdl FROM r),
        tf AS (SELECT r.id, t.term, (length(r._body) - length(replace(r._body, t.term, ''))) // length(t.term) AS tf,
                      length(r._body) AS dl
               FROM r, t WHERE contains(r._body, t.term)),
        df AS (SELECT term, count(*) AS df FROM tf GROUP BY term),
        sc AS (SELECT tf.id, count(*) AS matched,
                      sum(ln(1 + (n.big_n - df.df + 0.5) / (df.df + 0.5))
                          * tf.tf * 2.2 / (tf.tf + 1.2 * (0.25 + 0.75 * tf.dl / n.avgdl))) AS score
               FROM tf JOIN df USING (term), n GROUP BY tf.id)
        SELECT r.* EXCLUDE (_body), sc.score + CASE WHEN contains(r._body, ?) THEN 1 ELSE 0 END AS score,
               CASE WHEN position(? IN r._body) > 0 THEN position(? IN r._body)
                    ELSE position(? IN r._body) END AS _hit
        FROM r JOIN sc USING (id)
        ORDER BY sc.matched DESC, score DESC, r.id LIMIT ?"""
    first = terms[0] if terms else phrase
    return con.execute(sql, list(params) + [terms, phrase, phrase, phrase, first, limit]).df()


def search(
    store: Any,
    q: str,
    *,
    limit: int = 20,
    include_flagged: bool = False,
    include_historical: bool = True,
    include_future: bool = True,
) -> dict[str, Any]:
    """Evidence sentences and stories ranked by BM25 for the words of `q` (see `_bm25`).
    Events carry their document and sentence offsets; stories a snippet around the first hit."""
    con = _con(store)
    limit = _positive(limit, "limit", 1000)
    phrase = " ".join(str(q).lower().split())
    terms = search_terms(q) or ([phrase] if phrase else [])
    if not terms:
        raise QueryError("empty search")
    ev_sql, ev_params = EventQuery(
        include_flagged=include_flagged,
        include_historical=include_historical,
        include_future=include_future,
        fold_symmetric=True,
    ).to_sql(
        columns="e.id, e.date, e.doc_id, e.event, e.source_code, e.target_code, e.text, e.span_start, e.span_end"
    )
    ev_sql = ev_sql.split(" ORDER BY ")[0]
    ev = _bm25(con, ev_sql, ev_params, "coalesce(text, '')", terms, phrase, limit).drop(columns=["_hit"])
    docs = _bm25(
        con,
        "SELECT id, title, date, source, n_events, text FROM documents",
        [],
        "coalesce(title, '') || ' ' || coalesce(text, '')",
        terms,
        phrase,
        limit,
    )
    if len(docs):

        def snippet(r):
            # a missing title or text is NaN (a float) in a column where other rows hold strings
            title = r["title"] if isinstance(r["title"], str) else ""
            hit = r["_hit"] if pd.notna(r["_hit"]) else 0
            pos = max(0, int(hit) - 1 - len(title) - 1) if hit else 0
            text = r["text"] if isinstance(r["text"], str) else ""
            start = max(0, pos - 80)
            return (
                ("…" if start else "") + text[start : start + 220] + ("…" if start + 220 < len(text) else "")
            )

        docs["snippet"] = docs.apply(snippet, axis=1)
    else:
        docs["snippet"] = pd.Series(dtype=str)
    docs = docs.drop(columns=["text", "_hit"])
    return {"q": q, "terms": terms, "events": _json_rows(ev), "documents": _json_rows(docs)}


def _json_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    df = df.copy()
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].dt.strftime("%Y-%m-%d")
    return json.loads(df.to_json(orient="records", date_format="iso", force_ascii=False, default_handler=str))
