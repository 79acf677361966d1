// Detente dashboard: talks only to the local API (same origin); plotly.js and the world outlines are
// served by the same server from installed packages. Text from the database is only ever inserted with
// textContent (never innerHTML). The view (actors, dates, filters) lives in the page URL, so a view can
// be shared and the back button goes to the previous view.
"use strict";

const $ = (id) => document.getElementById(id);
const QUAD = {1: ["verbal cooperation", "#7fbf7b"], 2: ["material cooperation", "#1b7837"],
              3: ["verbal conflict", "#f4a582"], 4: ["material conflict", "#b2182b"]};
const TYPES = ["AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST", "ACCUSE",
               "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT"];
const CODE_RE = /^[A-Za-z0-9]{2,12}(:[A-Za-z]{2,5})?$/;
const MAX_BARS = 1000;          // more bars than this are unreadable: the period is made coarser
const PLOT_CONFIG = {displaylogo: false, responsive: true, topojsonURL: "/vendor/", showSendToCloud: false,
                     modeBarButtonsToRemove: ["sendDataToCloud"]};
const state = {series: null, spikes: [], a: null, b: null, ready: false, events: [], doc: null, stats: null,
               view: null, known: new Map(), locations: [], busy: 0};
window.detente = state;   // for tests and curious users

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

async function api(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(params || {})) if (v !== "" && v !== null && v !== undefined && v !== false) url.searchParams.set(k, v);
  const r = await fetch(url, {headers: {Accept: "application/json"}});
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const d = body.detail;
    throw new Error(Array.isArray(d) ? d.map((x) => x.msg).join("; ") : (d || r.statusText));
  }
  return body;
}

function say(msg) { $("message").textContent = msg || ""; }            // errors
function note(msg) { $("note").textContent = msg || ""; }            // what the view leaves out or changed

async function busy(label, fn) {
  state.busy += 1;
  $("loading").textContent = label || "Loading…";
  document.body.setAttribute("aria-busy", "true");
  try { return await fn(); } finally {
    state.busy -= 1;
    if (!state.busy) { $("loading").textContent = ""; document.body.removeAttribute("aria-busy"); }
  }
}

// ------------------------------------------------------------------ the view (form <-> URL)
function readForm() {
  const quads = [...document.querySelectorAll("input.quad:checked")].map((x) => x.value);
  return {a: $("actor-a").value.trim(), b: $("actor-b").value.trim(), compare: $("compare").value.trim(),
          since: $("since").value, until: $("until").value, period: $("period").value,
          types: [...$("types").selectedOptions].map((o) => o.value), quad: quads.length === 4 ? [] : quads,
          directed: $("directed").checked, flagged: $("flagged").checked, historical: $("historical").checked,
          future: $("future").checked, imprecise: $("imprecise").checked};
}

function writeForm(v) {
  $("actor-a").value = v.a || ""; $("actor-b").value = v.b || ""; $("compare").value = v.compare || "";
  $("since").value = v.since || ""; $("until").value = v.until || ""; $("period").value = v.period || "week";
  for (const o of $("types").options) o.selected = (v.types || []).includes(o.value);
  for (const q of document.querySelectorAll("input.quad")) q.checked = !(v.quad || []).length || v.quad.includes(q.value);
  for (const k of ["directed", "flagged", "historical", "future", "imprecise"]) $(k).checked = !!v[k];
}

function viewToQuery(v) {
  const q = new URLSearchParams();
  for (const k of ["a", "b", "compare", "since", "until", "period"]) if (v[k]) q.set(k, v[k]);
  if (v.types.length) q.set("types", v.types.join(","));
  if (v.quad.length) q.set("quad", v.quad.join(","));
  for (const k of ["directed", "flagged", "historical", "future", "imprecise"]) if (v[k]) q.set(k, "1");
  return q;
}

function queryToView(q) {
  const list = (k) => (q.get(k) || "").split(",").filter(Boolean);
  const v = {a: q.get("a") || "", b: q.get("b") || "", compare: q.get("compare") || "", since: q.get("since") || "",
             until: q.get("until") || "", period: q.get("period") || "week", types: list("types"), quad: list("quad")};
  for (const k of ["directed", "flagged", "historical", "future", "imprecise"]) v[k] = q.get(k) === "1" || q.get(k) === "true";
  return v;
}

