// ONNX Runtime (CPU, from the npm package onnxruntime-node) on one benchmark case: one JSON line out.
//   node ort_bench.js MODEL_DIR THREADS REPEAT [MIN_TIME]
// Times at least REPEAT runs and MIN_TIME seconds of runs (default 0.5), as onednn_bench does.
// MODEL_DIR is a case folder of make_models.py (model.onnx exported at the case's batch and length,
// meta.json). intraOpNumThreads = THREADS, interOpNumThreads = 1, graph optimisations on (ORT's default
// "all"), sequential execution: the same thread budget as the seqflow and oneDNN runs.
// Needs NODE_PATH (or a node_modules beside the working folder) with onnxruntime-node installed by
// `npm install --ignore-scripts onnxruntime-node`: the install script's download is not needed.
const fs = require("fs");
const path = require("path");
const ort = require("onnxruntime-node");

async function main() {
  const [dir, threadsArg, repeatArg, minTimeArg] = process.argv.slice(2);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8"));
  const threads = Number(threadsArg || 1), repeat = Number(repeatArg || 3), minTime = Number(minTimeArg || 0.5);
  const session = await ort.InferenceSession.create(path.join(dir, "model.onnx"), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const n = meta.B * meta.T * meta.features;
  const data = new Float32Array(n);
  for (let i = 0; i < n; ++i) data[i] = Math.sin(i * 0.37);
  const feeds = { x: new ort.Tensor("float32", data, [meta.B, meta.T, meta.features]) };
  await session.run(feeds);  // warm-up
  const secs = [];
  for (let total = 0; secs.length < repeat || total < minTime;) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    secs.push(Number(process.hrtime.bigint() - t0) / 1e9);
    total += secs[secs.length - 1];
  }
  secs.sort((a, b) => a - b);
  const best = secs[0];
  console.log(JSON.stringify({ impl: "onnxruntime", precision: "f32", threads, batch: meta.B, steps: meta.T,
                               best_s: best, median_s: secs[Math.floor(secs.length / 2)], runs: secs.length,
                               frames_per_s: meta.B * meta.T / best, version: ort.env.versions.common }));
}

main().catch((e) => { console.error(e); process.exit(1); });
