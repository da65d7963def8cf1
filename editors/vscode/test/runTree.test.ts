import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinRoot, parseRun, pickRange, stageNodes, tree } from '../src/runTree';

// The shape `tollgate status --format json` prints (trimmed to what the view reads).
const status = {
  root: '/home/me/app',
  stage: 'code',
  status: 'running',
  max_attempts: 2,
  blockers: [
    { code: 'unauthorized-write', class: 'policy', return_to: 'user', subject: 'artifacts/prd/sneaky.md', path: 'artifacts/prd/sneaky.md', line: 1, message: 'm1', next: 'tollgate recover quarantine --path artifacts/prd/sneaky.md --stage code' },
    { code: 'output-outside-permissions', class: 'policy', return_to: 'user', subject: 'artifacts/backend/', path: 'pipeline.yaml', line: 89, message: 'm2', next: 'a person grants …' },
  ],
  stages: [
    { id: 'tech', state: 'done', in_pipeline: true, attempts: 1, blockers: [], archived: [], quarantined: null },
    {
      id: 'code', state: 'current', in_pipeline: true, attempts: 2, blockers: [0],
      archived: [{ attempt: 1, path: 'artifacts/_failed/code/attempt-1/', files: [{ path: 'artifacts/_failed/code/attempt-1/backend/src/app.ts', current: 'artifacts/backend/src/app.ts' }], more: 3 }],
      quarantined: { path: 'artifacts/_untrusted/code/', files: [{ path: 'artifacts/_untrusted/code/prd/notes.md', current: 'artifacts/prd/notes.md' }], more: 0 },
    },
    { id: 'validation', state: 'not_reached', in_pipeline: true, attempts: null, blockers: [1], archived: [], quarantined: null },
    { id: 'deploy', state: 'failed', in_pipeline: false, attempts: null, blockers: [], archived: [], quarantined: null },
  ],
};

test('stages in order, each with its state, attempts and blockers', () => {
  const nodes = stageNodes(parseRun(status)!);
  assert.deepEqual(
    nodes.map(n => [n.label, n.description, n.icon?.id, n.contextValue]),
    [
      ['tech', 'done · attempt 1 of 2', 'pass-filled', 'stage'],
      ['code', 'current: running · attempt 2 of 2 · 1 blocker', 'debug-stackframe', 'stage-current'],
      ['validation', 'not reached · 1 blocker', 'circle-large-outline', 'stage'],
      ['deploy', 'failed · not in the pipeline', 'error', 'stage'],
    ],
  );
  // What the recovery commands read from a stage item.
  assert.deepEqual([nodes[1].root, nodes[1].stage], ['/home/me/app', 'code']);
});

test('a blocker opens its file on its line; an unauthorized write offers quarantine', () => {
  const code = stageNodes(parseRun(status)!)[1];
  const b = code.children[0];
  assert.equal(b.label, 'unauthorized-write: artifacts/prd/sneaky.md');
  assert.equal(b.description, 'policy → user');
  assert.equal(b.contextValue, 'blocker-write');
  assert.deepEqual(b.open, { path: '/home/me/app/artifacts/prd/sneaky.md', line: 1, code: 'unauthorized-write' });
  assert.deepEqual([b.root, b.stage, b.path], ['/home/me/app', 'code', 'artifacts/prd/sneaky.md']);
  const v = stageNodes(parseRun(status)!)[2].children[0];
  assert.equal(v.contextValue, 'blocker');
  assert.deepEqual(v.open, { path: '/home/me/app/pipeline.yaml', line: 89, code: 'output-outside-permissions' });
});

test('archived attempts and quarantined files compare with the file at its place now', () => {
  const code = stageNodes(parseRun(status)!)[1];
  const [, archive, quarantine] = code.children;
  assert.equal(archive.label, 'attempt 1 (archived)');
  assert.equal(archive.description, 'artifacts/_failed/code/attempt-1/');
  assert.deepEqual(archive.children.map(c => [c.label, c.contextValue]), [
    ['backend/src/app.ts', 'archivedFile'],
    ['… 3 more files', 'more'],
  ]);
  assert.deepEqual(archive.children[0].compare, {
    left: '/home/me/app/artifacts/_failed/code/attempt-1/backend/src/app.ts',
    right: '/home/me/app/artifacts/backend/src/app.ts',
  });
  assert.equal(quarantine.label, 'quarantined');
  assert.deepEqual(quarantine.children[0].compare, {
    left: '/home/me/app/artifacts/_untrusted/code/prd/notes.md',
    right: '/home/me/app/artifacts/prd/notes.md',
  });
});

test('ids stay the same across refreshes and differ between stages', () => {
  const a = stageNodes(parseRun(status)!);
  const b = stageNodes(parseRun(JSON.parse(JSON.stringify(status)))!);
  assert.deepEqual(a.map(n => n.id), b.map(n => n.id));
  const all = (ns: typeof a): string[] => ns.flatMap(n => [n.id, ...all(n.children)]);
  assert.equal(new Set(all(a)).size, all(a).length);
});

test('several roots get a node each; one root shows its stages at the top', () => {
  const one = parseRun(status)!;
  const two = parseRun({ ...status, root: '/home/me/other', stage: null, status: 'idle' })!;
  assert.equal(tree([one], r => r)[0].label, 'tech');
  assert.deepEqual(tree([one, two], r => r.split('/').pop()!).map(n => [n.label, n.description]), [
    ['app', 'code · running'],
    ['other', 'idle'],
  ]);
});

test('odd input: not an object, missing lists, unknown states, blocker indices out of range', () => {
  assert.equal(parseRun(null), undefined);
  assert.equal(parseRun([1]), undefined);
  const run = parseRun({ root: '/r', stages: [{ id: 's', state: 'weird', blockers: [7, 'x'] }] })!;
  const [s] = stageNodes(run);
  assert.deepEqual([s.label, s.description, s.children.length], ['s', 'not reached · 1 blocker', 0]);
  assert.deepEqual(stageNodes(parseRun({ root: '/r' })!), []);
});

test('paths join with the root\'s own separator', () => {
  assert.equal(joinRoot('/a/b/', 'c/d.md'), '/a/b/c/d.md');
  assert.equal(joinRoot('C:\\w\\app', 'c/d.md'), 'C:\\w\\app\\c\\d.md');
});

test('a blocker finds its diagnostic by code on its line', () => {
  const d = (line: number, code: unknown) => ({ code, start: { line } });
  const diags = [d(0, 'out-of-scope'), d(0, { value: 'unauthorized-write', target: 'x' }), d(4, 'unauthorized-write')];
  assert.equal(pickRange(diags, 'unauthorized-write', 1), diags[1]);
  assert.equal(pickRange(diags, 'missing-output', 1), diags[0]);
  assert.equal(pickRange(diags, 'unauthorized-write', 3), undefined);
});
