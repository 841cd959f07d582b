// Python for the page, in a Web Worker: Pyodide from this site's own pyodide/ folder, the kit's public
// checks from kit.zip (micrograd_feedback and the skeleton package). The page ends this worker when a
// check runs past its deadline (an infinite loop in a student's code cannot be interrupted from here)
// and starts a new one.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const started = performance.now();
const ready = (async () => {
  const pyodide = await loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href });
  const kit = await fetch(new URL("./kit.zip", import.meta.url));
  pyodide.unpackArchive(await kit.arrayBuffer(), "zip", { extractDir: "/home/pyodide/kit" });
  pyodide.runPython(`
import sys
sys.path.insert(0, "/home/pyodide/kit")
sys.dont_write_bytecode = True
import micrograd_feedback.browser
`);
  return pyodide;
})();

ready.then(
  () => postMessage({ ready: true, ms: Math.round(performance.now() - started) }),
  (error) => postMessage({ ready: false, error: String(error) }),
);

onmessage = async ({ data }) => {
  const pyodide = await ready;
  const browser = pyodide.pyimport("micrograd_feedback.browser");
  const files = pyodide.toPy(data.files);
  const t0 = performance.now();
  try {
    if (data.kind === "check") {
      const result = browser.check(data.part, files).toJs({ dict_converter: Object.fromEntries });
      postMessage({ id: data.id, result, ms: Math.round(performance.now() - t0) });
    } else if (data.kind === "notebook") {
      postMessage({ id: data.id, notebook: browser.notebook(data.template, files) });
    }
  } catch (error) {
    postMessage({ id: data.id, error: String(error) });
  } finally {
    files.destroy();
  }
};