function filterParams(v) {
  return {since: v.since, until: v.until, include_flagged: v.flagged, include_historical: v.historical,
          include_future: v.future, type: v.types.join(","), quad: v.quad.join(",")};
}

// ------------------------------------------------------------------ actors: codes or names
async function resolveActor(text, allowAll) {
  const t = text.trim();
  if (!t) return null;
  if (allowAll && t === "*") return "*";
  if (CODE_RE.test(t) && state.known.has(t.toUpperCase().split(":")[0])) return t.toUpperCase();
  const found = (await api("/actors", {q: t.split(":")[0], n: 10})).actors;
  if (!found.length) throw new Error(`No actor matches “${t}” in this database.`);
  const low = t.toLowerCase();
  const exact = found.find((x) => x.code.toLowerCase() === low || (x.name || "").toLowerCase() === low);
  const pick = exact || found[0];
  for (const x of found) state.known.set(x.code, x);
  if (!exact && found.length > 1) note(`“${t}” taken as ${pick.code}${pick.name ? " (" + pick.name + ")" : ""}; others: ` +
                                      found.slice(1, 5).map((x) => x.code).join(", "));
  return pick.code;
}

let suggestTimer = null;
function suggest(input, list) {
  clearTimeout(suggestTimer);
  suggestTimer = setTimeout(async () => {
    const q = input.value.trim();
    if (!q || q === "*") return;
    try {
      const r = await api("/actors", {q, n: 12});
      list.replaceChildren(...r.actors.map((x) => el("option", {value: x.code}, `${x.name || x.code} (${x.events} events)`)));
    } catch (e) { /* typing: suggestions are best effort */ }
  }, 200);
}

// ------------------------------------------------------------------ series
function clearView(message) {
  for (const id of ["series", "compare-chart"]) Plotly.purge($(id));
  $("compare-panel").hidden = true;
  state.series = null; state.spikes = [];
  $("events").replaceChildren();
  $("events-title").textContent = "Events";
  $("series-empty").hidden = !message;
  $("series-empty").textContent = message || "";
}

function dataRange() {
  const st = state.stats || {};
  const ev = st.first_event ? `events ${st.first_event} – ${st.last_event}` : "no events";
  const docs = st.first_document ? `stories ${st.first_document} – ${st.last_document}` : "";
  return [ev, docs].filter(Boolean).join("; ");
}

function seriesPath(v) {
  return v.b === "*" ? `/actors/${encodeURIComponent(v.a)}/series`
                     : `/dyads/${encodeURIComponent(v.a)}/${encodeURIComponent(v.b)}/series`;
}

function periodsBetween(since, until, period) {
  if (!since || !until) return 0;
  const days = (new Date(until) - new Date(since)) / 86400000;
  return Math.floor(days / {day: 1, week: 7, month: 30}[period]) + 1;
}

async function render(push) {
  const v = readForm();
  say(""); note("");
  await busy("Loading…", async () => {
    let a, b;
    try {
      a = await resolveActor(v.a, false);
      b = await resolveActor(v.b, true);
    } catch (e) { clearView(e.message); say(e.message); return finish(v, push); }
    if (!a || !b) { clearView("Pick two actors (a code such as USA, or a name), or * as Actor B for all."); return finish(v, push); }
    v.a = a; v.b = b; $("actor-a").value = a; $("actor-b").value = b;
    if (!v.since && !v.until && state.stats && state.stats.default_view) {
      v.since = state.stats.default_view.since; v.until = state.stats.default_view.until;
      $("since").value = v.since; $("until").value = v.until;
    }
    let coarser = false;
    while (periodsBetween(v.since, v.until, v.period) > MAX_BARS && v.period !== "month") {
      v.period = v.period === "day" ? "week" : "month"; coarser = true;
    }
    $("period").value = v.period;
    state.a = a; state.b = b; state.view = v;
    const params = {...filterParams(v), period: v.period, directed: v.b !== "*" && v.directed,
                    include_imprecise: v.imprecise};
    // everything of the view at once: the chart, its spikes, the map and the network
    const spikesP = v.b === "*" ? Promise.resolve({spikes: []})
      : api(`/dyads/${encodeURIComponent(v.a)}/${encodeURIComponent(v.b)}/spikes`,
            {...filterParams(v), period: v.period, directed: params.directed}).catch(() => ({spikes: []}));
    const mapP = showMap(v), netP = showNetwork(v);
    let s;
    try { s = await api(seriesPath(v), params); }
    catch (e) { clearView(e.message); say(e.message); await Promise.all([mapP, netP]); return finish(v, push); }
    state.series = s;
    const total = s.series.reduce((n, p) => n + p.events, 0);
    const arrow = v.b === "*" ? "with all" : (params.directed ? "→" : "↔");
    $("series-title").textContent = `${a} ${arrow} ${v.b === "*" ? "" : b}`.replace(/\s+$/, "") + `: ${total} events by ${s.period}`;
    const notes = [];
    if (coarser) notes.push(`period made coarser (${s.period}) to keep the chart readable`);
    if (s.imprecise) notes.push(`${s.imprecise} event${s.imprecise > 1 ? "s" : ""} dated only to a month or year not shown (tick “month/year-only dates”)`);
    if (!total) {
      clearView(`No events for ${a}–${b === "*" ? "all" : b} in this view. The data runs: ${dataRange()}.` +
                (notes.length ? " " + notes.join("; ") + "." : ""));
      state.series = s;
    } else {
      $("series-empty").hidden = true;
      if (notes.length) note(notes.join("; ") + ".");
      await drawSeries(s, v, (await spikesP).spikes);
    }
    await Promise.all([mapP, netP, showCompare(v)]);
    return finish(v, push);
  });
}

