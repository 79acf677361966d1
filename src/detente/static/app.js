// Detente dashboard: talks only to the local API (same origin); plotly.js and the world outlines are
// served by the same server from installed packages. Text from the database is only ever inserted with
// textContent (never innerHTML).
"use strict";

const $ = (id) => document.getElementById(id);
const QUAD = {1: ["verbal cooperation", "#7fbf7b"], 2: ["material cooperation", "#1b7837"],
              3: ["verbal conflict", "#f4a582"], 4: ["material conflict", "#b2182b"]};
const PLOT_CONFIG = {displaylogo: false, responsive: true, topojsonURL: "/vendor/", showSendToCloud: false,
                     modeBarButtonsToRemove: ["sendDataToCloud"]};
const state = {series: null, a: null, b: null, ready: false, events: [], doc: null};
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

function say(msg) { $("message").textContent = msg || ""; }

function filters() {
  return {since: $("since").value, until: $("until").value, include_flagged: $("flagged").checked};
}

// ------------------------------------------------------------------ series
async function showSeries() {
  const a = $("actor-a").value.trim().toUpperCase(), b = $("actor-b").value.trim().toUpperCase();
  if (!a || !b) { say("Pick two actors."); return; }
  say("");
  state.a = a; state.b = b;
  const params = {...filters(), period: $("period").value, directed: $("directed").checked};
  let s;
  try { s = await api(`/dyads/${encodeURIComponent(a)}/${encodeURIComponent(b)}/series`, params); }
  catch (e) { say(e.message); return; }
  state.series = s;
  $("series-title").textContent = `${a} ${params.directed ? "→" : "↔"} ${b}: ${s.series.reduce((n, p) => n + p.events, 0)} events by ${s.period}`;
  const x = s.series.map((p) => p.period);
  const traces = [1, 2, 3, 4].map((q) => ({
    type: "bar", name: QUAD[q][0], x, y: s.series.map((p) => p["q" + q]), marker: {color: QUAD[q][1]},
    customdata: s.series.map((p, i) => i), hovertemplate: "%{x}: %{y} " + QUAD[q][0] + "<extra></extra>"}));
  traces.push({type: "scatter", mode: "lines+markers", name: "CCI", x, y: s.series.map((p) => p.cci),
               yaxis: "y2", line: {color: "#2166ac", width: 2}, connectgaps: false,
               customdata: s.series.map((p, i) => i),
               hovertemplate: "%{x}: CCI %{y:.2f}<extra></extra>"});
  const layout = {barmode: "stack", margin: {l: 45, r: 50, t: 10, b: 40}, legend: {orientation: "h", y: -0.15},
                  xaxis: {type: "date"}, yaxis: {title: {text: "events"}, rangemode: "tozero"},
                  yaxis2: {title: {text: "CCI"}, overlaying: "y", side: "right", range: [-1.05, 1.05], zeroline: true},
                  hovermode: "closest"};
  await Plotly.react("series", traces, layout, PLOT_CONFIG);
  const gd = $("series");
  if (!gd._detenteBound) {
    gd.on("plotly_click", (ev) => { if (ev.points.length) showPeriod(ev.points[0].customdata); });
    gd._detenteBound = true;
  }
  await Promise.all([showMap(), showNetwork()]);
  state.ready = true;
  document.body.dataset.ready = "1";
}

async function showPeriod(i) {
  const p = state.series.series[i];
  const params = {dyad: `${state.a},${state.b}`, directed: $("directed").checked, since: p.period,
                  until: p.period_end, include_flagged: $("flagged").checked, limit: 500};
  let r;
  try { r = await api("/events", params); } catch (e) { say(e.message); return; }
  $("events-title").textContent = `Events ${p.period}${p.period_end !== p.period ? " – " + p.period_end : ""} (${r.total})`;
  listEvents($("events"), r.events);
}

function eventLine(e) {
  return el("li", {class: "q" + (e.quad_code || 0), "data-event-id": e.id, "data-doc-id": e.doc_id,
                   onclick: (ev) => { markActive(ev.currentTarget); showEvidence(e.doc_id, e.id); }},
    el("span", {class: "tag"}, e.event), " ",
    `${e.date || "?"} ${e.source_code || "-"}${e.source_sector ? ":" + e.source_sector : ""} → ${e.target_code || "-"}${e.target_sector ? ":" + e.target_sector : ""}`,
    e.n_mentions > 1 ? ` (${e.n_mentions} reports)` : "",
    el("span", {class: "sent"}, e.text || ""));
}

