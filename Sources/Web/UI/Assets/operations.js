// For auditors and administrators: the audit trail and the operations dashboard.
"use strict";

// The audit trail, for auditors: who did what, and who looked at a patient's images.
async function auditPage(parameters) {
  const field = (name, label, type = "text") => element("label", {}, label, element("input", { name, type, value: parameters.get(name) || "" }));
  const actions = ["", "view", "retrieve", "query", "store", "export", "login", "login-failed", "rejection", "configuration-change",
    "administration", "audit-read"];
  const action = element("select", { name: "action" }, actions.map((name) => {
    const option = element("option", { value: name }, name || "any");
    if (name === (parameters.get("action") || "")) option.selected = true;
    return option;
  }));
  const failures = element("input", { name: "failures", type: "checkbox", value: "true" });
  failures.checked = parameters.get("failures") === "true";
  const form = element("form", { class: "search", role: "search", onsubmit: (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [key, val] of new FormData(form)) if (val) query.set(key, val);
    location.hash = `#/audit?${query}`;
  } },
    field("patient", "Patient ID"), field("user", "User or AE"), element("label", {}, "Action", action),
    field("from", "From", "date"), field("to", "To", "date"), element("label", {}, "Refused or failed only", failures),
    element("button", { type: "submit" }, "Search"));
  const url = new URL("/api/audit", location.origin);
  for (const [key, val] of parameters) url.searchParams.set(key, val);
  const response = await fetch(url);
  if (response.status === 401) throw new SignInNeeded();
  if (!response.ok) throw new Error(await problem(response));
  const records = await response.json();
  const rows = records.map((record) => element("tr", { class: record.succeeded ? "audit" : "audit refused", dataset: { sequence: String(record.sequence) } },
    element("td", {}, record.time.replace("T", " ").replace(/\.\d+Z$/, "Z")), element("td", {}, record.actor), element("td", { class: "hide-narrow" }, record.source),
    element("td", {}, record.action), element("td", {}, record.succeeded ? "yes" : "no"),
    element("td", { class: "subject" }, record.subject), element("td", { class: "hide-narrow" }, record.detail)));
  main.replaceChildren(element("h1", {}, "Audit trail"), form,
    records.length === 0 ? element("p", { class: "muted" }, "No records match.") :
      element("table", {}, element("thead", {}, element("tr", {}, ["Time", "Who", "From", "Action", "Succeeded", "What", "Detail"].map((name, index) =>
        element("th", { class: [2, 6].includes(index) ? "hide-narrow" : "" }, name)))), element("tbody", {}, rows)));
  document.body.dataset.state = "ready";
}