function finish(v, push) {
  const q = viewToQuery(v).toString();
  const url = q ? `?${q}` : window.location.pathname;
  if (push && url !== window.location.search) history.pushState(q, "", url);
  state.ready = true;
  document.body.dataset.ready = "1";
}

async function drawSeries(s, v, spikes) {
  const x = s.series.map((p) => p.period);
  const traces = [1, 2, 3, 4].map((q) => ({
    type: "bar", name: QUAD[q][0], x, y: s.series.map((p) => p["q" + q]), marker: {color: QUAD[q][1]},
    customdata: s.series.map((p, i) => i), hovertemplate: "%{x}: %{y} " + QUAD[q][0] + "<extra></extra>"}));
  traces.push({type: "scatter", mode: "lines+markers", name: "CCI", x, y: s.series.map((p) => p.cci),
               yaxis: "y2", line: {color: "#2166ac", width: 2}, connectgaps: false,
               customdata: s.series.map((p, i) => i), hovertemplate: "%{x}: CCI %{y:.2f}<extra></extra>"});
  state.spikes = spikes.filter((sp) => sp.direction === "up");
  const byPeriod = new Map(s.series.map((p, i) => [p.period, i]));
  const sp = state.spikes.filter((p) => byPeriod.has(p.period));
  if (sp.length) {
    traces.push({type: "scatter", mode: "markers", name: "spike", x: sp.map((p) => p.period),
                 y: sp.map((p) => s.series[byPeriod.get(p.period)].events * 1.08 + 0.3),
                 marker: {symbol: "triangle-up", size: 13, color: "#6a3d9a"}, customdata: sp.map((p, i) => "spike:" + i),
                 text: sp.map((p) => `spike: ${p.events} events (baseline ${p.baseline_mean.toFixed(1)}, z ${p.z.toFixed(1)})`),
                 hovertemplate: "%{x}: %{text}<extra></extra>"});
    state.spikes = sp;
  }
  const layout = {barmode: "stack", margin: {l: 45, r: 50, t: 10, b: 40}, legend: {orientation: "h", y: -0.15},
                  xaxis: {type: "date", tickformat: "%Y-%m-%d"}, yaxis: {title: {text: "events"}, rangemode: "tozero"},
                  yaxis2: {title: {text: "CCI"}, overlaying: "y", side: "right", range: [-1.05, 1.05], zeroline: true},
                  hovermode: "closest"};
  await Plotly.react("series", traces, layout, PLOT_CONFIG);
  const gd = $("series");
  if (!gd._detenteBound) {
    gd.on("plotly_click", (ev) => {
      if (!ev.points.length) return;
      const c = ev.points[0].customdata;
      if (typeof c === "string" && c.startsWith("spike:")) showSpike(Number(c.slice(6)));
      else showPeriod(c);
    });
    gd._detenteBound = true;
  }
}

