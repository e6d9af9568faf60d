// Prints the plain closing line CI reads ('N passed, N failed') from vitest's JSON reports (one per
// vitest run of `npm test`: .test-logs/vitest-report*.json).
import { readdirSync, readFileSync } from 'node:fs';

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

const reports = readdirSync('.test-logs')
  .filter((name) => /^vitest-report.*\.json$/.test(name))
  .map((name) => JSON.parse(readFileSync(`.test-logs/${name}`, 'utf8')) as Report);
const sum = (count: (report: Report) => number) =>
  reports.reduce((total, report) => total + count(report), 0);
console.log(
  `vitest: ${sum((r) => r.numPassedTests)} passed, ${sum((r) => r.numFailedTests)} failed, ${sum((r) => r.numPendingTests + r.numTodoTests)} skipped`,
);
