// Bundles the server into the .vsix: copies <repo>/target/release/tollgate (or $TOLLGATE_BINARY)
// to server/tollgate when it exists. Without one, the extension relies on tollgate.path or PATH.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const exe = process.platform === 'win32' ? 'tollgate.exe' : 'tollgate';
const src = process.env.TOLLGATE_BINARY || path.resolve(here, '../../target/release', exe);
const dstDir = path.join(here, 'server');
const dst = path.join(dstDir, exe);
fs.rmSync(dstDir, { recursive: true, force: true });
if (fs.existsSync(src)) {
  fs.mkdirSync(dstDir, { recursive: true });
  fs.copyFileSync(src, dst);
  fs.chmodSync(dst, 0o755);
  // The release profile keeps debug info (for backtraces); the bundled copy drops it when
  // binutils' strip is there (about 50 MB -> a few MB).
  if (process.platform !== 'win32' && !process.env.TOLLGATE_NO_STRIP) {
    const r = spawnSync('strip', ['--strip-debug', dst], { stdio: 'inherit' });
    if (r.error || r.status !== 0) console.log('strip not available: bundling the binary as built');
  }
  console.log(`bundled ${src} -> server/${exe} (${(fs.statSync(dst).size / 1e6).toFixed(1)} MB)`);
} else {
  console.log(`no server binary at ${src}: the .vsix will not bundle one (tollgate.path or PATH is used)`);
}