async function showCompare(v) {
  const pairs = (v.compare || "").split(/[;|]/).map((p) => p.trim()).filter(Boolean).slice(0, 4)
    .map((p) => p.split(/[-,\s]+/).filter(Boolean)).filter((p) => p.length === 2);
  if (!pairs.length || !state.series) { $("compare-panel").hidden = true; Plotly.purge($("compare-chart")); return; }
  const params = {...filterParams(v), period: v.period, include_imprecise: v.imprecise, max_ids: 0};
  const mine = {name: `${state.a}–${state.b === "*" ? "all" : state.b}`, s: state.series};
  const others = await Promise.all(pairs.map(async ([a, b]) => {
    try {
      const ca = await resolveActor(a, false), cb = await resolveActor(b, true);
      const s = await api(seriesPath({a: ca, b: cb}), params);
      return {name: `${ca}–${cb === "*" ? "all" : cb}`, s};
    } catch (e) { say(e.message); return null; }
  }));
  const lines = [mine, ...others.filter(Boolean)].map((d) => ({
    type: "scatter", mode: "lines+markers", name: d.name, x: d.s.series.map((p) => p.period),
    y: d.s.series.map((p) => p.events), hovertemplate: `${d.name} %{x}: %{y} events<extra></extra>`}));
  $("compare-panel").hidden = false;
  await Plotly.react("compare-chart", lines, {margin: {l: 45, r: 20, t: 10, b: 40}, xaxis: {type: "date"},
                                              yaxis: {title: {text: "events"}, rangemode: "tozero"},
                                              legend: {orientation: "h", y: -0.2}}, PLOT_CONFIG);
}

function periodEventsParams(since, until) {
  const v = state.view;
  const p = {...filterParams(v), since, until, limit: 500};
  if (state.b === "*") p.involving = state.a;
  else { p.dyad = `${state.a},${state.b}`; p.directed = v.directed; }
  return p;
}

async function showPeriod(i) {
  const p = state.series.series[i];
  let r;
  try { r = await busy("Loading events…", () => api("/events", periodEventsParams(p.period, p.period_end))); }
  catch (e) { say(e.message); return; }
  $("events-title").textContent = `Events ${p.period}${p.period_end !== p.period ? " – " + p.period_end : ""} (${r.total})`;
  listEvents($("events"), r.events);
}

async function showSpike(i) {
  const sp = state.spikes[i];
  $("events-title").textContent = `Spike ${sp.period}: ${sp.events} events (baseline ${sp.baseline_mean.toFixed(1)}), strongest first`;
  const top = new Set(sp.top_event_ids);
  const rest = (await busy("Loading events…", () => api("/events", periodEventsParams(sp.period, state.series.series.find((p) => p.period === sp.period).period_end)))).events;
  listEvents($("events"), [...sp.top_events, ...rest.filter((e) => !top.has(e.id))]);
}

function eventLine(e) {
  const who = `${e.date || "?"} ${e.source_code || "-"}${e.source_sector ? ":" + e.source_sector : ""} → ${e.target_code || "-"}${e.target_sector ? ":" + e.target_sector : ""}`;
  const flags = ["historical", "future", "negated", "hypothetical"].filter((f) => e[f]);
  const btn = el("button", {type: "button", class: "event-btn", "aria-label": `${e.event} ${who}: open the story`},
    el("span", {class: "tag"}, e.event), " ", who,
    e.date_precision && e.date_precision !== "day" ? ` (${e.date_precision})` : "",
    e.n_mentions > 1 ? ` (${e.n_mentions} reports)` : "",
    ...flags.map((f) => el("span", {class: "flag"}, f)),
    el("span", {class: "sent"}, e.text || ""));
  const li = el("li", {class: "q" + (e.quad_code || 0), "data-event-id": e.id, "data-doc-id": e.doc_id}, btn);
  btn.addEventListener("click", () => { markActive(li); showEvidence(e.doc_id, e.id); });
  return li;
}

function listEvents(ol, events) {
  if (ol.id === "events") state.events = events;
  ol.replaceChildren(...events.map(eventLine));
  if (!events.length) ol.append(el("li", {class: "none"}, "no events"));
}

function markActive(li) {
  for (const x of document.querySelectorAll(".events li.active")) x.classList.remove("active");
  li.classList.add("active");
}

