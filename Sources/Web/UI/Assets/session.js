// Signing in, choosing a password, and who is signed in.
"use strict";

const auditRoles = ["auditor", "administrator"];
const operationsRoles = ["administrator"];
function signedIn(info) {
  session = info;
  watchNotices();
  const who = document.getElementById("who");
  const operations = operationsRoles.includes(info.role) ? [element("a", { href: "#/operations" }, "Operations"), " "] : [];
  const audit = auditRoles.includes(info.role) ? [element("a", { href: "#/audit" }, "Audit trail"), " "] : [];
  who.replaceChildren(...operations, ...audit, `${info.user} (${info.role}) `, element("button", { type: "button", class: "link", onclick: async () => {
    await post("/api/logout", {});
    session = null;
    who.replaceChildren();
    showNotices({ pacsDown: [] });
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

// For every signed-in user: a banner while a watched PACS is down or a downtime is open, so
// that clinicians know they are on the downtime archive (asked every 30 s).
// Also asked at each page change, so that it is current wherever one goes.
let noticeTimer = null;
async function refreshNotices() {
  if (!session) return;
  try {
    const response = await fetch("/api/notices");
    if (response.ok) showNotices(await response.json());
  } catch { /* the next poll tries again */ }
}
function watchNotices() {
  clearInterval(noticeTimer);
  noticeTimer = setInterval(refreshNotices, 30000);
}
function showNotices(notices) {
  const banner = document.getElementById("notice");
  const down = notices.pacsDown || [];
  banner.hidden = down.length === 0;
  banner.replaceChildren(...down.map((outage) => {
    const since = new Date(outage.since);
    const sameDay = since.toDateString() === new Date().toDateString();
    const when = sameDay ? since.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : since.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    return element("p", { dataset: { node: outage.node } }, element("strong", {}, `${outage.node} down since ${when}`),
      " — you are on the downtime archive; new images are kept and will go back to the PACS.");
  }));
}
