// The page: the student's files in an editor (saved in this browser on every change), the public
// checks of each part run by Python in a Web Worker (worker.js) under a deadline, and downloads of the
// files and the assignment notebooks. Everything a student's code prints reaches the page as text
// (textContent), never as markup.
"use strict";

const STORE = "micrograd-site:file:"; // + "engine.py": the student's work, kept across visits and versions
const $ = (id) => document.getElementById(id);
const state = { manifest: null, files: {}, current: null, editor: null, timings: { checks: [] } };
window.micrograd = state; // for the bench and for curious students: timings, manifest

// == Python in a worker, one job at a time, each under a deadline ==================================
const python = {
  worker: null, ready: null, pending: new Map(), nextId: 1, queue: Promise.resolve(),

  start() {
    const t0 = performance.now();
    const worker = new Worker("worker.js", { type: "module" });
    this.worker = worker;
    this.ready = new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => {
        if ("ready" in data) {
          if (!data.ready) return reject(new Error(data.error));
          const ms = Math.round(performance.now() - t0);
          state.timings.load = state.timings.load ?? ms;
          setStatus(`Python is ready (started in ${(ms / 1000).toFixed(1)} s). Check a part, or every part of a file.`);
          return resolve();
        }
        const job = this.pending.get(data.id);
        if (job) { this.pending.delete(data.id); job(data); }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        const error = { error: event.message || "Python stopped" };
        for (const job of this.pending.values()) job(error);
        this.pending.clear();
        reject(new Error(error.error));
      };
    });
    this.ready.catch((error) => setStatus(`Python could not start in this page: ${error.message}`));
  },

  restart() {
    this.worker.terminate();
    for (const job of this.pending.values()) job({ error: "stopped" });
    this.pending.clear();
    setStatus("Starting Python again…");
    this.start();
  },

  // Run `message` when the jobs before it are done; after `seconds`, end the worker and answer {timeout}.
  ask(message, seconds) {
    const run = async () => {
      try { await this.ready; } catch { this.restart(); await this.ready; }
      return new Promise((resolve) => {
        const id = this.nextId++;
        const timer = setTimeout(() => { this.pending.delete(id); this.restart(); resolve({ timeout: true }); },
                                 seconds * 1000);
        this.pending.set(id, (data) => { clearTimeout(timer); resolve(data); });
        this.worker.postMessage({ ...message, id });
      });
    };
    const answer = this.queue.then(run, run);
    this.queue = answer.catch(() => {});
    return answer;
  },
};

function setStatus(text) { $("status").textContent = text; }

// == the files ==========================================================================
function save(name, text) {
  state.files[name] = text;
  try { localStorage.setItem(STORE + name, text); } catch { setStatus("This browser would not save your code: download it to keep it."); }
}

function show(name) {
  state.current = name;
  for (const tab of $("tabs").children) tab.setAttribute("aria-selected", String(tab.dataset.file === name));
  state.editor.text = state.files[name];
  state.editor.focus();
  renderParts();
}

