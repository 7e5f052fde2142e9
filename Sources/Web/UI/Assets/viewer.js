// The series viewer, drawn by the server (every transfer syntax it decodes): each frame of
// each image in turn. A drag does what the mode says — scroll through the images, window
// (left-right the width, up-down the level) or pan —; the wheel scrolls (zooms in pan mode);
// presets fit the modality (none on colour images); cine plays at a chosen rate; a strip
// of the study's series and the patient banner stay in view.
"use strict";

// Window presets (center, width) by modality; none for colour images.
const presetsByModality = {
  CT: [["Soft tissue", [40, 400]], ["Lung", [-600, 1500]], ["Bone", [300, 1500]], ["Brain", [40, 80]], ["Liver", [60, 160]]],
  PT: [["SUV 0-5", [2.5, 5]], ["SUV 0-10", [5, 10]]],
};
const cineRates = [2, 5, 10, 15, 25, 30];

// Every frame of the series in order: [{ instance, frame }] (frame null for a single-frame image).
async function seriesFrames(study, series) {
  const instances = await search(`/studies/${study}/series/${series}/instances`, { includefield: "00200013,00280008" });
  instances.sort((a, b) => Number(value(a, "00200013") || 0) - Number(value(b, "00200013") || 0));
  const frames = [];
  for (const item of instances) {
    const count = Number(value(item, "00280008") || 1);
    for (let frame = 1; frame <= count; frame++) frames.push({ instance: value(item, "00080018"), frame: count > 1 ? frame : null });
  }
  return frames;
}
function frameURL(study, series, item, window) {
  const base = `${api}/studies/${study}/series/${series}/instances/${item.instance}` + (item.frame ? `/frames/${item.frame}` : "") + "/rendered";
  return window ? `${base}?window=${Math.round(window[0])},${Math.max(1, Math.round(window[1]))}` : base;
}
// What drawing needs from an instance's header: modality, colour, its own window.
async function pictureFacts(study, series, instance) {
  const response = await fetch(`${api}/studies/${study}/series/${series}/instances/${instance}/metadata`, { headers: { Accept: "application/dicom+json" } });
  if (!response.ok) return { modality: "", colour: false, window: null, bits: 12 };
  const [item] = await response.json();
  const center = Number(value(item, "00281050")), width = Number(value(item, "00281051"));
  const photometric = value(item, "00280004");
  return { modality: value(item, "00080060"), colour: !photometric.startsWith("MONOCHROME"), bits: Number(value(item, "00280101") || 12),
           window: value(item, "00281050") !== "" && width > 0 ? [center, width] : null };
}

// Back to the study, where the patient's other studies are listed.
function studyLink(study) {
  return element("p", { class: "back" }, element("a", { href: `#/study/${study}`, class: "study-link" }, "← Study and the patient's other studies"));
}

function seriesStrip(study, seriesList, current) {
  seriesList.sort((a, b) => Number(value(a, "00200011") || 0) - Number(value(b, "00200011") || 0));
  return element("nav", { class: "strip", "aria-label": "series" }, seriesList.map((item) => {
    const uid = value(item, "0020000E");
    const modality = value(item, "00080060");
    const report = modality === "SR";
    const picture = report ? element("span", { class: "thumb-missing" }, "Report")
      : element("img", { alt: "", loading: "lazy", src: `${api}/studies/${study}/series/${uid}/thumbnail?viewport=96,96` });
    if (!report) picture.addEventListener("error", () => picture.replaceWith(element("span", { class: "thumb-missing" }, modality)));
    return element("a", { href: report ? `#/report/${study}/${uid}` : `#/viewer/${study}/${uid}`, class: "strip-item",
                          "aria-current": String(uid === current), title: value(item, "0008103E") },
      picture, element("span", {}, `${modality} ${value(item, "00200011")}`));
  }));
}

