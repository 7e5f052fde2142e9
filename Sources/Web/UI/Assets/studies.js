// The study list, a study's page and the patient banner.
"use strict";

// Sort orders of the study list: newest first unless another is chosen.
const studySorts = {
  "-date": (a, b) => studyWhen(b).localeCompare(studyWhen(a)),
  "date": (a, b) => studyWhen(a).localeCompare(studyWhen(b)),
  "name": (a, b) => personName(value(a, "00100010")).localeCompare(personName(value(b, "00100010"))),
  "-name": (a, b) => personName(value(b, "00100010")).localeCompare(personName(value(a, "00100010"))),
};
function studyWhen(study) { return value(study, "00080020") + value(study, "00080030"); }

// The study list: search by name (any part of any name component), patient ID, accession,
// dates and modality (several as "CT,MR"); the Date and Patient headings sort.
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
    if (parameters.get("sort")) query.set("sort", parameters.get("sort"));
    location.hash = "#/?" + query.toString();
  });
  const results = element("div", {}, element("p", { class: "muted" }, "Searching…"));
  main.replaceChildren(form, results);
  const from = (parameters.get("from") || "").replaceAll("-", "");
  const to = (parameters.get("to") || "").replaceAll("-", "");
  const name = (parameters.get("name") || "").replaceAll("*", "").trim();
  const studies = await search("/studies", {
    PatientName: name ? `*${name}*` : "",
    PatientID: parameters.get("id") || "",
    AccessionNumber: parameters.get("accession") || "",
    StudyDate: from || to ? `${from}-${to}` : "",
    ModalitiesInStudy: (parameters.get("modality") || "").toUpperCase().replaceAll(" ", ""),
    limit: "500",
  });
  const sort = studySorts[parameters.get("sort")] ? parameters.get("sort") : "-date";
  studies.sort(studySorts[sort]);
  if (studies.length === 0) {
    results.replaceChildren(element("p", { class: "muted" }, "No study matches."));
  } else {
    const sortLink = (key, label) => {
      const next = sort === `-${key}` ? key : `-${key}`;
      const query = new URLSearchParams(parameters);
      query.set("sort", next);
      const arrow = sort === key ? " ▲" : sort === `-${key}` ? " ▼" : "";
      return element("th", { "aria-sort": sort === key ? "ascending" : sort === `-${key}` ? "descending" : "none" },
        element("a", { href: "#/?" + query.toString(), class: "sort", dataset: { sort: key } }, label + arrow));
    };
    const rows = studies.map((study) => {
      const uid = value(study, "0020000D");
      return element("tr", { class: "study", tabindex: "0", dataset: { uid }, onclick: () => { location.hash = `#/study/${uid}`; },
                              onkeydown: (event) => { if (event.key === "Enter") location.hash = `#/study/${uid}`; } },
        element("td", {}, personName(value(study, "00100010"))), element("td", { class: "hide-narrow" }, value(study, "00100020")),
        element("td", {}, dicomDate(value(study, "00080020"))), element("td", {}, values(study, "00080061").join(", ")),
        element("td", { class: "hide-narrow" }, value(study, "00081030")), element("td", { class: "hide-narrow" }, value(study, "00080050")),
        element("td", { class: "hide-narrow" }, value(study, "00201208")));
    });
    results.replaceChildren(element("table", {},
      element("thead", {}, element("tr", {}, sortLink("name", "Patient"), element("th", { class: "hide-narrow" }, "ID"), sortLink("date", "Date"),
        element("th", {}, "Modality"), element("th", { class: "hide-narrow" }, "Description"), element("th", { class: "hide-narrow" }, "Accession"),
        element("th", { class: "hide-narrow" }, "Images"))),
      element("tbody", {}, rows)));
  }
  document.body.dataset.state = "ready";
}

// A study's attributes for the banner.
function studyInfo(study) {
  return search("/studies", { StudyInstanceUID: study, includefield: "00100030,00100040,00081030,00080061" });
}

// Who and what is on screen: patient name, ID, birth date, sex; study date and description.
function patientBanner(info) {
  const item = (label, text) => text ? element("span", {}, element("span", { class: "muted" }, label + " "), text) : "";
  const sex = { M: "male", F: "female", O: "other" }[value(info, "00100040")] || value(info, "00100040");
  return element("div", { class: "banner", role: "region", "aria-label": "patient" },
    element("strong", { class: "patient-name" }, personName(value(info, "00100010")) || "Unnamed patient"),
    item("ID", value(info, "00100020")), item("born", dicomDate(value(info, "00100030"))), item("sex", sex),
    item("study", dicomDate(value(info, "00080020"))), item("", value(info, "00081030")));
}

// A study: its series, each with a picture of its middle image (a report as text), and the
// patient's other studies one click away.
async function studyPage(study) {
  main.replaceChildren(element("p", { class: "muted" }, "Loading…"));
  const [studies, series] = await Promise.all([studyInfo(study), search(`/studies/${study}/series`)]);
  const info = studies[0] || {};
  const grid = element("div", { class: "series-grid" });
  series.sort((a, b) => Number(value(a, "00200011") || 0) - Number(value(b, "00200011") || 0));
  for (const item of series) {
    const uid = value(item, "0020000E");
    const report = value(item, "00080060") === "SR";
    const card = element("a", { class: "series", href: report ? `#/report/${study}/${uid}` : `#/viewer/${study}/${uid}`, dataset: { uid } });
    card.append(element("div", { class: "thumb-missing" }, report ? "Report" : "…"),
      element("div", {}, `${value(item, "00080060")} ${value(item, "00200011")}`),
      element("div", { class: "muted" }, `${value(item, "0008103E")} (${value(item, "00201209")} ${report ? "documents" : "images"})`));
    grid.append(card);
    if (!report) thumbnail(study, uid, card);
  }
  const priors = element("section", { class: "priors" });
  main.replaceChildren(element("p", {}, element("a", { href: "#/" }, "← Studies")), patientBanner(info), grid, priors);
  // The series show at once; the page is ready once the patient's other studies are listed too.
  const patient = value(info, "00100020");
  if (patient) {
    const others = (await search("/studies", { PatientID: patient, includefield: "00081030" })).filter((item) => value(item, "0020000D") !== study);
    others.sort(studySorts["-date"]);
    priors.replaceChildren(element("h2", {}, `Other studies of this patient (${others.length})`),
      others.length === 0 ? element("p", { class: "muted" }, "None here.") : element("ul", {}, others.map((item) =>
        element("li", {}, element("a", { href: `#/study/${value(item, "0020000D")}`, class: "prior" },
          `${dicomDate(value(item, "00080020"))} ${values(item, "00080061").join(", ")} ${value(item, "00081030")}`)))));
  }
  document.body.dataset.state = "ready";
}
function thumbnail(study, series, card) {
  const image = element("img", { alt: "series thumbnail", loading: "lazy", src: `${api}/studies/${study}/series/${series}/thumbnail?viewport=256,256` });
  image.addEventListener("error", () => image.replaceWith(element("div", { class: "thumb-missing" }, "No picture: open in a diagnostic viewer")));
  card.firstChild.replaceWith(image);
}
