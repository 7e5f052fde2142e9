// A structured report read as text (PS3.3 C.17.3): its title, then each content item — a
// heading for a container, "concept: value" for text, codes, numbers with their units,
// dates, names and references —, nested as the report nests them.
"use strict";

function codeMeaning(item, tag) {
  const sequence = item && item[tag] && item[tag].Value;
  return sequence && sequence[0] ? value(sequence[0], "00080104") : "";
}

function contentItem(item) {
  const concept = codeMeaning(item, "0040A043");
  const type = value(item, "0040A040");
  let text = "";
  if (type === "TEXT") text = value(item, "0040A160");
  else if (type === "CODE") text = codeMeaning(item, "0040A168");
  else if (type === "NUM") {
    const measured = item["0040A300"] && item["0040A300"].Value && item["0040A300"].Value[0];
    const unit = measured && measured["004008EA"] && measured["004008EA"].Value ? measured["004008EA"].Value[0] : null;
    // UCUM units read best as their code ("mm"); others by their meaning.
    const units = unit ? (value(unit, "00080102") === "UCUM" ? value(unit, "00080100") : value(unit, "00080104")) : "";
    text = measured ? `${value(measured, "0040A30A")} ${units}`.trim() : "";
  } else if (type === "DATE") text = dicomDate(value(item, "0040A121"));
  else if (type === "DATETIME") text = value(item, "0040A120");
  else if (type === "PNAME") text = personName(value(item, "0040A123"));
  else if (type === "UIDREF") text = value(item, "0040A124");
  else if (type === "IMAGE" || type === "COMPOSITE") text = "(an image or object it refers to)";
  const children = (item["0040A730"] && item["0040A730"].Value) || [];
  if (type === "CONTAINER") {
    return element("section", { class: "sr-container" }, concept ? element("h3", {}, concept) : "", children.map(contentItem));
  }
  return element("div", { class: "sr-item" }, concept ? element("span", { class: "muted" }, `${concept}: `) : "", text,
    children.length ? element("div", { class: "sr-children" }, children.map(contentItem)) : "");
}

async function reportPage(study, series) {
  main.replaceChildren(element("p", { class: "muted" }, "Loading…"));
  const [studies, seriesList] = await Promise.all([studyInfo(study), search(`/studies/${study}/series`)]);
  const response = await fetch(`${api}/studies/${study}/series/${series}/metadata`, { headers: { Accept: "application/dicom+json" } });
  if (response.status === 401) throw new SignInNeeded();
  if (!response.ok) throw new Error(await problem(response));
  const documents = await response.json();
  main.replaceChildren(studyLink(study), patientBanner(studies[0] || {}), seriesStrip(study, seriesList, series),
    ...documents.map((item) => element("article", { class: "report" },
      element("h1", {}, codeMeaning(item, "0040A043") || "Report"),
      element("p", { class: "muted" }, [value(item, "0040A491") && `completion: ${value(item, "0040A491").toLowerCase()}`,
                                        value(item, "0040A493") && `verification: ${value(item, "0040A493").toLowerCase()}`,
                                        dicomDate(value(item, "00080023"))].filter(Boolean).join(" · ")),
      ((item["0040A730"] && item["0040A730"].Value) || []).map(contentItem))));
  if (documents.length === 0) main.append(element("p", { class: "message" }, "This series holds no report."));
  document.body.dataset.state = "ready";
}