async function viewer(study, series) {
  main.replaceChildren(element("p", { class: "muted" }, "Loading…"));
  const [studies, seriesList, frames] = await Promise.all([studyInfo(study), search(`/studies/${study}/series`), seriesFrames(study, series)]);
  const facts = frames.length ? await pictureFacts(study, series, frames[0].instance) : { modality: "", colour: false, window: null, bits: 12 };
  let index = frames.length > 1 && frames.every((item) => item.frame) ? 0 : Math.floor(frames.length / 2);
  let window = null, mode = "scroll", zoom = 1, pan = [0, 0], playing = null, wanted = null;
  const image = element("img", { alt: "image" });
  const overlay = element("div", { class: "overlay" });
  const frame = element("div", { class: "frame", tabindex: "0" }, image, overlay);
  const message = element("div");
  const slider = element("input", { type: "range", min: "1", max: String(Math.max(1, frames.length)), value: String(index + 1), "aria-label": "image" });
  const windowLabel = element("span", { class: "muted" });

  function show() {
    if (!frames.length) return;
    const url = frameURL(study, series, frames[index], window);
    // While a picture is loading, the newest one asked for waits (a drag asks for many).
    if (image.dataset.loaded === "false" && image.src) { wanted = url; } else { image.dataset.loaded = "false"; image.src = url; }
    image.dataset.index = String(index + 1);
    overlay.textContent = `${index + 1} / ${frames.length}` + (frames[index].frame ? ` (frame ${frames[index].frame})` : "");
    slider.value = String(index + 1);
    windowLabel.textContent = window ? `W ${Math.round(window[1])} L ${Math.round(window[0])}` : "";
    for (const next of frames.slice(index + 1, index + 3)) new Image().src = frameURL(study, series, next, window);
  }
  function move(step, wrap = false) {
    let next = index + step;
    if (wrap) next = (next + frames.length) % frames.length;
    next = Math.max(0, Math.min(frames.length - 1, next));
    if (next !== index) { index = next; show(); }
  }
  function place() {
    image.style.transform = `translate(${pan[0]}px, ${pan[1]}px) scale(${zoom})`;
  }
  image.addEventListener("load", () => {
    image.dataset.loaded = "true"; image.hidden = false; message.replaceChildren();
    if (wanted) { const url = wanted; wanted = null; image.dataset.loaded = "false"; image.src = url; }
  });
  image.addEventListener("error", async () => {
    const item = frames[index];
    image.dataset.loaded = "error";
    image.hidden = true;
    const response = await fetch(image.src, { headers: { Accept: "image/png" } });
    const detail = response.ok ? "the picture could not be shown" : await problem(response);
    message.replaceChildren(element("p", { class: "message", role: "alert" }, `${detail}. `,
      element("a", { href: downloadURL(study, series, item.instance), download: `${item.instance}.dcm` }, "Download this image (DICOM)")));
  });
  frame.addEventListener("wheel", (event) => {
    event.preventDefault();
    if (mode === "pan") { zoom = Math.max(0.5, Math.min(8, zoom * (event.deltaY > 0 ? 0.9 : 1.1))); place(); } else move(event.deltaY > 0 ? 1 : -1);
  }, { passive: false });
  frame.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowRight") move(1);
    if (event.key === "ArrowUp" || event.key === "ArrowLeft") move(-1);
  });
  let drag = null;
  frame.addEventListener("pointerdown", (event) => {
    try { frame.setPointerCapture(event.pointerId); } catch { /* a synthetic pointer: nothing to capture */ }
    // Without a window of its own, a CT starts from soft tissue, anything else from its whole range.
    const start = window || facts.window || (facts.modality === "CT" ? [40, 400] : [2 ** (facts.bits - 1), 2 ** facts.bits]);
    drag = { x: event.clientX, y: event.clientY, index, window: start, pan: [...pan] };
  });
  frame.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (mode === "scroll") move(drag.index + Math.round(dy / 12) - index);
    else if (mode === "pan") { pan = [drag.pan[0] + dx, drag.pan[1] + dy]; place(); }
    else if (mode === "window" && !facts.colour) {
      const step = Math.max(1, drag.window[1] / 256);
      window = [drag.window[0] + dy * step, Math.max(1, drag.window[1] + dx * step)];
      for (const button of presetButtons) button.setAttribute("aria-pressed", "false");
      show();
    }
  });
  for (const end of ["pointerup", "pointercancel"]) frame.addEventListener(end, () => { drag = null; });
  slider.addEventListener("input", () => { index = Number(slider.value) - 1; show(); });

  // Modes, presets, zoom and cine.
  const modes = [["scroll", "Scroll"], ["window", "Window"], ["pan", "Zoom/pan"]].filter(([name]) => name !== "window" || !facts.colour);
  const modeButtons = modes.map(([name, label]) => element("button", { class: "preset", type: "button", "aria-pressed": String(name === mode), dataset: { mode: name },
    onclick: () => { mode = name; for (const button of modeButtons) button.setAttribute("aria-pressed", String(button.dataset.mode === mode)); } }, label));
  const choices = facts.colour ? [] : [["Default", null], ...(presetsByModality[facts.modality] || [])];
  const presetButtons = choices.map(([name, preset]) => element("button", { class: "preset", type: "button", "aria-pressed": String(preset === null), dataset: { preset: name },
    onclick: (event) => {
      window = preset;
      for (const button of presetButtons) button.setAttribute("aria-pressed", String(button === event.currentTarget));
      show();
    } }, name));
  const zoomButtons = [["+", () => { zoom = Math.min(8, zoom * 1.25); }], ["−", () => { zoom = Math.max(0.5, zoom / 1.25); }], ["Fit", () => { zoom = 1; pan = [0, 0]; }]]
    .map(([label, act]) => element("button", { class: "preset", type: "button", "aria-label": label === "+" ? "zoom in" : label === "−" ? "zoom out" : "fit",
                                               onclick: () => { act(); place(); } }, label));
  const rate = element("select", { "aria-label": "frames per second" }, cineRates.map((fps) => element("option", { value: String(fps) }, `${fps} fps`)));
  rate.value = "10";
  const play = element("button", { class: "preset", type: "button", "aria-pressed": "false", dataset: { action: "play" }, onclick: () => {
    if (playing) { clearInterval(playing); playing = null; } else {
      playing = setInterval(() => { if (image.dataset.loaded !== "false") move(1, true); }, 1000 / Number(rate.value));
    }
    play.setAttribute("aria-pressed", String(Boolean(playing)));
    play.textContent = playing ? "Pause" : "Play";
  } }, "Play");
  rate.addEventListener("change", () => { if (playing) { play.click(); play.click(); } });
  onLeave(() => { if (playing) clearInterval(playing); });

  main.replaceChildren(
    studyLink(study),
    patientBanner(studies[0] || {}),
    seriesStrip(study, seriesList, series),
    element("div", { class: "viewer" }, frame, message,
      element("div", { class: "controls" }, slider, frames.length > 1 ? [play, rate] : []),
      element("div", { class: "controls" }, modeButtons, zoomButtons, presetButtons, windowLabel)));
  if (frames.length === 0) {
    message.replaceChildren(element("p", { class: "message" }, "This series has no images."));
  } else {
    show();
  }
  document.body.dataset.state = "ready";
}

// Stops what a page started (cine) when another page is shown.
let pageStops = [];
function onLeave(stop) { pageStops.push(stop); }
function leavePage() { for (const stop of pageStops) stop(); pageStops = []; }
