// Lifeboat's browser viewer: which page the address names (common.js, session.js, studies.js,
// viewer.js and operations.js hold the pages).
"use strict";

async function route() {
  leavePage();
  document.body.dataset.state = "loading";
  if (!session) {
    const info = await (await fetch("/api/session")).json();
    if (!info.signedIn) { signInPage(); return; }
    signedIn(info);
  }
  if (session.mustChangePassword) { changePasswordPage(); return; }
  refreshNotices();
  const hash = location.hash.slice(1) || "/";
  const [path, query] = hash.split("?");
  const parts = path.split("/").filter(Boolean);
  try {
    if (parts[0] === "operations") await operationsPage();
    else if (parts[0] === "audit" || (parts.length === 0 && session.role === "auditor")) await auditPage(new URLSearchParams(query || ""));
    else if (parts[0] === "study" && parts[1]) await studyPage(parts[1]);
    else if (parts[0] === "viewer" && parts[2]) await viewer(parts[1], parts[2]);
    else if (parts[0] === "report" && parts[2]) await reportPage(parts[1], parts[2]);
    else await studyList(new URLSearchParams(query || ""));
  } catch (error) {
    showError(error);
  }
}
window.addEventListener("hashchange", route);
route();
