import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundledPath, expandConfiguredPath, notFoundMessage, resolveServer, whyNotExecutable } from '../src/resolve';

const ext = '/ext';
const bundled = path.join(ext, 'server', 'tollgate');

function fakeFs(executables: string[]) {
  const set = new Set(executables);
  return (p: string) => set.has(p);
}

test('the tollgate.path setting wins over PATH and the bundled binary', () => {
  const r = resolveServer({
    configuredPath: '/opt/tg/tollgate',
    envPath: '/usr/bin:/usr/local/bin',
    extensionPath: ext,
    platform: 'linux',
    isExecutable: fakeFs(['/opt/tg/tollgate', '/usr/local/bin/tollgate', bundled]),
  });
  assert.equal(r.path, '/opt/tg/tollgate');
  assert.equal(r.source, 'setting');
  assert.deepEqual(r.tried, []);
});

test('a wrong tollgate.path is reported, not silently replaced', () => {
  const r = resolveServer({
    configuredPath: '/nope/tollgate',
    envPath: '/usr/local/bin',
    extensionPath: ext,
    platform: 'linux',
    isExecutable: fakeFs(['/usr/local/bin/tollgate', bundled]),
  });
  assert.equal(r.path, undefined);
  assert.deepEqual(r.tried.map(t => [t.path, t.source]), [['/nope/tollgate', 'setting']]);
  const msg = notFoundMessage(r);
  assert.match(msg, /\/nope\/tollgate/);
  assert.match(msg, /tollgate\.path/);
});

test('without a setting, the first tollgate on PATH is used', () => {
  const r = resolveServer({
    configuredPath: '  ',
    envPath: '/a:/b:/c',
    extensionPath: ext,
    platform: 'linux',
    isExecutable: fakeFs(['/b/tollgate', '/c/tollgate', bundled]),
  });
  assert.equal(r.path, '/b/tollgate');
  assert.equal(r.source, 'PATH');
});

test('then the bundled binary', () => {
  const r = resolveServer({ envPath: '/a:/b', extensionPath: ext, platform: 'linux', isExecutable: fakeFs([bundled]) });
  assert.equal(r.path, bundled);
  assert.equal(r.source, 'bundled');
  assert.equal(r.tried.length, 1);
  assert.equal(r.tried[0].source, 'PATH');
});

test('nothing found: the message names every place tried', () => {
  const r = resolveServer({ envPath: '/a:/b', extensionPath: ext, platform: 'linux', isExecutable: fakeFs([]) });
  assert.equal(r.path, undefined);
  const msg = notFoundMessage(r);
  assert.match(msg, /tollgate on PATH \(\/a:\/b\)/);
  assert.ok(msg.includes(bundled), msg);
});

test('windows: PATHEXT and ; separated PATH', () => {
  const r = resolveServer({
    envPath: 'C:\\a;C:\\b',
    pathExt: '.COM;.EXE',
    extensionPath: ext,
    platform: 'win32',
    isExecutable: fakeFs([path.join('C:\\b', 'tollgate.EXE')]),
  });
  assert.equal(r.path, path.join('C:\\b', 'tollgate.EXE'));
  assert.equal(bundledPath(ext, 'win32'), path.join(ext, 'server', 'tollgate.exe'));
});

test('~, ${workspaceFolder} and relative settings are expanded', () => {
  const opts = { workspaceFolder: '/ws', homeDir: '/home/u' };
  assert.equal(expandConfiguredPath('~/bin/tollgate', opts), '/home/u/bin/tollgate');
  assert.equal(expandConfiguredPath('${workspaceFolder}/target/release/tollgate', opts), '/ws/target/release/tollgate');
  assert.equal(expandConfiguredPath('target/release/tollgate', opts), '/ws/target/release/tollgate');
  assert.equal(expandConfiguredPath('/abs/tollgate', opts), '/abs/tollgate');
});

test('real files: missing, directory, not executable, executable', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-resolve-'));
  try {
    const file = path.join(dir, 'tollgate');
    assert.equal(whyNotExecutable(file, 'linux'), 'not found');
    assert.equal(whyNotExecutable(dir, 'linux'), 'is a directory');
    fs.writeFileSync(file, '#!/bin/sh\n');
    fs.chmodSync(file, 0o644);
    if (process.getuid?.() !== 0) assert.equal(whyNotExecutable(file, 'linux'), 'not executable');
    fs.chmodSync(file, 0o755);
    assert.equal(whyNotExecutable(file, 'linux'), undefined);
    const r = resolveServer({ envPath: dir, extensionPath: '/nowhere', platform: 'linux' });
    assert.equal(r.path, file);
    const bad = resolveServer({ configuredPath: path.join(dir, 'missing'), extensionPath: '/nowhere', platform: 'linux' });
    assert.equal(bad.tried[0].reason, 'not found');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
