// The status bar item's text and tooltip, from `tollgate status --format json`.
// Plain module (no `vscode` import), unit-tested with node's test runner.

export interface Blocker {
  code: string;
  class?: string;
  return_to?: string;
  subject?: string;
  path?: string;
  message?: string;
}

export interface RunStatus {
  root: string;
  pipeline?: string;
  stage: string | null;
  status: string | null;
  attempts: number | null;
  max_attempts?: number;
  blockers: Blocker[];
  warnings: Blocker[];
  next: string | null;
}

export type Level = 'ok' | 'warning' | 'error';

export interface StatusView {
  text: string;
  tooltip: string;
  level: Level;
}

/** Parses the JSON printed by `tollgate status --format json`; throws with a readable message. */
export function parseStatus(stdout: string): RunStatus {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch (e) {
    const head = stdout.trim().slice(0, 120);
    throw new Error(`tollgate status printed no JSON${head ? `: ${head}` : ''}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error('tollgate status printed JSON that is not an object');
  }
  const o = raw as Record<string, unknown>;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const list = (v: unknown): Blocker[] =>
    Array.isArray(v)
      ? v.filter(b => b && typeof b === 'object').map(b => {
          const r = b as Record<string, unknown>;
          return {
            code: String(r.code ?? '?'),
            class: str(r.class) ?? undefined,
            return_to: str(r.return_to) ?? undefined,
            subject: str(r.subject) ?? undefined,
            path: str(r.path) ?? undefined,
            message: str(r.message) ?? undefined,
          };
        })
      : [];
  return {
    root: str(o.root) ?? '',
    pipeline: str(o.pipeline) ?? undefined,
    stage: str(o.stage),
    status: str(o.status),
    attempts: num(o.attempts),
    max_attempts: num(o.max_attempts) ?? undefined,
    blockers: list(o.blockers),
    warnings: list(o.warnings),
    next: str(o.next),
  };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** e.g. "$(shield) code · running · 2 blockers". */
export function statusBarView(s: RunStatus, rootLabel?: string): StatusView {
  const parts: string[] = [];
  if (s.stage) parts.push(s.stage);
  parts.push(s.status ?? 'no run');
  const n = s.blockers.length;
  parts.push(n === 0 ? 'no blockers' : plural(n, 'blocker', 'blockers'));
  const text = `$(shield) ${parts.join(' · ')}`;

  const lines: string[] = [];
  lines.push(`tollgate: ${s.pipeline ?? 'pipeline'}${rootLabel ? ` (${rootLabel})` : ''}`);
  if (s.root) lines.push(`root: ${s.root}`);
  if (s.stage) {
    const att = s.attempts !== null ? `, attempt ${s.attempts}${s.max_attempts ? `/${s.max_attempts}` : ''}` : '';
    lines.push(`stage ${s.stage}: ${s.status ?? 'unknown'}${att}`);
  } else {
    lines.push(`no active run${s.status ? ` (${s.status})` : ''}`);
  }
  if (n > 0) {
    lines.push('', plural(n, 'blocker:', 'blockers:'));
    for (const b of s.blockers.slice(0, 10)) lines.push(`  ${describe(b)}`);
    if (n > 10) lines.push(`  … and ${n - 10} more`);
  }
  if (s.warnings.length > 0) lines.push('', plural(s.warnings.length, 'warning', 'warnings'));
  if (s.next) lines.push('', `next: ${s.next}`);
  lines.push('', 'Click to show the Tollgate view.');

  const level: Level = n > 0 ? 'error' : s.warnings.length > 0 ? 'warning' : 'ok';
  return { text, tooltip: lines.join('\n'), level };
}

function describe(b: Blocker): string {
  const where = b.path ?? b.subject;
  const head = `${b.code}${where ? ` ${where}` : ''}`;
  const tail = b.return_to ? ` → ${b.return_to}` : '';
  return `${head}${b.message ? `: ${b.message}` : ''}${tail}`;
}

/** What the item shows when the status could not be read (no binary, a crash, bad output). */
export function statusErrorView(message: string): StatusView {
  return {
    text: '$(shield) tollgate: error',
    tooltip: `${message}\n\nClick for details.`,
    level: 'warning',
  };
}
