// Factory roots, stage ids, and the arguments each recovery command needs.
// Plain module (no `vscode` import), unit-tested with node's test runner.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** A directory holding `.factory/pipeline.yaml` or `pipeline.yaml` (SPEC section 2). */
export function isFactoryRoot(dir: string, exists: (p: string) => boolean = fs.existsSync): boolean {
  return exists(path.join(dir, '.factory', 'pipeline.yaml')) || exists(path.join(dir, 'pipeline.yaml'));
}

/** The pipeline file of a root: `.factory/pipeline.yaml` wins over `pipeline.yaml`. */
export function pipelineFile(root: string, exists: (p: string) => boolean = fs.existsSync): string {
  const factory = path.join(root, '.factory', 'pipeline.yaml');
  return exists(factory) ? factory : path.join(root, 'pipeline.yaml');
}

/** The nearest factory root at or above `file`'s directory (or `file` itself when it is a
 *  directory), not going above `stopAt` when given. */
export function rootFor(
  file: string,
  opts: { stopAt?: string; exists?: (p: string) => boolean; isDir?: (p: string) => boolean } = {},
): string | undefined {
  const exists = opts.exists ?? fs.existsSync;
  const isDir = opts.isDir ?? ((p: string) => { try { return fs.statSync(p).isDirectory(); } catch { return false; } });
  let dir = isDir(file) ? file : path.dirname(file);
  // A file inside `.factory/` belongs to the root that holds `.factory/`.
  for (;;) {
    if (path.basename(dir) !== '.factory' && isFactoryRoot(dir, exists)) return dir;
    if (opts.stopAt && path.resolve(dir) === path.resolve(opts.stopAt)) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The root a pipeline file found by a search belongs to. */
export function rootOfPipelineFile(file: string): string {
  const dir = path.dirname(file);
  return path.basename(dir) === '.factory' ? path.dirname(dir) : dir;
}

/** Stage ids of a pipeline.yaml, in order, read without a YAML library: the `id:` of each item
 *  of the top-level `stages:` sequence. Tolerates quotes, comments and `- id:` or an `id:` line
 *  below a bare `-`. */
export function stageIds(yamlText: string): string[] {
  const lines = yamlText.split(/\r?\n/);
  const ids: string[] = [];
  let inStages = false;
  let itemIndent = -1;
  let pendingItem = false;
  for (const line of lines) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 0) {
      inStages = /^stages\s*:\s*(#.*)?$/.test(line);
      itemIndent = -1;
      pendingItem = false;
      continue;
    }
    if (!inStages) continue;
    const item = /^(\s*)-(\s+|$)(.*)$/.exec(line);
    if (item && (itemIndent < 0 || item[1].length === itemIndent)) {
      itemIndent = item[1].length;
      const rest = item[3];
      const id = /^id\s*:\s*(.+)$/.exec(rest);
      if (id) {
        const v = cleanScalar(id[1]);
        if (v) ids.push(v);
        pendingItem = false;
      } else {
        pendingItem = true;
      }
      continue;
    }
    if (pendingItem && indent > itemIndent) {
      const id = /^\s*id\s*:\s*(.+)$/.exec(line);
      if (id) {
        const v = cleanScalar(id[1]);
        if (v) ids.push(v);
        pendingItem = false;
      }
    }
  }
  return ids;
}

function cleanScalar(raw: string): string {
  let v = raw.replace(/\s+#.*$/, '').trim();
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
  return v;
}

export const RECOVERY_COMMANDS = [
  'tollgate.expandScope',
  'tollgate.returnToBuild',
  'tollgate.archiveAttempt',
  'tollgate.quarantine',
  'tollgate.gate',
  'tollgate.rollback',
  'tollgate.resume',
] as const;
export type RecoveryCommand = (typeof RECOVERY_COMMANDS)[number];

export const COMMAND_TITLES: Record<RecoveryCommand, string> = {
  'tollgate.expandScope': 'Expand Scope',
  'tollgate.returnToBuild': 'Return to Build',
  'tollgate.archiveAttempt': 'Archive Attempt',
  'tollgate.quarantine': 'Quarantine File',
  'tollgate.gate': 'Gate the Current Stage',
  'tollgate.rollback': 'Roll Back to a Checkpoint',
  'tollgate.resume': 'Resume the Paused Run',
};

export function isRecoveryCommand(c: string): c is RecoveryCommand {
  return (RECOVERY_COMMANDS as readonly string[]).includes(c);
}

/** What must be asked of the user before a recovery command can be sent to the server. */
export interface Missing {
  root: boolean;
  stage: boolean;
  path: boolean;
}

/** The first argument object of a command call (a code action's), or an empty one (palette). */
export function argumentObject(args: unknown[]): Record<string, unknown> {
  const first = args[0];
  return first && typeof first === 'object' && !Array.isArray(first) ? { ...(first as Record<string, unknown>) } : {};
}

export function missingArguments(command: RecoveryCommand, arg: Record<string, unknown>): Missing {
  const has = (k: string) => typeof arg[k] === 'string' && (arg[k] as string).length > 0;
  const needsStage = command === 'tollgate.returnToBuild' || command === 'tollgate.archiveAttempt';
  const needsPath = command === 'tollgate.expandScope' || command === 'tollgate.quarantine';
  return { root: !has('root'), stage: needsStage && !has('stage'), path: needsPath && !has('path') };
}

/** A path as the user typed it, made relative to the root and `/`-separated (the server accepts
 *  root-relative paths and patterns). Returns an error text for paths outside the root. */
export function normalizeUserPath(root: string, input: string): { path?: string; error?: string } {
  let p = input.trim();
  if (!p) return { error: 'A path is required.' };
  if (path.isAbsolute(p)) {
    const rel = path.relative(root, p);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return { error: `${p} is outside the factory root ${root}.` };
    p = rel;
  }
  p = p.split(path.sep).join('/').replace(/^\.\//, '');
  if (p.split('/').includes('..')) return { error: 'A path may not contain "..".' };
  return { path: p };
}
