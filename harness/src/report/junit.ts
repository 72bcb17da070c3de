// junit.xml: one test case per traffic path and budget (and one per expectation), so a CI page lists
// which path broke which budget; a failure's message names the loss window and its cause.
import type { Summary } from '../load/summary.ts';
import type { GateResult } from './gate.ts';
import type { LossWindow } from './model.ts';

export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
    // XML 1.0 forbids most control characters even escaped
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

export function junitXml(summary: Summary, gate: GateResult, windows: LossWindow[], suiteName: string): string {
  const cls = `lossless.${suiteName.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  const seconds = Math.max(0, (Date.parse(summary.endedAt) - Date.parse(summary.startedAt)) / 1000);
  const cases: string[] = [];
  const covered = new Set<string>();
  for (const c of gate.checks) {
    const name = `${c.target ?? 'run'}: ${c.kind}${c.limit === null ? '' : ` ${c.limit}`}`;
    if (c.target) covered.add(c.target);
    const body = c.pass
      ? `<system-out>${xmlEscape(c.message)}</system-out>`
      : `<failure type="${c.kind}" message="${xmlEscape(c.message)}">${xmlEscape(detail(c.window, windows, c.target))}</failure>`;
    cases.push(`    <testcase classname="${xmlEscape(cls)}" name="${xmlEscape(name)}" time="0">${body}</testcase>`);
  }
  // a path without any budget still gets its case, so every path shows up with its figures
  for (const t of summary.targets) {
    if (covered.has(t.target) || gate.checks.some((c) => c.target === null)) continue;
    const out = `lost ${t.lost} of ${t.scheduled - t.cancelled} (${t.lossPct}%); no budget set`;
    cases.push(`    <testcase classname="${xmlEscape(cls)}" name="${xmlEscape(`${t.target}: measured`)}" time="0"><system-out>${xmlEscape(out)}</system-out></testcase>`);
  }
  const failures = gate.checks.filter((c) => !c.pass).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="lossless" tests="${cases.length}" failures="${failures}" errors="0" time="${seconds}">`,
    `  <testsuite name="${xmlEscape(suiteName)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds}" timestamp="${xmlEscape(summary.startedAt)}">`,
    '    <properties>',
    `      <property name="runId" value="${xmlEscape(summary.runId)}"/>`,
    `      <property name="lossPct" value="${summary.totals.lossPct}"/>`,
    `      <property name="lost" value="${summary.totals.lost}"/>`,
    `      <property name="windows" value="${windows.length}"/>`,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function detail(w: LossWindow | undefined, windows: LossWindow[], target: string | null): string {
  const ws = windows.filter((x) => target === null || x.target === target);
  const lines = ws.slice(0, 20).map((x) => `${x === w ? '* ' : '  '}${x.target} ${x.durationMs} ms, ${x.lost} lost, cause ${x.cause ?? 'none'}${x.evidence ? `: ${x.evidence}` : ''}${x.fix ? ` | fix: ${x.fix}` : ''}`);
  if (ws.length > 20) lines.push(`  ... ${ws.length - 20} more windows`);
  return lines.join('\n');
}
