// Lifeboat's browser viewer: a study list, a study page, a series viewer — all over the
// archive's own DICOMweb (QIDO-RS for lists, rendered frames for pictures).
"use strict";

const api = "/dicom-web";
const main = document.getElementById("main");

// Window presets (center, width) for CT; "Default" is the image's own window.
const presets = [["Default", null], ["Soft tissue", [40, 400]], ["Lung", [-600, 1500]], ["Bone", [300, 1500]], ["Brain", [40, 80]]];

function value(item, tag) {
  const attribute = item && item[tag];
  if (!attribute || !attribute.Value || attribute.Value.length === 0) return "";
  const first = attribute.Value[0];
  return typeof first === "object" && first !== null ? (first.Alphabetic || "") : String(first);
}
function values(item, tag) {
  const attribute = item && item[tag];
  return attribute && attribute.Value ? attribute.Value.map(String) : [];
}
function element(name, attributes = {}, ...children) {
  const node = document.createElement(name);
  for (const [key, val] of Object.entries(attributes)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), val);
    else if (key === "dataset") Object.assign(node.dataset, val);
    else node.setAttribute(key, val);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
}
function personName(text) { return text.replace(/\^+/g, " ").trim(); }
function dicomDate(text) { return text.length === 8 ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}` : text; }
async function search(path, parameters = {}) {
  const url = new URL(api + path, location.origin);
  for (const [key, val] of Object.entries(parameters)) if (val !== "" && val !== undefined) url.searchParams.set(key, val);
  const response = await fetch(url, { headers: { Accept: "application/dicom+json" } });
  if (response.status === 401) throw new SignInNeeded();
  if (!response.ok) throw new Error(await problem(response));
  return response.json();
}
async function problem(response) {
  try { return (await response.json()).detail || response.statusText; } catch { return response.statusText; }
}
function renderedURL(study, series, instance, window) {
  const base = `${api}/studies/${study}/series/${series}/instances/${instance}/rendered`;
  return window ? `${base}?window=${window[0]},${window[1]}` : base;
}
function downloadURL(study, series, instance) {
  return `/wado?requestType=WADO&studyUID=${study}&seriesUID=${series}&objectUID=${instance}&contentType=application/dicom`;
}
// Signing in: the session is a cookie the script never sees; the CSRF token it is given goes
// with any request that changes something.
class SignInNeeded extends Error { constructor() { super("sign in to see studies"); } }
let session = null;
async function post(path, body) {
  const headers = { "Content-Type": "application/json" };
  if (session) headers["X-CSRF-Token"] = session.csrf;
  return fetch(path, { method: "POST", headers, body: JSON.stringify(body) });
}
const auditRoles = ["auditor", "administrator"];
const operationsRoles = ["administrator"];
function signedIn(info) {
  session = info;
  const who = document.getElementById("who");
  const operations = operationsRoles.includes(info.role) ? [element("a", { href: "#/operations" }, "Operations"), " "] : [];
  const audit = auditRoles.includes(info.role) ? [element("a", { href: "#/audit" }, "Audit trail"), " "] : [];
  who.replaceChildren(...operations, ...audit, `${info.user} (${info.role}) `, element("button", { type: "button", class: "link", onclick: async () => {
    await post("/api/logout", {});
    session = null;
    who.replaceChildren();
    route();
  } }, "Sign out"));
}
function signInPage() {
  const message = element("p", { class: "muted", role: "status" });
  const form = element("form", { class: "signin", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const response = await post("/api/login", { user: data.get("user"), password: data.get("password") });
    if (!response.ok) { message.textContent = await problem(response); document.body.dataset.state = "signin-failed"; return; }
    signedIn(await response.json());
    route();
  } },
    element("h1", {}, "Sign in"),
    element("label", {}, "User name", element("input", { name: "user", autocomplete: "username", required: "" })),
    element("label", {}, "Password", element("input", { name: "password", type: "password", autocomplete: "current-password", required: "" })),
    element("button", { type: "submit" }, "Sign in"), message);
  main.replaceChildren(form);
  document.body.dataset.state = "signin";
}
function changePasswordPage() {
  const message = element("p", { class: "muted", role: "status" }, "Your password was set for one use: choose your own (at least 12 characters).");
  const form = element("form", { class: "signin", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const response = await post("/api/password", { current: data.get("current"), new: data.get("new") });
    if (!response.ok) { message.textContent = await problem(response); return; }
    session.mustChangePassword = false;
    route();
  } },
    element("h1", {}, "Choose a password"),
    element("label", {}, "Current password", element("input", { name: "current", type: "password", autocomplete: "current-password", required: "" })),
    element("label", {}, "New password", element("input", { name: "new", type: "password", autocomplete: "new-password", minlength: "12", required: "" })),
    element("button", { type: "submit" }, "Save"), message);
  main.replaceChildren(form);
  document.body.dataset.state = "change-password";
}

function showError(error) {
  if (error instanceof SignInNeeded) { session = null; signInPage(); return; }
  main.replaceChildren(element("p", { class: "message", role: "alert" }, `Something went wrong: ${error.message}`));
  document.body.dataset.state = "error";
}

// The study list: search by name, patient ID, accession, dates and modality, newest first.
async function studyList(parameters) {
  const field = (name, label, type = "text") => element("label", {}, label, element("input", { name, type, value: parameters.get(name) || "" }));
  const form = element("form", { class: "search", role: "search" },
    field("name", "Patient name"), field("id", "Patient ID"), field("accession", "Accession"),
    field("from", "From", "date"), field("to", "To", "date"), field("modality", "Modality"),
    element("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [key, val] of new FormData(form)) if (val) query.set(key, val);
    location.hash = "#/?" + query.toString();
  });
  const results = element("div", {}, element("p", { class: "muted" }, "Searching…"));
  main.replaceChildren(form, results);
  const from = (parameters.get("from") || "").replaceAll("-", "");
  const to = (parameters.get("to") || "").replaceAll("-", "");
  const name = parameters.get("name") || "";
  const studies = await search("/studies", {
    PatientName: name ? (name.includes("*") ? name : name + "*") : "",
    fuzzymatching: name ? "true" : "",
    PatientID: parameters.get("id") || "",
    AccessionNumber: parameters.get("accession") || "",
    StudyDate: from || to ? `${from}-${to}` : "",
    ModalitiesInStudy: (parameters.get("modality") || "").toUpperCase(),
    limit: "200",
  });
  if (studies.length === 0) {
    results.replaceChildren(element("p", { class: "muted" }, "No study matches."));
  } else {
    const rows = studies.map((study) => {
      const uid = value(study, "0020000D");
      return element("tr", { class: "study", tabindex: "0", dataset: { uid }, onclick: () => { location.hash = `#/study/${uid}`; },
                              onkeydown: (event) => { if (event.key === "Enter") location.hash = `#/study/${uid}`; } },
        element("td", {}, personName(value(study, "00100010"))), element("td", {}, value(study, "00100020")),
        element("td", {}, dicomDate(value(study, "00080020"))), element("td", {}, values(study, "00080061").join(", ")),
        element("td", { class: "hide-narrow" }, value(study, "00081030")), element("td", { class: "hide-narrow" }, value(study, "00080050")),
        element("td", { class: "hide-narrow" }, value(study, "00201208")));
    });
    results.replaceChildren(element("table", {},
      element("thead", {}, element("tr", {}, element("th", {}, "Patient"), element("th", {}, "ID"), element("th", {}, "Date"),
        element("th", {}, "Modality"), element("th", { class: "hide-narrow" }, "Description"), element("th", { class: "hide-narrow" }, "Accession"),
        element("th", { class: "hide-narrow" }, "Images"))),
      element("tbody", {}, rows)));
  }
  document.body.dataset.state = "ready";
}

