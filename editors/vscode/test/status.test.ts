import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStatus, statusBarView, statusErrorView } from '../src/status';

const blocked = JSON.stringify({
  root: '/work/app',
  pipeline: 'ai-app-factory-checkpoint',
  stage: 'code',
  status: 'running',
  attempts: 1,
  max_attempts: 2,
  blockers: [
    { code: 'unauthorized-write', class: 'policy', return_to: 'user', subject: 'artifacts/prd/sneaky.md', path: 'artifacts/prd/sneaky.md', message: 'stage code may not write artifacts/prd/' },
    { code: 'out-of-scope', class: 'scope', return_to: 'exploration', subject: 'src/x.ts', path: 'src/x.ts', message: 'outside the retained scope' },
  ],
  warnings: [{ code: 'ambiguous-pattern', class: 'definition', return_to: 'user', subject: '*.py', path: '.factory/scope.yaml', message: 'slash-less' }],
  next: 'tollgate recover quarantine --path artifacts/prd/sneaky.md',
});

test('a blocked run: stage, status and the number of blockers', () => {
  const v = statusBarView(parseStatus(blocked));
  assert.equal(v.text, '$(shield) code · running · 2 blockers');
  assert.equal(v.level, 'error');
  assert.match(v.tooltip, /stage code: running, attempt 1\/2/);
  assert.match(v.tooltip, /unauthorized-write artifacts\/prd\/sneaky\.md: stage code may not write artifacts\/prd\/ → user/);
  assert.match(v.tooltip, /next: tollgate recover quarantine/);
  assert.match(v.tooltip, /1 warning/);
});

test('one blocker is singular', () => {
  const s = parseStatus(blocked);
  s.blockers = s.blockers.slice(0, 1);
  assert.equal(statusBarView(s).text, '$(shield) code · running · 1 blocker');
});

test('nothing blocks', () => {
  const v = statusBarView(
    parseStatus('{"root":"/r","pipeline":"p","stage":"prd","status":"paused","attempts":2,"max_attempts":2,"blockers":[],"warnings":[],"next":null}'),
  );
  assert.equal(v.text, '$(shield) prd · paused · no blockers');
  assert.equal(v.level, 'ok');
});

test('no run: null stage and status', () => {
  const v = statusBarView(parseStatus('{"root":"/r","pipeline":"p","stage":null,"status":null,"attempts":null,"max_attempts":2,"blockers":[],"warnings":[],"next":null}'));
  assert.equal(v.text, '$(shield) no run · no blockers');
  assert.match(v.tooltip, /no active run/);
});

test('the root is named when there are several', () => {
  const v = statusBarView(parseStatus(blocked), 'app');
  assert.match(v.tooltip, /^tollgate: ai-app-factory-checkpoint \(app\)/);
});

test('missing fields are tolerated, bad output is a readable error', () => {
  const s = parseStatus('{"stage":"code","status":"failed"}');
  assert.deepEqual(s.blockers, []);
  assert.equal(statusBarView(s).text, '$(shield) code · failed · no blockers');
  assert.throws(() => parseStatus(''), /printed no JSON/);
  assert.throws(() => parseStatus('error: no factory root'), /printed no JSON: error: no factory root/);
  assert.throws(() => parseStatus('[1]'), /not an object/);
  const e = statusErrorView('tollgate status exited with code 2');
  assert.equal(e.text, '$(shield) tollgate: error');
  assert.match(e.tooltip, /exited with code 2/);
});
