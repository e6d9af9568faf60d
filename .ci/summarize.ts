// Prints the plain closing line CI reads ('N passed, N failed') from vitest's JSON report.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync('.test-logs/vitest-report.json', 'utf8')) as {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
};
console.log(
  `vitest: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`,
);
