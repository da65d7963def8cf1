#!/usr/bin/env node
// A STAND-IN for the tollgate binary, used only to dry-run the VS Code e2e (extension + probe)
// while the Rust server is being built: `TOLLGATE_BIN=tests/e2e/vscode/mock-tollgate.mjs bash
// tests/e2e/vscode/run.sh`. It is not tollgate and proves nothing about the server; the default
// e2e run uses target/release/tollgate. It speaks just enough LSP for the scenario: an
// `unauthorized-write` error on artifacts/prd/sneaky.md, a "Quarantine …" code action backed by
// `tollgate.quarantine` (a file move on disk), and `status --format json`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const COMMANDS = ['tollgate.expandScope', 'tollgate.returnToBuild', 'tollgate.archiveAttempt', 'tollgate.quarantine'];

function findRoot(dir) {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'pipeline.yaml')) || fs.existsSync(path.join(d, '.factory/pipeline.yaml'))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}
function state(root) {
  try { return JSON.parse(fs.readFileSync(path.join(root, '.factory/state.json'), 'utf8')); } catch { return {}; }
}
function blockers(root) {
  const f = path.join(root, 'artifacts/prd/sneaky.md');
  return fs.existsSync(f)
    ? [{ code: 'unauthorized-write', class: 'policy', return_to: 'user', subject: 'artifacts/prd/sneaky.md', path: 'artifacts/prd/sneaky.md',
         message: 'stage `code` wrote artifacts/prd/sneaky.md, outside its write permissions (matrix row code)' }]
    : [];
}

if (argv[0] === '--version') {
  console.log('tollgate 0.0.0-mock (e2e stand-in)');
  process.exit(0);
}
if (argv[0] === 'status') {
  const dir = argv.find((a, i) => i > 0 && !a.startsWith('--') && argv[i - 1] !== '--format') || process.cwd();
  const root = findRoot(dir);
  if (!root) { console.error(`${dir}: no factory root`); process.exit(2); }
  const s = state(root);
  const b = blockers(root);
  const out = { root, pipeline: 'ai-app-factory-checkpoint', stage: s.currentStage ?? null, status: s.status ?? null,
    attempts: 1, max_attempts: 2, blockers: b, warnings: [], next: b.length ? 'tollgate recover quarantine --path artifacts/prd/sneaky.md' : null };
  if (argv.includes('json')) console.log(JSON.stringify(out));
  else console.log(`stage ${out.stage}: ${out.status}, attempt 1/2\n${b.map(x => `  ${x.code} ${x.path}: ${x.message}`).join('\n') || '  no blockers'}`);
  process.exit(b.length ? 1 : 0);
}
if (argv[0] !== 'lsp') { console.error('mock-tollgate: lsp | status | --version'); process.exit(2); }

// --- a minimal LSP server over stdio
let buf = Buffer.alloc(0);
let nextId = 1;
const pending = new Map();
let roots = [];
function send(msg) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...msg }), 'utf8');
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}
function request(method, params) {
  const id = nextId++;
  send({ id, method, params });
  return new Promise(resolve => pending.set(id, resolve));
}
function publish(root) {
  const file = path.join(root, 'artifacts/prd/sneaky.md');
  const uri = pathToFileURL(file).href;
  const diagnostics = fs.existsSync(file)
    ? [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 8 } }, severity: 1, code: 'unauthorized-write', source: 'tollgate',
         message: 'unauthorized-write: stage `code` may not write artifacts/prd/ (matrix row code); return to: user',
         data: { blocker: { class: 'policy', return_to: 'user' } } }]
    : [];
  send({ method: 'textDocument/publishDiagnostics', params: { uri, diagnostics } });
}
async function handle(msg) {
  if (msg.id !== undefined && !msg.method) { pending.get(msg.id)?.(msg); pending.delete(msg.id); return; }
  const p = msg.params || {};
  switch (msg.method) {
    case 'initialize':
      roots = (p.workspaceFolders || []).map(f => findRoot(fileURLToPath(f.uri))).filter(Boolean);
      send({ id: msg.id, result: { capabilities: { textDocumentSync: 1, codeActionProvider: true, executeCommandProvider: { commands: COMMANDS } },
        serverInfo: { name: 'tollgate-mock' } } });
      return;
    case 'initialized': roots.forEach(publish); return;
    case 'textDocument/didOpen': case 'workspace/didChangeWatchedFiles': roots.forEach(publish); return;
    case 'textDocument/codeAction': {
      const file = fileURLToPath(p.textDocument.uri);
      const root = findRoot(path.dirname(file));
      const diags = (p.context?.diagnostics || []).filter(d => d.code === 'unauthorized-write');
      const rel = root && path.relative(root, file).split(path.sep).join('/');
      send({ id: msg.id, result: diags.length ? [{ title: `Quarantine ${rel} to artifacts/_untrusted/code/`, kind: 'quickfix', diagnostics: diags, isPreferred: true,
        command: { title: 'Quarantine', command: 'tollgate.quarantine', arguments: [{ root, path: rel, stage: 'code' }] } }] : [] });
      return;
    }
    case 'workspace/executeCommand': {
      const a = (p.arguments || [])[0] || {};
      if (p.command !== 'tollgate.quarantine') { send({ id: msg.id, error: { code: -32602, message: `${p.command}: not in the mock` } }); return; }
      if (!a.root || !a.path) { send({ id: msg.id, error: { code: -32602, message: 'tollgate.quarantine needs root and path' } }); return; }
      const root = a.root.startsWith('file:') ? fileURLToPath(a.root) : a.root;
      const from = path.join(root, a.path);
      const to = path.join(root, 'artifacts/_untrusted', a.stage || 'code', a.path.replace(/^artifacts\//, ''));
      if (!fs.existsSync(from)) { send({ id: msg.id, error: { code: -32803, message: `${a.path} does not exist` } }); return; }
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.renameSync(from, to);
      send({ id: msg.id, result: null });
      publish(root);
      return;
    }
    case 'shutdown': send({ id: msg.id, result: null }); return;
    case 'exit': process.exit(0);
    default:
      if (msg.id !== undefined) send({ id: msg.id, error: { code: -32601, message: `mock: ${msg.method}` } });
  }
}
process.stdin.on('data', chunk => {
  buf = Buffer.concat([buf, chunk]);
  for (;;) {
    const sep = buf.indexOf('\r\n\r\n');
    if (sep < 0) return;
    const len = Number(/Content-Length: (\d+)/i.exec(buf.subarray(0, sep).toString())?.[1]);
    if (buf.length < sep + 4 + len) return;
    const body = buf.subarray(sep + 4, sep + 4 + len).toString('utf8');
    buf = buf.subarray(sep + 4 + len);
    void handle(JSON.parse(body));
  }
});
process.stdin.on('end', () => process.exit(0));
void request;