// The operations dashboard, for administrators: is every image safe at every site, how far
// behind is each copy, when did we last prove we can restore, is the PACS up, will the disk last?
function size(bytes) {
  if (bytes >= 1e12) return `${(bytes / 1e12).toFixed(2)} TB`;
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  if (whole < 86400 * 2) return `${Math.floor(whole / 3600)} h ${Math.floor(whole / 60) % 60} min`;
  return `${Math.floor(whole / 86400)} days`;
}
function when(text) { return text ? text.replace("T", " ").replace(/(\.\d+)?Z$/, "Z") : "never"; }
function card(title, status, ...body) {
  return element("section", { class: `card ${status}`, dataset: { card: title } }, element("h2", {}, title), ...body);
}
function table(headers, rows, narrow = []) {
  return element("table", {}, element("thead", {}, element("tr", {}, headers.map((name, index) =>
    element("th", { class: narrow.includes(index) ? "hide-narrow" : "" }, name)))),
    element("tbody", {}, rows.map((cells) => element("tr", {}, cells.map((cell, index) =>
      element("td", { class: narrow.includes(index) ? "hide-narrow" : "" }, cell))))));
}
// A small line of the drills' restore rates, oldest to newest.
function trend(values) {
  if (values.length < 2) return element("span", { class: "muted" }, "");
  const max = Math.max(...values) || 1;
  const points = values.map((value, index) => `${(index * 100 / (values.length - 1)).toFixed(1)},${(30 - value * 28 / max).toFixed(1)}`).join(" ");
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 100 32");
  svg.setAttribute("class", "trend");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "restore rate of the recent drills");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points);
  svg.append(line);
  return svg;
}
async function operationsPage() {
  const response = await fetch("/api/operations");
  if (response.status === 401) throw new SignInNeeded();
  if (!response.ok) throw new Error(await problem(response));
  const ops = await response.json();
  const openAlerts = ops.alerts.filter((alert) => !alert.resolvedAt);
  const behind = ops.targets.filter((target) => target.permanentFailures > 0 || target.recoveryPointSeconds > 3600);
  const pacsDown = ops.nodes.filter((node) => node.state !== "up");
  const lastDrills = new Map();
  for (const drill of ops.drills) if (!lastDrills.has(drill.target)) lastDrills.set(drill.target, drill);
  const failedDrills = [...lastDrills.values()].filter((drill) => !drill.passed);

  const summary = openAlerts.length === 0 ? element("p", { class: "verdict good" }, "Every check is quiet: no open alerts.")
    : element("p", { class: "verdict bad" }, `${openAlerts.length} open alert${openAlerts.length === 1 ? "" : "s"}: `,
      openAlerts.map((alert) => alert.summary).join("; "));

  const pacs = card("PACS", pacsDown.length ? "bad" : "good",
    ops.nodes.length === 0 ? element("p", { class: "muted" }, "No node is watched (pacs-watch).") :
      table(["Node", "State", "Since", "Detail"], ops.nodes.map((node) => [node.node, element("span", { class: `state ${node.state}` }, node.state), when(node.at), node.detail]), [3]),
    element("h3", {}, "Downtimes"),
    ops.downtimes.length === 0 ? element("p", { class: "muted" }, "None recorded.") :
      table(["Node", "Began", "Ended", "Length", "By"], ops.downtimes.map((downtime) => [downtime.node, when(downtime.startedAt),
        downtime.endedAt ? when(downtime.endedAt) : element("strong", {}, "still open"),
        duration(((downtime.endedAt ? Date.parse(downtime.endedAt) : Date.now()) - Date.parse(downtime.startedAt)) / 1000), downtime.startedBy]), [4]));

  const targets = card("Copies at each site", behind.length ? "bad" : "good",
    ops.targets.length === 0 ? element("p", { class: "muted" }, "No replication target is configured: the only copy is here.") :
      table(["Target", "Recovery point", "Queued", "Failed for good", "Last success", "Last error"], ops.targets.map((target) => [
        target.name, target.recoveryPointSeconds === 0 ? "caught up" : duration(target.recoveryPointSeconds), String(target.queueDepth),
        String(target.permanentFailures), when(target.lastSuccessAt), target.lastError || ""]), [4, 5]));

  const findings = ops.findings;
  const scrub = card("Integrity", findings.unrecoverable ? "bad" : findings.unhealed ? "warn" : "good",
    element("p", {}, `Last 30 days: ${findings.found} bad cop${findings.found === 1 ? "y" : "ies"} found, ${findings.healed} healed, `,
      `${findings.unhealed} not healed, ${findings.unrecoverable} with no good copy anywhere.`),
    ops.scrub.length === 0 ? element("p", { class: "muted" }, "The scrub has not run yet.") :
      table(["Place", "This pass", "Passes", "Last pass ended"], ops.scrub.map((place) => [place.place, `${place.coveredPercent.toFixed(0)}%`,
        String(place.completedPasses), when(place.lastPassEndedAt)]), [3]));

  const drillRows = [...lastDrills.values()].map((drill) => {
    const rates = ops.drills.filter((each) => each.target === drill.target).reverse().map((each) => each.bytesPerSecond);
    return [drill.target, element("span", { class: `state ${drill.passed ? "up" : "down"}` }, drill.passed ? "passed" : "FAILED"), when(drill.startedAt),
      `${size(drill.bytesPerSecond)}/s`, duration(drill.fullRestoreSeconds), duration(drill.last24HoursSeconds), trend(rates)];
  });
  const drills = card("Recovery drills", failedDrills.length ? "bad" : lastDrills.size ? "good" : "warn",
    lastDrills.size === 0 ? element("p", { class: "muted" }, "No drill yet: lifeboat drill proves a restore works and times it.") :
      table(["Target", "Last drill", "When", "Rate", "Full restore", "Last 24 h", "Trend"], drillRows, [2, 6]));

  // Shown once this archive was made by lifeboat restore: the recovery times it achieved.
  const restores = ops.restores.length === 0 ? null : card("Restores that made this archive", ops.restores.some((each) => each.notRestored) ? "bad" : "good",
    table(["From", "Began", "Catalog searchable", "Last 24 h back", "Everything back", "Not restored"], ops.restores.map((each) => [
      each.target, when(each.startedAt), `after ${duration(each.catalogAfter)}`,
      each.recentBackAfter == null ? "not yet" : `${each.recentVersions} versions after ${duration(each.recentBackAfter)}`,
      each.wholeBackAfter == null ? "not yet" : `${each.versions} versions after ${duration(each.wholeBackAfter)}`,
      each.notRestored ? element("strong", {}, String(each.notRestored)) : "0"]), [1]));

  const disk = ops.disk;
  const diskCard = card("Disk", !disk ? "warn" : disk.ridesOut48Hours && disk.availablePercent >= 10 ? "good" : "bad",
    !disk ? element("p", { class: "muted" }, "Unknown.") : element("p", {},
      `${size(disk.availableBytes)} free of ${size(disk.totalBytes)} (${disk.availablePercent.toFixed(1)}%). `,
      `At ${size(disk.meanBytesPerDay)} a day it lasts ${!disk.daysLeftAtMean ? "indefinitely" : disk.daysLeftAtMean > 3650 ? "more than ten years" : Math.floor(disk.daysLeftAtMean) + " days"}. `,
      `A 48-hour PACS outage needs ${size(disk.neededFor48Hours)}: `, element("strong", {}, disk.ridesOut48Hours ? "enough" : "NOT enough")));

  const alerts = card("Alerts", openAlerts.length ? "bad" : "good",
    ops.alerts.length === 0 ? element("p", { class: "muted" }, "None yet.") :
      table(["", "Alert", "Since", "Resolved"], ops.alerts.map((alert) => [element("span", { class: `severity ${alert.severity}` }, alert.severity),
        alert.summary, when(alert.openedAt), alert.resolvedAt ? when(alert.resolvedAt) : element("strong", {}, "open")]), [2]));

  main.replaceChildren(element("h1", {}, `Operations — ${ops.node}`), summary,
    element("div", { class: "cards" }, pacs, targets, drills, restores ? [restores] : [], scrub, diskCard, alerts),
    element("p", { class: "muted" }, `As of ${when(ops.generatedAt)}. The same figures for Prometheus are at /metrics.`));
  document.body.dataset.state = "ready";
}