function listEvents(ol, events) {
  state.events = events;
  ol.replaceChildren(...events.map(eventLine));
  if (!events.length) ol.append(el("li", {}, "no events"));
}

function markActive(li) {
  for (const x of document.querySelectorAll(".events li.active")) x.classList.remove("active");
  li.classList.add("active");
}

// ------------------------------------------------------------------ evidence
async function showEvidence(docId, eventId) {
  let d;
  try { d = await api(`/documents/${encodeURIComponent(docId)}`); } catch (e) { say(e.message); return; }
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
async function showMap() {
  const params = {...filters(), dyad: state.a && state.b ? `${state.a},${state.b}` : ""};
  let r;
  try { r = await api("/locations", params); } catch (e) { say(e.message); return; }
  const L = r.locations;
  const outlines = window.DETENTE_OUTLINES === true;
  const trace = {type: "scattergeo", mode: "markers", lat: L.map((l) => l.lat), lon: L.map((l) => l.lon),
                 text: L.map((l) => `${l.place || "?"} (${l.country || "-"}): ${l.events} events, CCI ${l.cci === null ? "-" : l.cci.toFixed(2)}`),
                 customdata: L.map((l, i) => i), hoverinfo: "text",
                 marker: {size: L.map((l) => 6 + 4 * Math.sqrt(l.events)), color: L.map((l) => l.cci === null ? 0 : l.cci),
                          colorscale: [[0, "#b2182b"], [0.5, "#f7f7f7"], [1, "#1b7837"]], cmin: -1, cmax: 1,
                          line: {color: "#333", width: 0.5}}};
  const geo = {projection: {type: "natural earth", scale: 1}, fitbounds: false, showland: false, showocean: false, showlakes: false,
               showrivers: false, showsubunits: false, showcoastlines: outlines, showcountries: outlines,
               coastlinecolor: "#8a96a3", countrycolor: "#c3cbd3", bgcolor: "#fbfcfd", showframe: true,
               lataxis: {showgrid: !outlines}, lonaxis: {showgrid: !outlines}};
  await Plotly.react("map", [trace], {geo, margin: {l: 0, r: 0, t: 0, b: 0}}, PLOT_CONFIG);
  const gd = $("map");
  state.locations = L;
  if (!gd._detenteBound) {
    gd.on("plotly_click", async (ev) => {
      const loc = state.locations[ev.points[0].customdata];
      const evs = await Promise.all(loc.event_ids.map((id) => api(`/events/${encodeURIComponent(id)}`)));
      $("events-title").textContent = `Events at ${loc.place} (${loc.events}${loc.events > evs.length ? ", first " + evs.length : ""})`;
      listEvents($("events"), evs.map(flatRecord));
    });
    gd._detenteBound = true;
  }
}

function flatRecord(r) {
  const a = (r.actor || [])[0] || {}, t = (r.recipient || [])[0] || {};
  return {id: r.id, doc_id: r.doc_id, date: r.date, event: r.event, quad_code: r.quad_code, text: r.text,
          source_code: a.code, source_sector: a.sector, target_code: t.code, target_sector: t.sector,
          n_mentions: (r.mentions || []).length};
}

// ------------------------------------------------------------------ network
async function showNetwork() {
  let r;
  try { r = await api("/network", {...filters(), max_edges: 60}); } catch (e) { say(e.message); return; }
  const nodes = r.nodes.slice(0, 40), idx = new Map(nodes.map((n, i) => [n.code, i]));
  const n = nodes.length, pos = nodes.map((_, i) => [Math.cos(2 * Math.PI * i / Math.max(n, 1)), Math.sin(2 * Math.PI * i / Math.max(n, 1))]);
  const maxW = Math.max(1, ...r.edges.map((e) => e.events));
  const traces = r.edges.filter((e) => idx.has(e.a) && idx.has(e.b)).map((e) => ({
    type: "scatter", mode: "lines", hoverinfo: "text", showlegend: false,
    x: [pos[idx.get(e.a)][0], pos[idx.get(e.b)][0]], y: [pos[idx.get(e.a)][1], pos[idx.get(e.b)][1]],
    text: `${e.a}–${e.b}: ${e.events} events, CCI ${e.cci === null ? "-" : e.cci.toFixed(2)}`,
    line: {width: 1 + 7 * e.events / maxW, color: e.sign > 0 ? "rgba(27,120,55,.6)" : e.sign < 0 ? "rgba(178,24,43,.6)" : "rgba(120,120,120,.5)"}}));
  traces.push({type: "scatter", mode: "markers+text", x: pos.map((p) => p[0]), y: pos.map((p) => p[1]),
               text: nodes.map((x) => x.code), textposition: "top center", showlegend: false,
               customdata: nodes.map((x) => x.code), hovertext: nodes.map((x) => `${x.code}: ${x.events} events, ${x.degree} partners`),
               hoverinfo: "text", marker: {size: nodes.map((x) => 8 + 12 * Math.sqrt(x.events / Math.max(1, nodes[0] ? nodes[0].events : 1))),
                                          color: "#2c3e50"}});
  const ax = {visible: false, range: [-1.3, 1.3]};
  await Plotly.react("network", traces, {xaxis: ax, yaxis: {...ax, scaleanchor: "x"}, margin: {l: 5, r: 5, t: 5, b: 5},
                                          hovermode: "closest"}, PLOT_CONFIG);
  const gd = $("network");
  if (!gd._detenteBound) {
    gd.on("plotly_click", (ev) => {
      const code = ev.points[0].customdata;
      if (typeof code !== "string") return;
      if ($("actor-a").value.toUpperCase() === code) return;
      $("actor-b").value = $("actor-a").value; $("actor-a").value = code; showSeries();
    });
    gd._detenteBound = true;
  }
}

// ------------------------------------------------------------------ search
async function search(ev) {
  ev.preventDefault();
  const q = $("search").value.trim();
  if (q.length < 2) return;
  let r;
  try { r = await api("/search", {q, include_flagged: $("flagged").checked, limit: 50}); } catch (e) { say(e.message); return; }
  $("search-panel").hidden = false;
  $("search-title").textContent = `Search “${q}”: ${r.events.length} events, ${r.documents.length} stories`;
  listEvents($("search-events"), r.events);
  $("search-docs").replaceChildren(...r.documents.map((d) => el("li", {"data-doc-id": d.id, onclick: (e) => { markActive(e.currentTarget); showEvidence(d.id, null); }},
    el("span", {class: "tag"}, d.date || ""), " ", d.title || d.id, el("span", {class: "sent"}, d.snippet || ""))));
  $("search-panel").scrollIntoView({block: "start"});
}

// ------------------------------------------------------------------ start
async function start() {
  $("show").addEventListener("click", showSeries);
  $("search-form").addEventListener("submit", search);
  for (const id of ["actor-a", "actor-b"]) $(id).addEventListener("keydown", (e) => { if (e.key === "Enter") showSeries(); });
  const qs = new URLSearchParams(window.location.search);
  try {
    const [st, actors, dyads] = await Promise.all([api("/stats"), api("/actors", {n: 200}), api("/dyads", {n: 1})]);
    $("stats").textContent = `${st.documents.toLocaleString()} stories, ${st.events.toLocaleString()} events` +
      (st.first_event ? `, ${st.first_event} – ${st.last_event}` : "");
    $("actor-list").replaceChildren(...actors.actors.map((x) => el("option", {value: x.code}, `${x.code} (${x.events})`)));
    const top = dyads.dyads[0] || {};
    $("actor-a").value = qs.get("a") || top.a || "";
    $("actor-b").value = qs.get("b") || top.b || "";
    let since = st.first_event || "";
    if (st.last_event) {   // default: the last year of data
      const y = new Date(st.last_event); y.setUTCFullYear(y.getUTCFullYear() - 1);
      const ys = y.toISOString().slice(0, 10);
      if (!since || ys > since) since = ys;
    }
    $("since").value = qs.get("since") || since;
    $("until").value = qs.get("until") || st.last_event || "";
    if (qs.get("period")) $("period").value = qs.get("period");
    if ($("actor-a").value && $("actor-b").value) await showSeries();
    else { state.ready = true; document.body.dataset.ready = "1"; say("No events in this database yet."); }
  } catch (e) {
    say(e.message);
  }
}

start();
