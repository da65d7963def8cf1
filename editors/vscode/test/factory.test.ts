import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  argumentObject,
  isRecoveryCommand,
  missingArguments,
  normalizeUserPath,
  pipelineFile,
  rootFor,
  rootOfPipelineFile,
  stageIds,
} from '../src/factory';

const fixture = path.resolve(__dirname, '../../../../tests/fixtures/agent-app-factory/pipeline.yaml');

test('stage ids of the real factory pipeline, in order', { skip: !fs.existsSync(fixture) && 'fixture not found' }, () => {
  assert.deepEqual(stageIds(fs.readFileSync(fixture, 'utf8')), ['bootstrap', 'prd', 'ui', 'tech', 'code', 'validation', 'preview']);
});

test('stage ids: quotes, comments, id below a bare dash, nested lists ignored', () => {
  const y = [
    'version: 1',
    'stages:  # the stages',
    '  - id: "a"  # first',
    '    outputs:',
    '      - id: not-a-stage',
    '  -',
    "    id: 'b'",
    '  - agent: x.md',
    '    id: c',
    'other:',
    '  - id: nope',
  ].join('\n');
  assert.deepEqual(stageIds(y), ['a', 'b', 'c']);
});

test('roots: nearest ancestor with pipeline.yaml or .factory/pipeline.yaml', () => {
  const files = new Set(['/w/app/pipeline.yaml', '/w/app/nested/.factory/pipeline.yaml']);
  const dirs = new Set(['/w', '/w/app', '/w/app/nested', '/w/app/nested/.factory', '/w/app/artifacts']);
  const opts = { exists: (p: string) => files.has(p), isDir: (p: string) => dirs.has(p) };
  assert.equal(rootFor('/w/app/artifacts/prd/sneaky.md', opts), '/w/app');
  assert.equal(rootFor('/w/app/nested/src/a.ts', opts), '/w/app/nested');
  assert.equal(rootFor('/w/app/nested/.factory/state.json', opts), '/w/app/nested');
  assert.equal(rootFor('/w/other.md', opts), undefined);
  assert.equal(rootFor('/w/app/x.md', { ...opts, stopAt: '/w/app/nested' }), '/w/app');
  assert.equal(rootOfPipelineFile('/w/app/nested/.factory/pipeline.yaml'), '/w/app/nested');
  assert.equal(rootOfPipelineFile('/w/app/pipeline.yaml'), '/w/app');
  assert.equal(pipelineFile('/w/app/nested', opts.exists), '/w/app/nested/.factory/pipeline.yaml');
  assert.equal(pipelineFile('/w/app', opts.exists), '/w/app/pipeline.yaml');
});

test('what the palette must ask for each recovery command', () => {
  assert.ok(isRecoveryCommand('tollgate.quarantine'));
  assert.ok(!isRecoveryCommand('tollgate.restart'));
  assert.deepEqual(missingArguments('tollgate.archiveAttempt', argumentObject([])), { root: true, stage: true, path: false });
  assert.deepEqual(missingArguments('tollgate.returnToBuild', argumentObject([{ root: '/r' }])), { root: false, stage: true, path: false });
  assert.deepEqual(missingArguments('tollgate.quarantine', argumentObject([{ root: '/r' }])), { root: false, stage: false, path: true });
  assert.deepEqual(missingArguments('tollgate.expandScope', argumentObject([{ root: '/r', path: 'src/**' }])), { root: false, stage: false, path: false });
  // a code action's complete arguments ask nothing
  assert.deepEqual(
    missingArguments('tollgate.quarantine', argumentObject([{ root: '/r', path: 'artifacts/prd/sneaky.md', stage: 'code' }])),
    { root: false, stage: false, path: false },
  );
  assert.deepEqual(argumentObject(['x']), {});
  // the failure policy's commands need only the root (gate: the current stage; rollback: asked apart)
  for (const c of ['tollgate.gate', 'tollgate.rollback', 'tollgate.resume']) {
    assert.ok(isRecoveryCommand(c), c);
    assert.deepEqual(missingArguments(c as 'tollgate.gate', argumentObject([])), { root: true, stage: false, path: false });
  }
});

test('paths typed by the user become root-relative', () => {
  assert.deepEqual(normalizeUserPath('/r', '/r/artifacts/prd/sneaky.md'), { path: 'artifacts/prd/sneaky.md' });
  assert.deepEqual(normalizeUserPath('/r', './src/**'), { path: 'src/**' });
  assert.match(normalizeUserPath('/r', '/elsewhere/x').error ?? '', /outside the factory root/);
  assert.match(normalizeUserPath('/r', 'a/../../b').error ?? '', /\.\./);
  assert.match(normalizeUserPath('/r', '  ').error ?? '', /required/);
});
