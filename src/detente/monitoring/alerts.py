"""Alert rules, their evaluation on newly stored events, and webhook delivery (`detente watch`).

Rules come from a small YAML file: a list of rules, or `{rules: [...]}`. Each rule is one of

  event rule      {name: usa-chn, dyad: [USA, CHN], types: [THREATEN, SANCTION], min_confidence: 0.7}
                  {name: taiwan, actor: TWN, quad: [4]}
     matches single events; keys: dyad (+ directed), actor (either role), source, target, types,
     quad, min_confidence, include_flagged. One alert per rule and story, listing its matching events.
  spike rule      {dyad: [RUS, UKR], spike: {period: day, z: 3, window: 8, min_events: 3}}
     the dyad's event count in a period departs from its trailing baseline: analysis.spikes()
     decides (the same z as `detente analyse spikes`). One alert per rule and period.
  cci_shift rule  {dyad: [USA, CHN], cci_shift: {period: week, window: 4, delta: 0.5, min_events: 3}}
     the cooperation-conflict index of a period moves by at least `delta` from the pooled CCI of
     the `window` periods before it (analysis.dyad_series() computes both). One alert per rule,
     period and direction.

Negated and hypothetical events are left out unless `include_flagged: true`, as in every analysis.

Exactly once, across crashes: rules are evaluated right after each batch is committed, on the
events of that batch's documents, and the alerts are written in one transaction together with the
`alerts_evaluated_until` mark (the batch's `coded_at`, kept in `meta`). A watcher killed between a
batch and its alerts evaluates that batch when it starts again; an alert's id is the hash of its
key (rule + story or period), so nothing is raised twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from detente.analysis import series as an
from detente.analysis.series import FREQS, period_start
from detente.errors import DetenteError
from detente.model import PLOVER_TYPES
from detente.storage.query import EventQuery, QueryError, parse_actor

CURSOR_KEY = "alerts_evaluated_until"
EVENT_KEYS = {
    "name",
    "dyad",
    "directed",
    "actor",
    "source",
    "target",
    "types",
    "quad",
    "min_confidence",
    "include_flagged",
}
SPIKE_KEYS = {"period", "z", "window", "min_events", "direction"}
CCI_KEYS = {"period", "window", "delta", "min_events"}
PERIODS = ("day", "week", "month")


class RuleError(DetenteError):
    """The rules file cannot be read or a rule is not valid."""


# --------------------------------------------------------------------------- rules


@dataclass
class Rule:
    name: str
    kind: str = "event"  # event | spike | cci_shift
    dyad: tuple[str, str] | None = None
    directed: bool = False
    actor: str | None = None  # involved in either role
    source: str | None = None
    target: str | None = None
    types: list[str] = field(default_factory=list)
    quad: list[int] = field(default_factory=list)
    min_confidence: float = 0.0
    include_flagged: bool = False
    period: str = "day"
    z: float = 3.0
    window: int = 8
    min_events: int = 3
    direction: str = "up"  # spike: up | down | both
    delta: float = 0.5

    def describe(self) -> str:
        who = (
            ("-".join(self.dyad) if self.dyad else None)
            or self.actor
            or "->".join(x for x in (self.source, self.target) if x)
            or "any"
        )
        if self.kind == "spike":
            return f"{who} spike (z >= {self.z:g} per {self.period})"
        if self.kind == "cci_shift":
            return f"{who} CCI shift (>= {self.delta:g} per {self.period})"
        what = ",".join(self.types) or ("quad " + ",".join(map(str, self.quad)) if self.quad else "any event")
        return f"{who} {what}"


def _codes(v: Any, rule: str, key: str) -> str:
    if not isinstance(v, str):
        raise RuleError(f"rule {rule}: '{key}' must be an actor code like USA or USA:GOV")
    try:
        parse_actor(v)
    except QueryError as e:
        raise RuleError(f"rule {rule}: {e}") from None
    return v.strip().upper()


def _number(v: Any, rule: str, key: str, lo: float, hi: float, integer: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not float(v).is_integer()):
        raise RuleError(f"rule {rule}: '{key}' must be a {'whole ' if integer else ''}number")
    if not (lo <= float(v) <= hi) or not math.isfinite(float(v)):
        raise RuleError(f"rule {rule}: '{key}' must be between {lo:g} and {hi:g}")
    return int(v) if integer else float(v)


def parse_rule(raw: Any, index: int) -> Rule:
    """One rule of the rules file (a mapping), checked; RuleError names the rule and the key."""
    if not isinstance(raw, dict):
        raise RuleError(f"rule {index}: expected a mapping like {{dyad: [USA, CHN], types: [THREATEN]}}")
    name = str(raw.get("name") or f"rule{index}")
    r = Rule(name=name, kind=_rule_kind(raw, name))
    _parse_participants(raw, r)
    _parse_event_filters(raw, r)
    if r.kind == "event":
        if not (r.dyad or r.actor or r.source or r.target or r.types or r.quad):
            raise RuleError(
                f"rule {name}: an event rule needs at least one of dyad, actor, source, target, types, quad"
            )
        return r
    _parse_series_spec(raw, r)
    return r


def _rule_kind(raw: dict, name: str) -> str:
    """event, spike or cci_shift; refuses unknown keys."""
    kind = "spike" if "spike" in raw else "cci_shift" if "cci_shift" in raw else "event"
    if "spike" in raw and "cci_shift" in raw:
        raise RuleError(f"rule {name}: a rule is either a spike or a cci_shift rule, not both")
    unknown = set(raw) - EVENT_KEYS - {"spike", "cci_shift"}
    if unknown:
        raise RuleError(
            f"rule {name}: unknown key(s) {', '.join(sorted(unknown))}; expected "
            f"{', '.join(sorted(EVENT_KEYS | {'spike', 'cci_shift'}))}"
        )
    return kind


def _parse_participants(raw: dict, r: Rule) -> None:
    """dyad, directed, actor, source, target."""
    if "dyad" in raw:
        d = raw["dyad"]
        if isinstance(d, str):
            d = [p.strip() for p in d.split(",")]
        if not isinstance(d, list) or len(d) != 2:
            raise RuleError(f"rule {r.name}: 'dyad' must be two actor codes, e.g. [USA, CHN]")
        r.dyad = (_codes(d[0], r.name, "dyad"), _codes(d[1], r.name, "dyad"))
    r.directed = bool(raw.get("directed", False))
    for k in ("actor", "source", "target"):
        if raw.get(k) is not None:
            setattr(r, k, _codes(raw[k], r.name, k))


def _parse_event_filters(raw: dict, r: Rule) -> None:
    """types, quad, min_confidence, include_flagged."""
    types = raw.get("types", [])
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list):
        raise RuleError(f"rule {r.name}: 'types' must be a list of PLOVER types")
    r.types = [str(t).strip().upper() for t in types]
    bad = [t for t in r.types if t not in PLOVER_TYPES]
    if bad:
        raise RuleError(
            f"rule {r.name}: unknown event type {bad[0]!r}; expected one of {', '.join(PLOVER_TYPES)}"
        )
    quad = raw.get("quad", [])
    quad = [quad] if isinstance(quad, int) else quad
    if not isinstance(quad, list) or any(isinstance(q, bool) or q not in (1, 2, 3, 4) for q in quad):
        raise RuleError(f"rule {r.name}: 'quad' must be a list of quad classes 1-4")
    r.quad = list(quad)
    if "min_confidence" in raw:
        r.min_confidence = _number(raw["min_confidence"], r.name, "min_confidence", 0, 1)
    r.include_flagged = bool(raw.get("include_flagged", False))


def _parse_series_spec(raw: dict, r: Rule) -> None:
    """The `spike:` or `cci_shift:` mapping of a rule that follows a whole dyad's series."""
    name, kind = r.name, r.kind
    spec = raw[kind]
    if not isinstance(spec, dict):
        raise RuleError(f"rule {name}: '{kind}' must be a mapping, e.g. {{period: day, z: 3}}")
    allowed = SPIKE_KEYS if kind == "spike" else CCI_KEYS
    unknown = set(spec) - allowed
    if unknown:
        raise RuleError(
            f"rule {name}: unknown {kind} key(s) {', '.join(sorted(unknown))}; expected "
            f"{', '.join(sorted(allowed))}"
        )
    if r.dyad is None:
        raise RuleError(f"rule {name}: a {kind} rule needs a dyad")
    if r.actor or r.source or r.target or r.types or r.quad or "min_confidence" in raw:
        raise RuleError(
            f"rule {name}: a {kind} rule follows a whole dyad; actor/source/target/types/"
            "quad/min_confidence apply to event rules only"
        )
    r.period = str(spec.get("period", "day"))
    if r.period not in PERIODS:
        raise RuleError(f"rule {name}: period must be one of {', '.join(PERIODS)}")
    r.window = _number(spec.get("window", 8 if kind == "spike" else 4), name, "window", 1, 520, True)
    if kind == "spike":
        r.z = _number(spec.get("z", 3.0), name, "z", 0.1, 100)
        r.min_events = _number(spec.get("min_events", 3), name, "min_events", 1, 10**6, True)
        r.direction = str(spec.get("direction", "up"))
        if r.direction not in ("up", "down", "both"):
            raise RuleError(f"rule {name}: direction must be up, down or both")
    else:
        r.delta = _number(spec.get("delta", 0.5), name, "delta", 0.01, 2)
        r.min_events = _number(spec.get("min_events", 3), name, "min_events", 1, 10**6, True)


