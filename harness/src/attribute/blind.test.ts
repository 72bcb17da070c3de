// Attribution is blind to the scenario (issue 10): it judges from the ledger and the observed timeline,
// never from the scenario's name, variant or `expect`, nor from the fault injection's settings (the echo's
// WARMUP, FAIL_SEQS, READY_DELAY, ON_SIGTERM...): a verdict read from the knob holds by construction.
// Checked on the source itself (strings and comments do not count: a fix's text may name a knob to turn;
// code may not read one). A small scanner, not the TypeScript parser: typescript 7 has no JS parser API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('.', import.meta.url));

/** What attribution may import from outside its folder: the shared vocabulary and two observed facts. */
const ALLOWED_OUTSIDE = new Set(['../record.ts', '../observe/clock.ts', '../observe/registrylog.ts']);

/** Names under which scenario metadata or fault-injection settings would be read. */
const FORBIDDEN = /^(scenario|scenarioName|variant|variants|expect|expects|expectation|expectations|faults?|inject(ion)?|warmup|WARMUP|WARMUP_RPS|FAIL_SEQS|FAIL_RATE|READY_DELAY|ON_SIGTERM)$/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [p] : [];
  });
}

interface Finding {
  imports: string[];
  names: string[];
}

/** The source with comments and the text of string and template literals blanked (`${}` code kept). */
function codeOnly(src: string): string {
  let out = '';
  let i = 0;
  const depth: number[] = []; // brace depth at each open `${`
  let braces = 0;
  const template = (): void => {
    // inside a template literal's text, up to its end or the next `${`
    while (i < src.length) {
      const c = src[i]!;
      if (c === '\\') {
        out += '  ';
        i += 2;
      } else if (c === '`') {
        out += '`';
        i++;
        return;
      } else if (c === '$' && src[i + 1] === '{') {
        out += '${';
        i += 2;
        depth.push(braces);
        braces++;
        return;
      } else {
        out += c === '\n' ? '\n' : ' ';
        i++;
      }
    }
  };
  while (i < src.length) {
    const c = src[i]!;
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === "'" || c === '"') {
      out += c;
      i++;
      while (i < src.length && src[i] !== c && src[i] !== '\n') {
        out += ' ';
        i += src[i] === '\\' ? 2 : 1;
      }
      out += c;
      i++;
    } else if (c === '`') {
      out += '`';
      i++;
      template();
    } else if (c === '{') {
      braces++;
      out += c;
      i++;
    } else if (c === '}') {
      braces--;
      out += c;
      i++;
      if (depth.length > 0 && braces === depth.at(-1)) {
        depth.pop();
        template();
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function inspect(file: string, text = readFileSync(file, 'utf8')): Finding {
  const imports = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((m) => m[1]!);
  const names: string[] = [];
  const code = codeOnly(text);
  const lines = code.split('\n');
  lines.forEach((line, n) => {
    for (const m of line.matchAll(/[A-Za-z_$][\w$]*/g)) if (FORBIDDEN.test(m[0])) names.push(`${m[0]} (line ${n + 1})`);
  });
  // a bracketed string read of a knob: detail['WARMUP']
  for (const m of text.matchAll(/\[\s*['"]([^'"]+)['"]\s*\]/g)) if (FORBIDDEN.test(m[1]!)) names.push(`['${m[1]}']`);
  return { imports, names };
}

test('the checker finds a scenario read and a foreign import (a hand-written module)', () => {
  const src = "import { load } from '../scenario/load.ts';\nexport const f = (s: { variant: string; detail: Record<string, string> }) => s.variant + s.detail['WARMUP'] + 'expect' + `expect ${s.variant + '}'} expect`; // scenario\n";
  const { names, imports } = inspect('probe.ts', src);
  assert.deepEqual(names, ['variant (line 2)', 'variant (line 2)', 'variant (line 2)', "['WARMUP']"], "'expect' in strings and comments is text, not a read");
  assert.deepEqual(imports.filter((i) => !ALLOWED_OUTSIDE.has(i)), ['../scenario/load.ts']);
});

test('no attribution code reads the scenario or its fault injection, nor imports anything that could', () => {
  const files = sources(DIR);
  assert.ok(files.length >= 8, `read ${files.length} files`);
  const problems: string[] = [];
  for (const file of files) {
    const rel = relative(DIR, file);
    const { imports, names } = inspect(file);
    for (const i of imports) {
      if (i.startsWith('node:')) continue;
      // inside attribute/ (any depth) is fine; outside only the allowed few
      const resolved = relative(DIR, join(file, '..', i));
      if (!resolved.startsWith('..')) continue;
      const fromSrc = `../${relative(join(DIR, '..'), join(file, '..', i))}`;
      if (!ALLOWED_OUTSIDE.has(fromSrc)) problems.push(`${rel} imports ${i}`);
    }
    for (const n of names) problems.push(`${rel} reads ${n}`);
  }
  assert.deepEqual(problems, []);
});
