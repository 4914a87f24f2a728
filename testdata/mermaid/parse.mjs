import { JSDOM } from 'jsdom';
import { readFileSync } from 'fs';
const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window; globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });
let failed = 0;
for (const f of process.argv.slice(2)) {
  const text = readFileSync(f, 'utf8');
  try { await mermaid.parse(text); console.log('ok', f); }
  catch (e) { failed++; console.log('FAIL', f, String(e.message || e).split('\n').slice(0,4).join(' | ')); }
}
process.exit(failed ? 1 : 0);