// A study: its series, each with a picture of its middle image.
async function studyPage(study) {
  main.replaceChildren(element("p", { class: "muted" }, "Loading…"));
  const [studies, series] = await Promise.all([search("/studies", { StudyInstanceUID: study }), search(`/studies/${study}/series`)]);
  const info = studies[0] || {};
  const heading = element("h1", {}, personName(value(info, "00100010")) || "Study");
  const details = element("p", { class: "muted" }, [value(info, "00100020"), dicomDate(value(info, "00080020")), value(info, "00081030")].filter(Boolean).join(" · "));
  const grid = element("div", { class: "series-grid" });
  series.sort((a, b) => Number(value(a, "00200011") || 0) - Number(value(b, "00200011") || 0));
  for (const item of series) {
    const uid = value(item, "0020000E");
    const card = element("a", { class: "series", href: `#/viewer/${study}/${uid}`, dataset: { uid } });
    card.append(element("div", { class: "thumb-missing" }, "…"),
      element("div", {}, `${value(item, "00080060")} ${value(item, "00200011")}`),
      element("div", { class: "muted" }, `${value(item, "0008103E")} (${value(item, "00201209")} images)`));
    grid.append(card);
    thumbnail(study, uid, card);
  }
  main.replaceChildren(element("p", {}, element("a", { href: "#/" }, "← Studies")), heading, details, grid);
  document.body.dataset.state = "ready";
}
function thumbnail(study, series, card) {
  const image = element("img", { alt: "series thumbnail", loading: "lazy", src: `${api}/studies/${study}/series/${series}/thumbnail?viewport=256,256` });
  image.addEventListener("error", () => image.replaceWith(element("div", { class: "thumb-missing" }, "No picture: open in a diagnostic viewer")));
  card.firstChild.replaceWith(image);
}
async function sortedInstances(study, series) {
  const instances = await search(`/studies/${study}/series/${series}/instances`, { includefield: "00200013" });
  instances.sort((a, b) => Number(value(a, "00200013") || 0) - Number(value(b, "00200013") || 0));
  return instances.map((item) => value(item, "00080018"));
}

