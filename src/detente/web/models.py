"""Response models of the REST API: the OpenAPI document describes every field from these.

Dates are ISO strings (YYYY-MM-DD); a missing value is null. Models allow extra fields so that a
column added to the store later is passed through rather than silently dropped.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class EventRow(_Open):
    """One event as stored (flattened PLOVER record) with its evidence."""

    id: str = Field(description="Stable event id")
    doc_id: str = Field(description="Document the event was coded from")
    date: str | None = Field(None, description="Event date (YYYY-MM-DD); see date_precision")
    date_precision: str | None = Field(
        None,
        description="day | week | month | year: how much of the date the "
        "text says (a year-only date is the year's 1 January)",
    )
    event: str = Field(description="PLOVER event type")
    mode: str | None = None
    context: list[str] | None = None
    quad_code: int | None = Field(
        None, description="1 verbal coop, 2 material coop, 3 verbal conflict, 4 material conflict"
    )
    cameo_code: str | None = None
    goldstein: float | None = Field(None, description="Goldstein score -10..+10")
    event_scale: float | None = Field(None, description="PLOVER conflict-cooperation score")
    source_code: str | None = Field(
        None, description="First source actor: ISO 3166 alpha-3 or organisation code"
    )
    source_sector: str | None = None
    target_code: str | None = None
    target_sector: str | None = None
    event_text: str | None = Field(None, description="Trigger words")
    text: str | None = Field(None, description="Evidence sentence")
    span_start: int | None = Field(None, description="Evidence sentence start (characters in the document)")
    span_end: int | None = None
    loc_name: str | None = None
    loc_country: str | None = None
    lat: float | None = None
    lon: float | None = None
    confidence: float | None = None
    negated: bool | None = None
    hypothetical: bool | None = None
    future: bool | None = None
    historical: bool | None = None
    symmetric: bool | None = Field(
        None, description="A reciprocal event (A met B), stored once each way; undirected views count it once"
    )
    n_mentions: int | None = Field(None, description="Documents reporting the event (near-duplicate copies)")
    doc_title: str | None = None


class EventsPage(BaseModel):
    total: int = Field(description="Events matching the filters")
    limit: int
    offset: int
    next: str | None = Field(None, description="Path and query of the next page (null on the last page)")
    events: list[EventRow]


class Actor(_Open):
    code: str
    sector: str | None = None
    text: str | None = None
    name: str | None = None


class Location(_Open):
    text: str | None = None
    name: str | None = None
    country_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    geonameid: int | None = None


class EventRecord(_Open):
    """The full PLOVER record of one event, with the documents that report it."""

    id: str
    doc_id: str
    date: str | None = None
    date_precision: str | None = None
    actor: list[Actor]
    recipient: list[Actor]
    event: str
    mode: str | None = None
    context: list[str] = []
    quad_code: int | None = None
    cameo_code: str | None = None
    goldstein: float | None = None
    event_scale: float | None = None
    event_loc: Location | None = None
    event_text: str | None = None
    text: str | None = None
    span: dict[str, int | None]
    confidence: float | None = None
    flags: dict[str, bool]
    symmetric: bool | None = None
    coder_version: str | None = None
    mentions: list[str] = Field(description="Documents reporting this event")


class DocumentEvent(_Open):
    id: str
    date: str | None = None
    event: str
    quad_code: int | None = None
    source_code: str | None = None
    source_sector: str | None = None
    target_code: str | None = None
    target_sector: str | None = None
    event_text: str | None = None
    text: str | None = None
    span_start: int | None = Field(
        None, description="Evidence sentence in this document's text (null if not found)"
    )
    span_end: int | None = None
    trigger_start: int | None = None
    trigger_end: int | None = None
    confidence: float | None = None
    negated: bool | None = None
    hypothetical: bool | None = None
    doc_id: str | None = Field(
        None, description="Document the event was coded from (another one for a near-duplicate copy)"
    )


class DocumentOut(_Open):
    id: str
    title: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    text: str | None = None
    duplicate_of: str | None = None
    events: list[DocumentEvent]


class SeriesRow(_Open):
    period: str = Field(description="First day of the period")
    period_end: str = Field(description="Last day of the period")
    events: int | float = Field(description="Events (or mentions, with weight=mentions)")
    q1: int | float
    q2: int | float
    q3: int | float
    q4: int | float
    coop: int | float = Field(description="q1 + q2")
    conflict: int | float = Field(description="q3 + q4")
    cci: float | None = Field(None, description="(coop - conflict) / (coop + conflict); null for no events")
    goldstein: float | None = Field(None, description="Mean Goldstein score")
    event_scale: float | None = None
    event_ids: list[str] = Field(description="The events counted (first max_ids of them)")
    n_ids: int = Field(description="How many events the period holds")
    types: dict[str, int | float] = Field(description="Counts by PLOVER type (non-zero only)")


class SeriesOut(BaseModel):
    a: str
    b: str
    directed: bool
    period: str
    weight: str
    include_flagged: bool
    include_historical: bool
    include_future: bool
    include_imprecise: bool
    cci_definition: str
    undated: int = Field(description="Events of the dyad without a date (not in the series)")
    imprecise: int = Field(
        description="Events dated less precisely than the period, left out unless include_imprecise"
    )
    series: list[SeriesRow]


class SpikeRow(_Open):
    period: str
    events: int | float
    baseline_mean: float
    baseline_std: float
    z: float
    direction: str = Field(description="up | down")
    cci: float | None = None
    goldstein: float | None = None
    top_event_ids: list[str]
    event_ids: list[str]
    top_events: list[EventRow]


class SpikesOut(BaseModel):
    a: str
    b: str
    period: str
    spikes: list[SpikeRow]


class ActorRow(_Open):
    code: str
    name: str | None = Field(None, description="The most used canonical name in the stories")
    events: int
    as_source: int
    as_target: int
    coop: int
    conflict: int
    cci: float | None = None
    goldstein: float | None = None


class ActorsOut(BaseModel):
    actors: list[ActorRow]


class DyadRow(_Open):
    a: str
    b: str
    events: int
    coop: int
    conflict: int
    cci: float | None = None
    goldstein: float | None = None


class DyadsOut(BaseModel):
    dyads: list[DyadRow]


class NetworkNode(_Open):
    code: str
    events: int
    degree: int
    coop: int
    conflict: int
    cci: float | None = None
    x: float | None = Field(None, description="Force-directed layout position (with layout=true)")
    y: float | None = None


class NetworkEdge(DyadRow):
    sign: int = Field(description="+1 mostly cooperation, -1 mostly conflict, 0 balanced")


class NetworkOut(BaseModel):
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]


class LocationRow(_Open):
    place: str | None = None
    country: str | None = None
    lat: float
    lon: float
    events: int
    coop: int
    conflict: int
    cci: float | None = None
    event_ids: list[str] = Field(description="Up to 20 event ids (all: /events?lat=..&lon=..)")


class LocationsOut(BaseModel):
    locations: list[LocationRow]


class SearchEvent(_Open):
    id: str
    date: str | None = None
    doc_id: str
    event: str
    source_code: str | None = None
    target_code: str | None = None
    text: str | None = None
    span_start: int | None = None
    span_end: int | None = None
    score: float = Field(description="BM25 score of the evidence sentence")


class SearchDocument(_Open):
    id: str
    title: str | None = None
    date: str | None = None
    source: str | None = None
    n_events: int | None = None
    snippet: str | None = None
    score: float = Field(description="BM25 score of title and text")


class SearchOut(BaseModel):
    q: str
    terms: list[str]
    events: list[SearchEvent]
    documents: list[SearchDocument]


class DefaultView(BaseModel):
    a: str
    b: str
    events: int
    since: str
    until: str
    period: str


class StatsOut(_Open):
    documents: int
    events: int = Field(description="Events counted (flags as asked; symmetric pairs once)")
    first_event: str | None = None
    last_event: str | None = None
    first_document: str | None = Field(None, description="Date of the earliest story")
    last_document: str | None = None
    duplicates: int
    mentions: int
    by_type: dict[str, int]
    by_quad: dict[str, int]
    negated: int
    hypothetical: int
    historical: int
    future: int
    include_flagged: bool
    include_historical: bool
    include_future: bool
    default_view: DefaultView | None = Field(
        None, description="The busiest dyad over the last year of stories"
    )