// ------------------------------------------------------------------ evidence
async function showEvidence(docId, eventId) {
  let d;
  try { d = await busy("Loading story…", () => api(`/documents/${encodeURIComponent(docId)}`)); } catch (e) { say(e.message); return; }
  state.doc = d;
  $("evidence-title").textContent = d.title || d.id;
  $("evidence-meta").textContent = [d.date, d.source, d.url].filter(Boolean).join(" · ");
  const text = d.text || "";
  const marks = d.events.filter((m) => m.span_start !== null && m.span_end !== null)
    .sort((x, y) => x.span_start - y.span_start || (x.id === eventId ? -1 : 1));
  const out = [];
  let pos = 0, target = null;
  for (const m of marks) {
    if (m.span_start < pos) continue;               // overlapping sentence already marked
    out.push(document.createTextNode(text.slice(pos, m.span_start)));
    const same = marks.filter((o) => o.span_start === m.span_start && o.span_end === m.span_end);
    const isTarget = same.some((o) => o.id === eventId);
    const mk = el("mark", {class: isTarget ? "evidence" : "other", "data-event-ids": same.map((o) => o.id).join(" "),
                           title: same.map((o) => `${o.event} ${o.source_code || "-"}→${o.target_code || "-"}`).join("; ")});
    const trig = same.find((o) => o.id === eventId) || m;
    if (isTarget && trig.trigger_start !== null && trig.trigger_start >= m.span_start && trig.trigger_end <= m.span_end) {
      mk.append(text.slice(m.span_start, trig.trigger_start), el("span", {class: "trigger"}, text.slice(trig.trigger_start, trig.trigger_end)),
                text.slice(trig.trigger_end, m.span_end));
    } else {
      mk.append(text.slice(m.span_start, m.span_end));
    }
    if (isTarget) target = mk;
    out.push(mk);
    pos = m.span_end;
  }
  out.push(document.createTextNode(text.slice(pos)));
  $("evidence").replaceChildren(...out);
  if (target) target.scrollIntoView({block: "center"});
}

// ------------------------------------------------------------------ map
async function showMap(v) {
  const params = {...filterParams(v)};
  if (state.b && state.b !== "*") params.dyad = `${state.a},${state.b}`;
  let r;
  try { r = await api("/locations", params); } catch (e) { say(e.message); return; }
  const L = r.locations;
  const outlines = window.DETENTE_OUTLINES === true;
  const trace = {type: "scattergeo", mode: "markers", lat: L.map((l) => l.lat), lon: L.map((l) => l.lon),
                 text: L.map((l) => `${l.place || "?"} (${l.country || "-"}): ${l.events} events, CCI ${l.cci === null ? "-" : l.cci.toFixed(2)}`),
                 customdata: L.map((l, i) => i), hoverinfo: "text",
                 marker: {size: L.map((l) => 6 + 4 * Math.sqrt(l.events)), color: L.map((l) => l.cci === null ? 0 : l.cci),
                          colorscale: [[0, "#b2182b"], [0.5, "#f7f7f7"], [1, "#1b7837"]], cmin: -1, cmax: 1,
                          showscale: true, colorbar: {title: {text: "CCI"}, thickness: 10, len: 0.6,
                                                      tickvals: [-1, 0, 1], ticktext: ["conflict", "balance", "coop"]},
                          line: {color: "#333", width: 0.5}}};
  const geo = {projection: {type: "natural earth", scale: 1}, fitbounds: false, showland: false, showocean: false, showlakes: false,
               showrivers: false, showsubunits: false, showcoastlines: outlines, showcountries: outlines,
               coastlinecolor: "#8a96a3", countrycolor: "#c3cbd3", bgcolor: "#fbfcfd", showframe: true,
               lataxis: {showgrid: !outlines}, lonaxis: {showgrid: !outlines}};
  // no scroll-wheel zoom: scrolling the page over the map must scroll the page
  await Plotly.react("map", [trace], {geo, margin: {l: 0, r: 0, t: 0, b: 0}}, {...PLOT_CONFIG, scrollZoom: false});
  const gd = $("map");
  state.locations = L;
  if (!gd._detenteBound) {
    gd.on("plotly_click", (ev) => showPlace(state.locations[ev.points[0].customdata]));
    gd._detenteBound = true;
  }
}