// The viewer: one frame at a time; wheel, arrow keys, the slider or a drag move through
// the series; presets set the window.
async function viewer(study, series) {
  main.replaceChildren(element("p", { class: "muted" }, "Loading…"));
  const instances = await sortedInstances(study, series);
  let index = Math.floor(instances.length / 2);
  let window = null;
  const image = element("img", { alt: "image" });
  const overlay = element("div", { class: "overlay" });
  const frame = element("div", { class: "frame", tabindex: "0" }, image, overlay);
  const message = element("div");
  const slider = element("input", { type: "range", min: "1", max: String(instances.length), value: String(index + 1), "aria-label": "image" });
  const buttons = presets.map(([name, preset]) => element("button", { class: "preset", type: "button", "aria-pressed": String(preset === null),
    onclick: (event) => {
      window = preset;
      for (const button of buttons) button.setAttribute("aria-pressed", String(button === event.currentTarget));
      show();
    } }, name));
  function show() {
    const instance = instances[index];
    image.dataset.loaded = "false";
    image.dataset.index = String(index + 1);
    image.src = renderedURL(study, series, instance, window);
    overlay.textContent = `${index + 1} / ${instances.length}`;
    slider.value = String(index + 1);
  }
  function move(step) {
    const next = Math.max(0, Math.min(instances.length - 1, index + step));
    if (next !== index) { index = next; show(); }
  }
  image.addEventListener("load", () => { image.dataset.loaded = "true"; image.hidden = false; message.replaceChildren(); });
  image.addEventListener("error", async () => {
    const instance = instances[index];
    image.hidden = true;
    const response = await fetch(image.src, { headers: { Accept: "image/png" } });
    const detail = response.ok ? "the picture could not be shown" : await problem(response);
    message.replaceChildren(element("p", { class: "message", role: "alert" }, `${detail}. `,
      element("a", { href: downloadURL(study, series, instance), download: `${instance}.dcm` }, "Download this image (DICOM)")));
  });
  frame.addEventListener("wheel", (event) => { event.preventDefault(); move(event.deltaY > 0 ? 1 : -1); }, { passive: false });
  frame.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowRight") move(1);
    if (event.key === "ArrowUp" || event.key === "ArrowLeft") move(-1);
  });
  let dragStart = null;
  frame.addEventListener("pointerdown", (event) => { dragStart = [event.clientY, index]; });
  frame.addEventListener("pointermove", (event) => {
    if (!dragStart) return;
    const next = dragStart[1] + Math.round((event.clientY - dragStart[0]) / 12);
    move(next - index);
  });
  for (const end of ["pointerup", "pointercancel", "pointerleave"]) frame.addEventListener(end, () => { dragStart = null; });
  slider.addEventListener("input", () => { index = Number(slider.value) - 1; show(); });
  main.replaceChildren(
    element("p", {}, element("a", { href: `#/study/${study}` }, "← Series")),
    element("div", { class: "viewer" }, frame, message, element("div", { class: "controls" }, slider), element("div", { class: "controls" }, buttons)));
  if (instances.length === 0) {
    message.replaceChildren(element("p", { class: "message" }, "This series has no images."));
  } else {
    show();
  }
  document.body.dataset.state = "ready";
}

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
    element("div", { class: "cards" }, pacs, targets, drills, scrub, diskCard, alerts),
    element("p", { class: "muted" }, `As of ${when(ops.generatedAt)}. The same figures for Prometheus are at /metrics.`));
  document.body.dataset.state = "ready";
}

async function route() {
  document.body.dataset.state = "loading";
  if (!session) {
    const info = await (await fetch("/api/session")).json();
    if (!info.signedIn) { signInPage(); return; }
    signedIn(info);
  }
  if (session.mustChangePassword) { changePasswordPage(); return; }
  const hash = location.hash.slice(1) || "/";
  const [path, query] = hash.split("?");
  const parts = path.split("/").filter(Boolean);
  try {
    if (parts[0] === "operations") await operationsPage();
    else if (parts[0] === "audit" || (parts.length === 0 && session.role === "auditor")) await auditPage(new URLSearchParams(query || ""));
    else if (parts[0] === "study" && parts[1]) await studyPage(parts[1]);
    else if (parts[0] === "viewer" && parts[2]) await viewer(parts[1], parts[2]);
    else await studyList(new URLSearchParams(query || ""));
  } catch (error) {
    showError(error);
  }
}
window.addEventListener("hashchange", route);
route();
