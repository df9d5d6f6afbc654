#!/usr/bin/env bash
# The whole suite (`npm test`): typecheck, lint, unit + simulator tests (vitest), build, e2e
# (Playwright in Debian's Chromium). Every step runs even when an earlier one failed, so one run
# shows everything. Ends with ONE line "N passed, N failed[, N skipped]" summing vitest, Playwright
# and the lint (two checks, eslint and scripts/unused-exports.ts, each passed when it reports
# nothing); exits non-zero if any test or step failed.
set -uo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
RESULTS=test-results
mkdir -p "$RESULTS"
rm -f "$RESULTS/vitest.json" "$RESULTS/vitest-integration.json" "$RESULTS/playwright.json"
failed_steps=()
started=$SECONDS

step() { printf '\n=== %s (%ss)\n' "$1" "$((SECONDS - started))"; }

# CI is a fresh root machine: get Chromium from Debian (never `playwright install`, which downloads).
if [ ! -x "$CHROMIUM" ]; then
  step "installing chromium with apt-get"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation \
      || failed_steps+=("apt-get install chromium")
  else
    echo "chromium is missing at $CHROMIUM and this is not root: install it (apt-get install chromium)" >&2
    failed_steps+=("chromium missing")
  fi
fi

# The NAT integration test (tests/integration/nat-turn.test.ts) needs iptables and coturn's
# turnserver; as root, get them from Debian too. Not root: that test skips itself, saying why.
if [ "$(id -u)" -eq 0 ] && { ! command -v turnserver >/dev/null || ! command -v iptables >/dev/null; }; then
  step "installing iptables and coturn with apt-get"
  bash scripts/nat-lab.sh install || failed_steps+=("apt-get install iptables coturn")
fi

step "typecheck: tsc --noEmit"
npx tsc --noEmit || failed_steps+=("tsc")

# Type-aware (typescript-eslint through tsconfig.json): floating and misused promises, unused code
# (eslint.config.js). About 50 s of CPU for the whole tree. Then exports nothing imports, which
# eslint cannot see file by file (scripts/unused-exports.ts, about 30 s). Each is one check.
step "lint: eslint"
lint_passed=0
lint_failed=0
if npx eslint .; then lint_passed=$((lint_passed + 1)); else lint_failed=$((lint_failed + 1)); failed_steps+=("lint"); fi
step "lint: unused exports"
if npx tsx scripts/unused-exports.ts; then lint_passed=$((lint_passed + 1)); else lint_failed=$((lint_failed + 1)); failed_steps+=("unused exports"); fi

step "unit and simulator tests: vitest, on both cores"
npx vitest run --exclude 'tests/integration/**' --reporter=default --reporter=json --outputFile.json="$RESULTS/vitest.json" || failed_steps+=("vitest")

# Rings of real WebRTC peers in one process: timing matters (hop acks, ICE), so they get the machine
# to themselves, one file at a time.
step "integration tests over real WebRTC: vitest, one at a time"
npx vitest run tests/integration --maxWorkers=1 --reporter=default --reporter=json --outputFile.json="$RESULTS/vitest-integration.json" || failed_steps+=("vitest integration")

step "build: vite build (with the test handle, window.__dima)"
if VITE_DIMA_TEST_HANDLE=1 npx vite build; then
  step "end-to-end: playwright"
  if [ -x "$CHROMIUM" ]; then
    CHROMIUM_PATH="$CHROMIUM" npx playwright test || failed_steps+=("playwright")
  else
    failed_steps+=("playwright (no chromium)")
  fi
else
  failed_steps+=("vite build (playwright not run)")
fi

# Sum both JSON reports. A report that is missing (the runner crashed) counts as a failed step.
counts=$(node - "$RESULTS/playwright.json" "$RESULTS/vitest.json" "$RESULTS/vitest-integration.json" <<'NODE'
const { existsSync, readFileSync } = require('node:fs');
const [playwrightFile, ...vitestFiles] = process.argv.slice(2);
let passed = 0, failed = 0, skipped = 0;
const missing = [];
for (const vitestFile of vitestFiles) {
  if (!existsSync(vitestFile)) {
    missing.push(vitestFile.split('/').pop());
    continue;
  }
  const v = JSON.parse(readFileSync(vitestFile, 'utf8'));
  passed += v.numPassedTests ?? 0;
  failed += v.numFailedTests ?? 0;
  skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
  // A test file that fails to load has no failed tests but is a failure.
  failed += (v.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
}
if (existsSync(playwrightFile)) {
  const s = JSON.parse(readFileSync(playwrightFile, 'utf8')).stats ?? {};
  passed += (s.expected ?? 0) + (s.flaky ?? 0);
  failed += s.unexpected ?? 0;
  skipped += s.skipped ?? 0;
} else missing.push('playwright report');
console.log(`${passed} ${failed} ${skipped} ${missing.join(',')}`);
NODE
)
read -r passed failed skipped missing <<<"$counts"
passed=$((passed + lint_passed))
failed=$((failed + lint_failed))
[ -n "${missing:-}" ] && failed_steps+=("missing: $missing")

echo
echo "suite took $((SECONDS - started))s"
[ ${#failed_steps[@]} -gt 0 ] && echo "failed steps: ${failed_steps[*]}"
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary+=", $skipped skipped"
echo "$summary"
[ ${#failed_steps[@]} -eq 0 ] && [ "$failed" -eq 0 ]
