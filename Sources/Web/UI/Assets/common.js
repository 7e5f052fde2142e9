// Lifeboat's browser viewer: a study list, a study page, a series viewer — all over the
// archive's own DICOMweb (QIDO-RS for lists, rendered frames for pictures).
"use strict";

const api = "/dicom-web";
const main = document.getElementById("main");


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

function showError(error) {
  if (error instanceof SignInNeeded) { session = null; signInPage(); return; }
  main.replaceChildren(element("p", { class: "message", role: "alert" }, `Something went wrong: ${error.message}`));
  document.body.dataset.state = "error";
}