async function showPlace(loc) {
  const p = {...filterParams(state.view), lat: loc.lat, lon: loc.lon, limit: 500};
  if (state.b && state.b !== "*") p.dyad = `${state.a},${state.b}`;
  let r;
  try { r = await busy("Loading events…", () => api("/events", p)); } catch (e) { say(e.message); return; }
  $("events-title").textContent = `Events at ${loc.place} (${r.total}${r.total > r.events.length ? ", first " + r.events.length : ""})`;
  listEvents($("events"), r.events);
}

// ------------------------------------------------------------------ network
async function showNetwork(v) {
  let r;
  try { r = await api("/network", {...filterParams(v), max_edges: 60, layout: true}); } catch (e) { say(e.message); return; }
  const nodes = r.nodes.slice(0, 40), idx = new Map(nodes.map((n, i) => [n.code, i]));
  const maxW = Math.max(1, ...r.edges.map((e) => e.events));
  const edges = r.edges.filter((e) => idx.has(e.a) && idx.has(e.b));
  const colour = (e) => e.sign > 0 ? "rgba(27,120,55,.6)" : e.sign < 0 ? "rgba(178,24,43,.6)" : "rgba(120,120,120,.5)";
  // edges take no clicks or hovers ("skip"), so a node under an edge's end is always clickable;
  // what an edge says (events, CCI) is in the hover text of both its actors
  const traces = edges.map((e) => ({
    type: "scatter", mode: "lines", hoverinfo: "skip", showlegend: false,
    x: [nodes[idx.get(e.a)].x, nodes[idx.get(e.b)].x], y: [nodes[idx.get(e.a)].y, nodes[idx.get(e.b)].y],
    line: {width: 1 + 7 * e.events / maxW, color: colour(e)}}));
  const partners = new Map(nodes.map((n) => [n.code, []]));
  for (const e of edges) {
    const cci = e.cci === null ? "-" : e.cci.toFixed(2);
    partners.get(e.a).push(`${e.b}: ${e.events} events, CCI ${cci}`);
    partners.get(e.b).push(`${e.a}: ${e.events} events, CCI ${cci}`);
  }
  const top = nodes[0] ? nodes[0].events : 1;
  traces.push({type: "scatter", mode: "markers+text", x: nodes.map((n) => n.x), y: nodes.map((n) => n.y),
               text: nodes.map((n) => n.code), textposition: "top center", showlegend: false,
               customdata: nodes.map((n) => n.code),
               hovertext: nodes.map((n) => [`<b>${n.code}</b>: ${n.events} events, ${n.degree} partners`,
                                            ...partners.get(n.code).slice(0, 6)].join("<br>")),
               hoverinfo: "text", marker: {size: nodes.map((n) => 10 + 14 * Math.sqrt(n.events / Math.max(1, top))),
                                          color: "#2c3e50", line: {color: "#fff", width: 1}}});
  const ax = {visible: false, range: [-1.25, 1.25], fixedrange: true};
  await Plotly.react("network", traces, {xaxis: ax, yaxis: {...ax, scaleanchor: "x"}, margin: {l: 5, r: 5, t: 5, b: 5},
                                          hovermode: "closest", dragmode: false}, PLOT_CONFIG);
  const gd = $("network");
  state.network = nodes;
  if (!gd._detenteBound) {
    gd.on("plotly_click", (ev) => {
      const code = ev.points.map((p) => p.customdata).find((c) => typeof c === "string");
      if (code) pickActor(code);
    });
    gd._detenteBound = true;
  }
  // the same actors as buttons: the network by keyboard
  let strip = $("network-actors");
  if (!strip) {
    strip = el("div", {id: "network-actors", class: "muted", role: "group", "aria-label": "Actors in the network"});
    $("network").after(strip);
  }
  strip.replaceChildren("Pick: ", ...nodes.slice(0, 15).map((n) =>
    el("button", {type: "button", onclick: () => pickActor(n.code)}, n.code)));
}

function pickActor(code) {
  if ($("actor-a").value.toUpperCase() === code) return;
  $("actor-b").value = $("actor-a").value; $("actor-a").value = code;
  render(true);
}

