// Finding the tollgate binary. Plain module (no `vscode` import) so that it is unit-tested with
// node's test runner.
//
// Order (SPEC section 7): the `tollgate.path` setting, then `tollgate` on PATH, then the binary
// bundled in the .vsix at `server/tollgate`. A set `tollgate.path` is authoritative: when it is
// wrong, that is reported, rather than another binary being used behind the user's back.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ResolveInput {
  /** The `tollgate.path` setting, as written by the user (may be empty). */
  configuredPath?: string;
  /** The PATH environment variable. */
  envPath?: string;
  /** PATHEXT on Windows (e.g. ".EXE;.CMD"). */
  pathExt?: string;
  platform?: NodeJS.Platform;
  /** Absolute path of the extension's folder (the bundled binary is `server/tollgate` below it). */
  extensionPath: string;
  /** The first workspace folder, for a relative `tollgate.path` and `${workspaceFolder}`. */
  workspaceFolder?: string;
  homeDir?: string;
  /** Injected for tests; defaults to a real check of an executable regular file. */
  isExecutable?: (p: string) => boolean;
}

export type Source = 'setting' | 'PATH' | 'bundled';

export interface Tried {
  path: string;
  source: Source;
  /** Why it was not used: "not found", "not executable", "is a directory"... */
  reason: string;
}

export interface Resolved {
  /** The binary to run, when one was found. */
  path?: string;
  source?: Source;
  /** Every candidate looked at, in order, with the reason each was rejected. */
  tried: Tried[];
}

export function bundledPath(extensionPath: string, platform: NodeJS.Platform = process.platform): string {
  return path.join(extensionPath, 'server', platform === 'win32' ? 'tollgate.exe' : 'tollgate');
}

/** Why `p` cannot be run, or undefined when it can. */
export function whyNotExecutable(p: string, platform: NodeJS.Platform = process.platform): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 'not found';
  }
  if (st.isDirectory()) return 'is a directory';
  if (!st.isFile()) return 'not a regular file';
  if (platform === 'win32') return undefined;
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return undefined;
  } catch {
    return 'not executable';
  }
}

/** Expands `~`, `${workspaceFolder}`, `${userHome}` and `${env:NAME}`; a relative result is taken
 *  relative to the workspace folder (or left as it is when there is none). */
export function expandConfiguredPath(raw: string, input: Pick<ResolveInput, 'workspaceFolder' | 'homeDir'>): string {
  const home = input.homeDir ?? os.homedir();
  let p = raw.trim();
  p = p.replace(/\$\{userHome\}/g, home);
  if (input.workspaceFolder) p = p.replace(/\$\{workspaceFolder\}/g, input.workspaceFolder);
  p = p.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => process.env[name] ?? '');
  if (p === '~') p = home;
  else if (p.startsWith('~/')) p = path.join(home, p.slice(2));
  if (!path.isAbsolute(p) && input.workspaceFolder) p = path.join(input.workspaceFolder, p);
  return p;
}

export function resolveServer(input: ResolveInput): Resolved {
  const platform = input.platform ?? process.platform;
  const reason = (p: string): string | undefined =>
    input.isExecutable ? (input.isExecutable(p) ? undefined : 'not found or not executable') : whyNotExecutable(p, platform);
  const tried: Tried[] = [];

  const configured = (input.configuredPath ?? '').trim();
  if (configured) {
    const p = expandConfiguredPath(configured, input);
    const why = reason(p);
    if (why === undefined) return { path: p, source: 'setting', tried };
    tried.push({ path: p, source: 'setting', reason: why });
    return { tried };
  }

  const delimiter = platform === 'win32' ? ';' : ':';
  const exts = platform === 'win32' ? (input.pathExt || '.EXE;.CMD;.BAT').split(';').filter(Boolean) : [''];
  const dirs = (input.envPath ?? '').split(delimiter).filter(d => d.length > 0);
  let onPath: string | undefined;
  const pathMisses: string[] = [];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, 'tollgate' + ext);
      const why = reason(candidate);
      if (why === undefined) {
        onPath = candidate;
        break;
      }
      if (why !== 'not found' && why !== 'not found or not executable') {
        tried.push({ path: candidate, source: 'PATH', reason: why });
      } else {
        pathMisses.push(candidate);
      }
    }
    if (onPath) break;
  }
  if (onPath) return { path: onPath, source: 'PATH', tried };
  if (pathMisses.length > 0 || dirs.length === 0) {
    tried.push({
      path: dirs.length === 0 ? '(PATH is empty)' : `tollgate on PATH (${dirs.join(delimiter)})`,
      source: 'PATH',
      reason: 'not found',
    });
  }

  const bundled = bundledPath(input.extensionPath, platform);
  const why = reason(bundled);
  if (why === undefined) return { path: bundled, source: 'bundled', tried };
  tried.push({ path: bundled, source: 'bundled', reason: why });
  return { tried };
}

/** The message shown when no usable binary was found. Names every path tried. */
export function notFoundMessage(r: Resolved): string {
  const parts = r.tried.map(t => `${t.path} (${t.source === 'setting' ? 'tollgate.path' : t.source}: ${t.reason})`);
  const fromSetting = r.tried.length === 1 && r.tried[0].source === 'setting';
  const hint = fromSetting
    ? 'Fix the "tollgate.path" setting (the full path of the executable) or clear it to search PATH and the bundled binary.'
    : 'Install tollgate (cargo build --release gives target/release/tollgate) and set "tollgate.path" to its full path, or put it on PATH.';
  return `Tollgate: the language server binary was not found. Tried: ${parts.join('; ')}. ${hint}`;
}

/** The message shown when a binary exists but does not run (`tollgate --version` failed). */
export function brokenMessage(binary: string, detail: string): string {
  return `Tollgate: the server binary ${binary} does not run (${detail.trim() || 'no output'}). Rebuild it or point "tollgate.path" at a working tollgate executable.`;
}