function download(name, text, type = "text/x-python") {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// == the checks ===========================================================================
function partsOf(file) { return state.manifest.parts.filter((p) => `${p.module}.py` === file); }

function renderParts() {
  const list = $("parts");
  list.replaceChildren();
  for (const part of partsOf(state.current)) {
    const item = document.createElement("li");
    item.id = `part-${part.id}`;
    const head = document.createElement("div");
    head.className = "part-head";
    const title = document.createElement("strong");
    title.textContent = part.heading;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Check";
    button.addEventListener("click", () => checkPart(part));
    const verdict = document.createElement("span");
    verdict.className = "verdict";
    const report = document.createElement("pre");
    report.className = "report";
    report.hidden = true;
    head.append(title, button, verdict);
    item.append(head, report);
    list.append(item);
    const last = state.results?.[part.id];
    if (last) showResult(part, last);
  }
}

function showResult(part, shown) {
  state.results = state.results ?? {};
  state.results[part.id] = shown;
  const item = $(`part-${part.id}`);
  if (!item) return;
  const verdict = item.querySelector(".verdict");
  const report = item.querySelector(".report");
  verdict.className = `verdict ${shown.kind}`;
  verdict.textContent = shown.verdict;
  report.className = `report ${shown.kind}`;
  report.textContent = shown.report;
  report.hidden = !shown.report;
}

async function checkPart(part) {
  showResult(part, { kind: "running", verdict: "checking…", report: "" });
  const files = { ...state.files };
  const seconds = state.manifest.deadline_seconds;
  const t0 = performance.now();
  const answer = await python.ask({ kind: "check", part: part.id, files }, seconds);
  const ms = Math.round(performance.now() - t0);
  let shown;
  if (answer.timeout) {
    shown = { kind: "stopped", verdict: `stopped after ${seconds} s`,
              report: `${part.heading}: stopped after ${seconds} s: your code did not finish. Look for a loop ` +
                      `that never ends, a recursion without a base case, or a list that keeps growing, in the code ` +
                      `this part runs. ` +
                      `Python was started again; your code is kept.` };
  } else if (answer.error) {
    shown = { kind: "stopped", verdict: "Python stopped",
              report: `${part.heading}: Python stopped while checking it (${answer.error}). Your code may use ` +
                      `too much memory. Python was started again; your code is kept.` };
    python.restart();
  } else {
    const r = answer.result;
    state.timings.checks.push({ part: part.id, ms: answer.ms, total_ms: ms });
    shown = r.passed
      ? { kind: "pass", verdict: `✓ all ${r.total} public checks pass`, report: "" }
      : { kind: "fail", verdict: r.total ? `✗ ${r.failed} of ${r.total} fail` : "✗ not checked", report: r.report };
  }
  showResult(part, shown);
  return shown;
}

async function checkFile() {
  for (const part of partsOf(state.current)) await checkPart(part);
}

// == hand in ===============================================================================
function renderDownloads() {
  const box = $("downloads");
  for (const name of Object.keys(state.manifest.files)) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `Download ${name}`;
    button.addEventListener("click", () => download(name, state.files[name]));
    box.append(button);
  }
  for (const nb of state.manifest.notebooks) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `Download ${nb.name}.ipynb`;
    button.addEventListener("click", async () => {
      const template = await (await fetch(nb.template)).text();
      const answer = await python.ask({ kind: "notebook", template, files: { ...state.files } }, 30);
      if (answer.notebook) download(`${nb.name}.ipynb`, answer.notebook, "application/x-ipynb+json");
      else setStatus(`The notebook could not be made: ${answer.error ?? "timed out"}`);
    });
    box.append(button);
  }
}

// == start ===============================================================================
async function main() {
  python.start();
  state.manifest = await (await fetch("manifest.json")).json();
  for (const [name, skeleton] of Object.entries(state.manifest.files)) {
    state.files[name] = localStorage.getItem(STORE + name) ?? skeleton;
  }
  for (const name of Object.keys(state.files)) {
    const tab = document.createElement("button");
    tab.type = "button";
    tab.setAttribute("role", "tab");
    tab.dataset.file = name;
    tab.textContent = name;
    tab.addEventListener("click", () => show(name));
    $("tabs").append(tab);
  }
  state.current = Object.keys(state.files)[0];
  state.editor = MicrogradEditor.create($("editor"), state.files[state.current], (text) => save(state.current, text));
  $("check-file").addEventListener("click", checkFile);
  $("open").addEventListener("change", async (event) => {
    const [file] = event.target.files;
    if (file) { state.editor.text = await file.text(); event.target.value = ""; }
  });
  $("restore").addEventListener("click", () => {
    if (confirm(`Replace ${state.current} with the skeleton? Your code in it is lost unless you downloaded it.`)) {
      state.editor.text = state.manifest.files[state.current];
    }
  });
  renderDownloads();
  show(state.current);
  $("about").textContent = `micrograd teaching kit ${state.manifest.version}: the same public checks as ` +
    `the course's package and notebooks, run by Python in this page (Pyodide ${state.manifest.pyodide}). ` +
    `Nothing you write leaves this browser.`;
}

main();