def parse_rules(data: Any) -> list[Rule]:
    if isinstance(data, dict) and "rules" in data:
        data = data["rules"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise RuleError("rules: expected a list of rules (or {rules: [...]})")
    rules = [parse_rule(x, i) for i, x in enumerate(data, 1)]
    names = [r.name for r in rules]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise RuleError(f"rule name {dup!r} is used twice; names identify alerts, make them unique")
    return rules


def load_rules(path: str | Path) -> list[Rule]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RuleError(f"{path}: cannot read rules: {getattr(e, 'strerror', None) or e}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise RuleError(f"{path}: not valid YAML: {str(e).splitlines()[0]}") from None
    try:
        return parse_rules(data)
    except RuleError as e:
        raise RuleError(f"{path}: {e}") from None


# --------------------------------------------------------------------------- evaluation


@dataclass
class Alert:
    key: str
    rule: str
    kind: str
    message: str
    event_ids: list[str]
    period: dt.date | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    seq: int = 0
    created_at: dt.datetime | None = None
    events: list[dict[str, Any]] | None = None  # evidence for the webhook (attach_evidence)

    def __post_init__(self):
        if not self.id:
            self.id = hashlib.sha1(self.key.encode("utf-8")).hexdigest()[:16]

    def payload(self) -> dict[str, Any]:
        """The JSON posted to the webhook (and served by GET /alerts)."""
        return {
            "id": self.id,
            "seq": self.seq,
            "rule": self.rule,
            "kind": self.kind,
            "created_at": self.created_at.isoformat() + "Z" if self.created_at else None,
            "period": self.period.isoformat() if self.period else None,
            "message": self.message,
            "event_ids": list(self.event_ids),
            "details": self.details,
            **({"events": self.events} if self.events is not None else {}),
        }


EVIDENCE_COLUMNS = (
    "id",
    "date",
    "doc_id",
    "source_code",
    "source_sector",
    "event",
    "target_code",
    "target_sector",
    "quad_code",
    "confidence",
    "text",
)


def evidence(con, event_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """{event id: its evidence (actors, type, sentence, document)} for the given events."""

    ids = list(dict.fromkeys(event_ids))
    if not ids:
        return {}
    df = an.events_by_id(con, ids)
    out = {}
    for rec in json.loads(df.to_json(orient="records", date_format="iso", default_handler=str)):
        rec["date"] = (rec.get("date") or "")[:10] or None
        out[rec["id"]] = {k: rec.get(k) for k in EVIDENCE_COLUMNS}
    return out


def attach_evidence(con, alerts: Sequence[Alert]) -> None:
    """Set each alert's `events` (sent with the webhook, so a receiver needs no database)."""
    found = evidence(con, [i for a in alerts for i in a.event_ids])
    for a in alerts:
        a.events = [found[i] for i in a.event_ids if i in found]


def _short(text: Any, n: int = 140) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _period_of(day: Any, period: str) -> dt.date:
    return period_start(pd.Series([pd.Timestamp(day)]), period).iloc[0].date()


def _period_back(start: dt.date, period: str, n: int) -> dt.date:
    return (pd.Period(pd.Timestamp(start), freq=FREQS[period]) - n).start_time.date()


def _period_last_day(start: dt.date, period: str) -> dt.date:
    return pd.Period(pd.Timestamp(start), freq=FREQS[period]).end_time.date()


class Evaluator:
    """Evaluates the rules on the events of newly stored documents (see module docstring)."""

    def __init__(self, rules: Sequence[Rule]):
        self.rules = list(rules)

    # events of the batch matching an event rule
    def _event_matches(self, con, rule: Rule, doc_ids: list[str]) -> pd.DataFrame:
        q = EventQuery(
            dyad=rule.dyad,
            directed=rule.directed,
            actor=rule.source,
            target=rule.target,
            type=rule.types or None,
            quad=rule.quad or None,
            include_flagged=rule.include_flagged,
        )
        sql, params = q.to_sql(
            columns="e.id, e.doc_id, e.date, e.event, e.source_code, e.target_code, "
            "e.quad_code, e.confidence, e.text, e.span_start"
        )
        outer = (
            "SELECT * FROM ("
            + sql
            + ") m WHERE m.doc_id IN (SELECT doc_id FROM _alert_docs) AND m.confidence >= ?"
        )
        params = params + [rule.min_confidence]
        if rule.actor:
            code, sector = parse_actor(rule.actor)
            outer += " AND EXISTS (SELECT 1 FROM event_actors a WHERE a.event_id = m.id AND a.code = ?" + (
                " AND a.sector = ?)" if sector else ")"
            )
            params += [code] + ([sector] if sector else [])
        return con.execute(outer + " ORDER BY m.doc_id, m.span_start", params).df()

    def _touched_periods(self, con, rule: Rule, doc_ids: list[str]) -> list[dt.date]:
        q = EventQuery(dyad=rule.dyad, directed=rule.directed, include_flagged=rule.include_flagged)
        sql, params = q.to_sql(columns="e.date, e.doc_id")
        rows = con.execute(
            f"SELECT DISTINCT date FROM ({sql}) m WHERE m.doc_id IN "
            "(SELECT doc_id FROM _alert_docs) AND m.date IS NOT NULL",
            params,
        ).fetchall()
        return sorted({_period_of(r[0], rule.period) for r in rows})

    def evaluate(self, store, doc_ids: Iterable[str]) -> list[Alert]:
        """Alerts raised by the newly stored documents `doc_ids` (their events are in the store)."""

        doc_ids = list(dict.fromkeys(doc_ids))
        if not doc_ids or not self.rules:
            return []
        con = store.con
        con.register("_alert_docs", pd.DataFrame({"doc_id": doc_ids}))
        out: list[Alert] = []
        try:
            for rule in self.rules:
                if rule.kind == "event":
                    out.extend(self._event_alerts(con, rule, doc_ids))
                    continue
                periods = self._touched_periods(con, rule, doc_ids)
                if not periods:
                    continue
                if rule.kind == "spike":
                    out.extend(self._spikes(con, rule, periods))
                else:
                    out.extend(self._cci_shifts(con, rule, periods))
        finally:
            con.unregister("_alert_docs")
        return out

    def _event_alerts(self, con, rule: Rule, doc_ids: list[str]) -> list[Alert]:
        """One alert per document with events matching an event rule (its surest event named)."""
        out = []
        m = self._event_matches(con, rule, doc_ids)
        for doc_id, g in m.groupby("doc_id", sort=False):
            top = g.sort_values("confidence", ascending=False).iloc[0]
            more = f" (+{len(g) - 1} more)" if len(g) > 1 else ""
            msg = (
                f"[{rule.name}] {top.source_code or '-'} {top.event} {top.target_code or '-'} "
                f'conf {top.confidence:.2f}{more}: "{_short(top.text)}" ({doc_id})'
            )
            day = top.date.date() if isinstance(top.date, pd.Timestamp) else None
            out.append(
                Alert(
                    key=f"{rule.name}|doc|{doc_id}",
                    rule=rule.name,
                    kind="event",
                    message=msg,
                    event_ids=list(g["id"]),
                    period=day,
                    details={"doc_id": doc_id, "rule": rule.describe(), "events": len(g)},
                )
            )
        return out

    def _spikes(self, con, rule: Rule, periods: list[dt.date]) -> list[Alert]:
        """Spikes of the rule's dyad in the periods the new documents touched."""
        a, b = rule.dyad
        sp = an.spikes(
            con,
            a,
            b,
            freq=rule.period,
            directed=rule.directed,
            since=periods[0],
            until=_period_last_day(periods[-1], rule.period),
            include_flagged=rule.include_flagged,
            window=rule.window,
            threshold=rule.z,
            min_events=rule.min_events,
        )
        out = []
        for r in sp.itertuples():
            p = r.period.date()
            if p not in periods or (rule.direction != "both" and r.direction != rule.direction):
                continue
            msg = (
                f"[{rule.name}] {a}-{b} {r.direction} spike in the {rule.period} of {p}: "
                f"{r.events:g} events vs baseline {r.baseline_mean:.1f} ± {r.baseline_std:.1f} "
                f"(z {r.z:+.1f})"
            )
            out.append(
                Alert(
                    key=f"{rule.name}|spike|{p}|{r.direction}",
                    rule=rule.name,
                    kind="spike",
                    message=msg,
                    event_ids=list(r.top_event_ids) or list(r.event_ids),
                    period=p,
                    details={
                        "z": float(r.z),
                        "events": float(r.events),
                        "baseline_mean": float(r.baseline_mean),
                        "baseline_std": float(r.baseline_std),
                        "all_event_ids": list(r.event_ids)[:200],
                        "rule": rule.describe(),
                    },
                )
            )
        return out

    def _cci_shifts(self, con, rule: Rule, periods: list[dt.date]) -> list[Alert]:
        a, b = rule.dyad
        s = an.dyad_series(
            con,
            a,
            b,
            freq=rule.period,
            directed=rule.directed,
            since=_period_back(periods[0], rule.period, rule.window),
            until=_period_last_day(periods[-1], rule.period),
            include_flagged=rule.include_flagged,
        )
        s = s.set_index(s["period"].dt.date)
        out = []
        for p in periods:
            if p not in s.index:
                continue
            cur = s.loc[p]
            n = float(cur["coop"] + cur["conflict"])
            before = s[(s.index < p) & (s.index >= _period_back(p, rule.period, rule.window))]
            base_n = float(before["coop"].sum() + before["conflict"].sum())
            if n < rule.min_events or base_n < 1:
                continue
            cci = (float(cur["coop"]) - float(cur["conflict"])) / n
            base = (float(before["coop"].sum()) - float(before["conflict"].sum())) / base_n
            shift = cci - base
            if abs(shift) < rule.delta:
                continue
            way = "towards conflict" if shift < 0 else "towards cooperation"
            msg = (
                f"[{rule.name}] {a}-{b} CCI {base:+.2f} -> {cci:+.2f} ({way}) in the {rule.period} of {p}: "
                f"{n:g} events, baseline {base_n:g} events over {rule.window} {rule.period}s"
            )
            out.append(
                Alert(
                    key=f"{rule.name}|cci|{p}|{'down' if shift < 0 else 'up'}",
                    rule=rule.name,
                    kind="cci_shift",
                    message=msg,
                    event_ids=list(cur["event_ids"]),
                    period=p,
                    details={
                        "cci": cci,
                        "baseline_cci": base,
                        "shift": shift,
                        "events": n,
                        "baseline_events": base_n,
                        "rule": rule.describe(),
                    },
                )
            )
        return out


# --------------------------------------------------------------------------- storage


def evaluated_until(con) -> dt.datetime | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [CURSOR_KEY]).fetchall()
    row = row[0] if row else None
    return dt.datetime.fromisoformat(row[0]) if row and row[0] else None


def init_cursor(con) -> None:
    """First watch of a database: alerts start from the documents stored from now on (the ones
    already there, e.g. from `detente code`, are history, not news)."""
    if evaluated_until(con) is None:
        last = con.execute("SELECT max(coded_at) FROM documents").fetchall()[0][0]
        mark = (last or dt.datetime(1970, 1, 1)).isoformat()
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [CURSOR_KEY, mark])


def unevaluated_batches(con) -> list[tuple[dt.datetime, list[str]]]:
    """Batches stored after the last evaluated one (a watcher killed between a batch and its
    alerts), oldest first, as (coded_at, document ids)."""
    mark = evaluated_until(con)
    if mark is None:
        return []
    rows = con.execute(
        "SELECT coded_at, list(id ORDER BY id) FROM documents WHERE coded_at > ? "
        "GROUP BY coded_at ORDER BY coded_at",
        [mark],
    ).fetchall()
    return [(r[0], list(r[1])) for r in rows]


def batch_mark(con, doc_ids: Sequence[str]) -> dt.datetime | None:
    if not doc_ids:
        return None
    con.register("_mark_docs", pd.DataFrame({"id": list(doc_ids)}))
    try:
        return con.execute(
            "SELECT max(coded_at) FROM documents WHERE id IN (SELECT id FROM _mark_docs)"
        ).fetchall()[0][0]
    finally:
        con.unregister("_mark_docs")


def record_alerts(con, alerts: Sequence[Alert], mark: dt.datetime | None, webhook: bool) -> list[Alert]:
    """Insert the alerts not raised before and move the evaluation mark, in one transaction.
    Returns the alerts actually added (with seq and created_at set)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    added: list[Alert] = []
    con.execute("BEGIN TRANSACTION")
    try:
        seq = con.execute("SELECT coalesce(max(seq), 0) FROM alerts").fetchall()[0][0]
        known = set()
        if alerts:
            placeholders = ",".join("?" * len(alerts))
            known = {
                r[0]
                for r in con.execute(
                    f"SELECT id FROM alerts WHERE id IN ({placeholders})", [a.id for a in alerts]
                ).fetchall()
            }
        for a in alerts:
            if a.id in known:
                continue
            known.add(a.id)
            seq += 1
            a.seq, a.created_at = seq, now
            con.execute(
                "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    a.id,
                    a.seq,
                    a.key,
                    a.rule,
                    a.kind,
                    now,
                    a.period,
                    a.message,
                    a.event_ids,
                    json.dumps(a.details, default=str),
                    "pending" if webhook else None,
                    0,
                ],
            )
            added.append(a)
        if mark is not None:
            cur = evaluated_until(con)
            if cur is None or mark > cur:
                con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [CURSOR_KEY, mark.isoformat()])
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):  # the error raised below is the one to report
            con.execute("ROLLBACK")
        raise
    return added


ALERT_COLUMNS = (
    "id, seq, rule, kind, created_at, period, message, event_ids, details, webhook_status, webhook_attempts"
)


def has_alerts_table(con) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'alerts'").fetchall()[
            0
        ][0]
    )


def list_alerts(
    con,
    *,
    after: int = 0,
    limit: int = 50,
    rule: str | None = None,
    since: dt.date | None = None,
    newest_first: bool = True,
) -> list[dict[str, Any]]:
    """Alerts as JSON-ready dicts (the payload fields plus webhook status)."""
    if not has_alerts_table(con):
        return []
    where, params = ["seq > ?"], [int(after)]
    if rule:
        where.append("rule = ?")
        params.append(rule)
    if since:
        where.append("created_at >= ?")
        params.append(since)
    order = "DESC" if newest_first else "ASC"
    rows = con.execute(
        f"SELECT {ALERT_COLUMNS} FROM alerts WHERE {' AND '.join(where)} ORDER BY seq {order} LIMIT ?",
        params + [int(limit)],
    ).fetchall()
    keys = [c.strip() for c in ALERT_COLUMNS.split(",")]
    out = []
    for r in rows:
        d = dict(zip(keys, r))
        d["created_at"] = d["created_at"].isoformat() + "Z" if d["created_at"] else None
        d["period"] = d["period"].isoformat() if d["period"] else None
        d["event_ids"] = list(d["event_ids"] or [])
        d["details"] = json.loads(d["details"]) if d["details"] else {}
        out.append(d)
    return out


def pending_webhook_alerts(con) -> list[Alert]:
    rows = con.execute(
        "SELECT id, seq, key, rule, kind, created_at, period, message, event_ids, details "
        "FROM alerts WHERE webhook_status = 'pending' ORDER BY seq"
    ).fetchall()
    return [
        Alert(
            id=r[0],
            seq=r[1],
            key=r[2],
            rule=r[3],
            kind=r[4],
            created_at=r[5],
            period=r[6],
            message=r[7],
            event_ids=list(r[8] or []),
            details=json.loads(r[9]) if r[9] else {},
        )
        for r in rows
    ]


def record_deliveries(con, results: Sequence[tuple[str, str, int]]) -> None:
    for alert_id, status, attempts in results:
        con.execute(
            "UPDATE alerts SET webhook_status = ?, webhook_attempts = webhook_attempts + ? WHERE id = ?",
            [status, attempts, alert_id],
        )


# --------------------------------------------------------------------------- webhook


class WebhookSender:
    """POSTs alerts as JSON from a background thread, retrying with exponential backoff, so a slow
    or failing receiver never holds up coding. Results (alert id, 'sent' | 'failed' | 'pending',
    attempts) are collected for the watcher to record; an alert still pending when the watcher
    stops is sent again when it starts (receivers can deduplicate by the alert `id`)."""

    def __init__(
        self,
        url: str,
        *,
        attempts: int = 5,
        timeout: float = 5.0,
        first_delay: float = 1.0,
        max_delay: float = 60.0,
        log: Callable[..., None] | None = None,
        max_queue: int = 10_000,
    ):
        if not url.startswith(("http://", "https://")):
            raise DetenteError(f"webhook {url!r}: expected an http:// or https:// URL")
        self.url = url
        self.attempts = max(1, attempts)
        self.timeout = timeout
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.log = log or (lambda *a, **k: None)
        self._queue: queue.Queue = queue.Queue(max_queue)
        self._results: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._queued: set[str] = set()
        self._busy = False
        self._thread = threading.Thread(target=self._loop, name="detente-webhook", daemon=True)
        self._thread.start()

    def submit(self, alert: Alert) -> None:
        """Queue an alert (never blocks; a full queue leaves it pending in the database)."""
        if alert.id in self._queued:
            return
        try:
            self._queue.put_nowait(alert)
            self._queued.add(alert.id)
        except queue.Full:
            self.log("warning", "webhook_queue_full", alert=alert.id)

    def results(self) -> list[tuple[str, str, int]]:
        out = []
        while True:
            try:
                out.append(self._results.get_nowait())
            except queue.Empty:
                return out

    def _post(self, body: bytes) -> None:
        req = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "detente-watch"},
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            resp.read(65536)
            if not 200 <= resp.status < 300:
                raise urllib.error.HTTPError(self.url, resp.status, resp.reason, resp.headers, None)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                alert = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            self._busy = True
            body = json.dumps(alert.payload(), default=str).encode("utf-8")
            delay, status, tries = self.first_delay, "failed", 0
            for attempt in range(1, self.attempts + 1):
                tries = attempt
                try:
                    self._post(body)
                    status = "sent"
                    break
                except Exception as e:  # noqa: BLE001 - any failure of the receiver or the network: retry
                    err = str(e).splitlines()[0] if str(e) else type(e).__name__
                    self.log("warning", "webhook_failed", alert=alert.id, attempt=attempt, error=err[:200])
                    if attempt == self.attempts:
                        break
                    if self._stop.wait(delay):  # shutting down: leave it pending for next time
                        status = "pending"
                        break
                    delay = min(delay * 2, self.max_delay)
            self._queued.discard(alert.id)
            self.log(
                "info" if status == "sent" else "warning", "webhook_" + status, alert=alert.id, attempts=tries
            )
            self._results.put((alert.id, status, tries))
            self._busy = False

    def close(self, grace: float = 5.0) -> None:
        """Deliver what is queued for up to `grace` seconds, then stop (the rest stays pending)."""
        deadline = time.monotonic() + grace
        while (self._busy or not self._queue.empty()) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stop.set()
        self._thread.join(max(0.0, deadline - time.monotonic()) + self.timeout + 0.5)
