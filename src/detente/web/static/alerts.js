// Alerts panel: the alerts raised by `detente watch`, newest first, updated without reloading the
// page through server-sent events (/alerts/stream). Each alert lists the events behind it; a click
// on an event opens its story in the evidence panel when the dashboard provides one.
(function () {
  "use strict";
  const list = document.getElementById("alerts");
  const status = document.getElementById("alerts-status");
  if (!list) return;
  const shown = new Set();
  let last = 0;

  function node(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
    return e;
  }

  function add(a) {
    if (shown.has(a.id)) return;
    shown.add(a.id);
    last = Math.max(last, a.seq);
    const when = (a.created_at || "").replace("T", " ").slice(0, 19);
    const li = node("li", {class: "alert alert-" + a.kind, "data-seq": a.seq, "data-rule": a.rule},
      node("div", {class: "alert-head"}, node("strong", {}, a.rule), " · ", node("span", {class: "muted"}, when + " UTC")),
      node("div", {class: "alert-message"}, a.message));
    const evs = node("ul", {class: "alert-events"});
    for (const e of a.events || []) {
      const item = node("li", {"data-event": e.id, tabindex: "0"},
        node("span", {class: "muted"}, `${e.date || "undated"} ${e.source_code || "-"} ${e.event} ${e.target_code || "-"}: `),
        e.text || "");
      const open = () => { if (typeof window.showEvidence === "function") window.showEvidence(e.doc_id, e.id); };
      item.addEventListener("click", open);
      item.addEventListener("keydown", (ev) => { if (ev.key === "Enter") open(); });
      evs.append(item);
    }
    li.append(evs);
    // newest first: insert before the first item with a smaller seq
    const after = Array.from(list.children).find((x) => Number(x.dataset.seq) < a.seq);
    list.insertBefore(li, after || null);
    if (status) status.textContent = `${shown.size} alert${shown.size === 1 ? "" : "s"}`;
  }

  function listen() {
    const es = new EventSource(`/alerts/stream?after=${last}`);
    es.addEventListener("alert", (ev) => add(JSON.parse(ev.data)));
    es.addEventListener("open", () => { document.body.dataset.alertsLive = "1"; });
  }

  fetch("/alerts?limit=100")
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then((d) => {
      d.alerts.slice().reverse().forEach(add);
      last = Math.max(last, d.last_seq || 0);
      if (!d.alerts.length && status) status.textContent = "no alerts yet";
      document.body.dataset.alertsReady = "1";
      listen();
    })
    .catch((err) => { if (status) status.textContent = `alerts unavailable (${err.message})`; });
})();