// ------------------------------------------------------------------ downloads
function download(name, type, text) {
  const a = el("a", {href: URL.createObjectURL(new Blob([text], {type})), download: name});
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function csvCell(v) {
  let s = v === null || v === undefined ? "" : Array.isArray(v) ? v.join(" ") : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;          // no formulas when opened in a spreadsheet
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function viewName() {
  const v = state.view || readForm();
  return `detente_${v.a}_${v.b === "*" ? "all" : v.b}_${v.since || "start"}_${v.until || "end"}_${v.period}`;
}

function downloadCSV() {
  if (!state.series) { say("Nothing to download: show a view first."); return; }
  const cols = ["period", "period_end", "events", "q1", "q2", "q3", "q4", "coop", "conflict", "cci", "goldstein", "event_scale", "event_ids"];
  const rows = [cols.join(",")].concat(state.series.series.map((p) => cols.map((c) => csvCell(p[c])).join(",")));
  download(viewName() + ".csv", "text/csv", rows.join("\r\n") + "\r\n");
}

function downloadJSON() {
  if (!state.series) { say("Nothing to download: show a view first."); return; }
  download(viewName() + ".json", "application/json",
           JSON.stringify({view: state.view, url: window.location.href, series: state.series, spikes: state.spikes,
                           events: state.events}, null, 1));
}

// ------------------------------------------------------------------ search
async function search(ev) {
  ev.preventDefault();
  const q = $("search").value.trim();
  if (q.length < 2) return;
  let r;
  try { r = await busy("Searching…", () => api("/search", {q, include_flagged: $("flagged").checked, limit: 50})); } catch (e) { say(e.message); return; }
  $("search-panel").hidden = false;
  $("search-title").textContent = `Search “${q}”: ${r.events.length} events, ${r.documents.length} stories (best first)`;
  listEvents($("search-events"), r.events);
  $("search-docs").replaceChildren(...r.documents.map((d) => {
    const li = el("li", {"data-doc-id": d.id});
    const b = el("button", {type: "button", class: "event-btn"}, el("span", {class: "tag"}, d.date || ""), " ", d.title || d.id,
                 el("span", {class: "sent"}, d.snippet || ""));
    b.addEventListener("click", () => { markActive(li); showEvidence(d.id, null); });
    li.append(b);
    return li;
  }));
  if (!r.documents.length) $("search-docs").append(el("li", {class: "none"}, "no stories"));
  $("search-panel").scrollIntoView({block: "start"});
}

// ------------------------------------------------------------------ start
async function start() {
  $("types").replaceChildren(...TYPES.map((t) => el("option", {value: t}, t)));
  $("controls").addEventListener("submit", (e) => { e.preventDefault(); render(true); });
  $("search-form").addEventListener("submit", search);
  $("dl-csv").addEventListener("click", downloadCSV);
  $("dl-json").addEventListener("click", downloadJSON);
  $("actor-a").addEventListener("input", () => suggest($("actor-a"), $("actor-list-a")));
  $("actor-b").addEventListener("input", () => suggest($("actor-b"), $("actor-list-b")));
  window.addEventListener("popstate", () => { writeForm(queryToView(new URLSearchParams(window.location.search))); render(false); });
  const qs = new URLSearchParams(window.location.search);
  try {
    const [st, actors] = await busy("Loading…", () => Promise.all([api("/stats"), api("/actors", {n: 200})]));
    state.stats = st;
    for (const x of actors.actors) state.known.set(x.code, x);
    const opts = actors.actors.map((x) => el("option", {value: x.code}, `${x.name || x.code} (${x.events} events)`));
    $("actor-list-a").replaceChildren(...opts);
    $("actor-list-b").replaceChildren(...opts.map((o) => o.cloneNode(true)));
    $("stats").textContent = `${st.documents.toLocaleString()} stories` +
      (st.first_document ? ` (${st.first_document} – ${st.last_document})` : "") +
      `, ${st.events.toLocaleString()} events` + (st.first_event ? ` dated ${st.first_event} – ${st.last_event}` : "") +
      ((st.historical || st.future) ? ` (plus ${st.historical} historical, ${st.future} future)` : "");
    const dv = st.default_view || {};
    const v = queryToView(qs);
    if (!qs.has("a") && !qs.has("b")) Object.assign(v, {a: dv.a || "", b: dv.b || "", since: dv.since || "",
                                                        until: dv.until || "", period: dv.period || "week"});
    writeForm(v);
    if (v.a && v.b) { history.replaceState(null, "", "?" + viewToQuery(v).toString()); await render(false); }
    else { clearView(`No events in this database yet. ${dataRange()}`); state.ready = true; document.body.dataset.ready = "1"; }
  } catch (e) {
    say(e.message);
    state.ready = true; document.body.dataset.ready = "1";
  }
}

start();
