// The Tollgate view's tree, from the `tollgate/status` object (SPEC section 10): the stages in
// pipeline order with a state icon, their attempts, blockers, archived attempts and quarantined
// files. Plain module (no `vscode` import), unit-tested with node's test runner; runView.ts turns
// these nodes into tree items.

export type StageState = 'done' | 'current' | 'failed' | 'not_reached';

export interface FileEntry {
  path: string;
  current: string;
}

export interface Folder {
  path: string;
  files: FileEntry[];
  more: number;
}

export interface StageInfo {
  id: string;
  state: StageState;
  in_pipeline: boolean;
  attempts: number | null;
  blockers: number[];
  archived: (Folder & { attempt: number })[];
  quarantined: Folder | null;
}

export interface BlockerInfo {
  code: string;
  class: string;
  return_to: string;
  subject: string;
  path: string;
  line: number;
  message: string;
  next: string;
}

export interface RunInfo {
  root: string;
  stage: string | null;
  status: string | null;
  max_attempts: number;
  blockers: BlockerInfo[];
  stages: StageInfo[];
}

export type Kind = 'run' | 'stage' | 'blocker' | 'archive' | 'archivedFile' | 'quarantine' | 'quarantinedFile' | 'more';

export interface Node {
  /** Stable across refreshes (the tree keeps expansion by it). */
  id: string;
  kind: Kind;
  label: string;
  description?: string;
  tooltip?: string;
  /** A codicon id and the theme colour id it is drawn in. */
  icon?: { id: string; color?: string };
  /** `viewItem` for the context menus: `stage`, `stage-current`, `blocker`, `blocker-write`, `archivedFile`… */
  contextValue: string;
  children: Node[];
  /** What the recovery commands read from a clicked item (as from a code action's arguments). */
  root: string;
  stage?: string;
  path?: string;
  /** Opening a blocker: the file and the 1-based line, with the code to find its diagnostic. */
  open?: { path: string; line: number; code: string };
  /** Comparing an archived or quarantined file with the file at its place now. */
  compare?: { left: string; right: string };
}

const STATE_ICONS: Record<StageState, { id: string; color?: string }> = {
  done: { id: 'pass-filled', color: 'testing.iconPassed' },
  current: { id: 'debug-stackframe', color: 'charts.blue' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  not_reached: { id: 'circle-large-outline', color: 'disabledForeground' },
};

const STATE_WORDS: Record<StageState, string> = {
  done: 'done',
  current: 'current',
  failed: 'failed',
  not_reached: 'not reached',
};

/** Reads the status object defensively: a missing or odd field becomes an empty one. */
export function parseRun(raw: unknown): RunInfo | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const arr = (v: unknown) => (Array.isArray(v) ? v.filter(x => x && typeof x === 'object') : []) as Record<string, unknown>[];
  const folder = (f: Record<string, unknown>): Folder => ({
    path: str(f.path),
    files: arr(f.files).map(x => ({ path: str(x.path), current: str(x.current) })),
    more: num(f.more) ?? 0,
  });
  return {
    root: str(o.root),
    stage: typeof o.stage === 'string' ? o.stage : null,
    status: typeof o.status === 'string' ? o.status : null,
    max_attempts: num(o.max_attempts) ?? 0,
    blockers: arr(o.blockers).map(b => ({
      code: str(b.code),
      class: str(b.class),
      return_to: str(b.return_to),
      subject: str(b.subject),
      path: str(b.path),
      line: num(b.line) ?? 1,
      message: str(b.message),
      next: str(b.next),
    })),
    stages: arr(o.stages).map(s => ({
      id: str(s.id),
      state: (['done', 'current', 'failed', 'not_reached'].includes(str(s.state)) ? s.state : 'not_reached') as StageState,
      in_pipeline: s.in_pipeline !== false,
      attempts: num(s.attempts),
      blockers: Array.isArray(s.blockers) ? s.blockers.filter((i): i is number => typeof i === 'number') : [],
      archived: arr(s.archived).map(a => ({ ...folder(a), attempt: num(a.attempt) ?? 0 })),
      quarantined: s.quarantined && typeof s.quarantined === 'object' ? folder(s.quarantined as Record<string, unknown>) : null,
    })),
  };
}

/** Joins a root and a `/`-separated root-relative path (the root keeps its own separators). */
export function joinRoot(root: string, rel: string): string {
  const sep = root.includes('\\') && !root.includes('/') ? '\\' : '/';
  return root.replace(/[\\/]+$/, '') + sep + rel.split('/').join(sep);
}

/** The stage nodes of one root (a root label on top when there are several roots). */
export function stageNodes(run: RunInfo): Node[] {
  const root = run.root;
  return run.stages.map(s => {
    const key = `${root}\u0000${s.id}`;
    const state = s.state === 'current' && run.status ? `current: ${run.status}` : STATE_WORDS[s.state];
    const parts = [state];
    if (s.attempts !== null) parts.push(`attempt ${s.attempts} of ${run.max_attempts}`);
    if (s.blockers.length) parts.push(`${s.blockers.length} blocker${s.blockers.length === 1 ? '' : 's'}`);
    if (!s.in_pipeline) parts.push('not in the pipeline');
    const children: Node[] = [];
    s.blockers.forEach((i, n) => {
      const b = run.blockers[i];
      if (!b) return;
      children.push({
        id: `${key}\u0000b${n}\u0000${b.code}\u0000${b.path}:${b.line}`,
        kind: 'blocker',
        label: `${b.code}: ${b.subject}`,
        description: `${b.class} → ${b.return_to}`,
        tooltip: `${b.message}\n\n${b.path}:${b.line}\nnext: ${b.next}`,
        icon: { id: 'error', color: 'problemsErrorIcon.foreground' },
        contextValue: b.code === 'unauthorized-write' ? 'blocker-write' : 'blocker',
        children: [],
        root,
        stage: s.id,
        path: b.path,
        open: { path: joinRoot(root, b.path), line: b.line, code: b.code },
      });
    });
    const files = (parentKey: string, folder: Folder, kind: 'archivedFile' | 'quarantinedFile'): Node[] => {
      const list: Node[] = folder.files.map(f => ({
        id: `${parentKey}\u0000${f.path}`,
        kind,
        label: f.path.startsWith(folder.path) ? f.path.slice(folder.path.length) : f.path,
        description: `now ${f.current}`,
        tooltip: `${f.path}\ncompare with ${f.current}`,
        icon: { id: 'file' },
        contextValue: kind,
        children: [],
        root,
        stage: s.id,
        path: f.path,
        compare: { left: joinRoot(root, f.path), right: joinRoot(root, f.current) },
      }));
      if (folder.more > 0) {
        list.push({ id: `${parentKey}\u0000more`, kind: 'more', label: `… ${folder.more} more files`, contextValue: 'more', children: [], root });
      }
      return list;
    };
    for (const a of s.archived) {
      const akey = `${key}\u0000a${a.attempt}`;
      children.push({
        id: akey,
        kind: 'archive',
        label: `attempt ${a.attempt} (archived)`,
        description: a.path,
        tooltip: `${a.path}: the outputs of attempt ${a.attempt}, archived`,
        icon: { id: 'archive' },
        contextValue: 'archive',
        children: files(akey, a, 'archivedFile'),
        root,
        stage: s.id,
        path: a.path,
      });
    }
    if (s.quarantined) {
      const qkey = `${key}\u0000q`;
      children.push({
        id: qkey,
        kind: 'quarantine',
        label: 'quarantined',
        description: s.quarantined.path,
        tooltip: `${s.quarantined.path}: files moved out of the run`,
        icon: { id: 'shield' },
        contextValue: 'quarantine',
        children: files(qkey, s.quarantined, 'quarantinedFile'),
        root,
        stage: s.id,
        path: s.quarantined.path,
      });
    }
    return {
      id: key,
      kind: 'stage' as const,
      label: s.id,
      description: parts.join(' · '),
      tooltip: `stage ${s.id}: ${parts.join(', ')}`,
      icon: STATE_ICONS[s.state],
      contextValue: s.state === 'current' ? 'stage-current' : 'stage',
      children,
      root,
      stage: s.id,
    };
  });
}

/** The whole tree: one root's stages, or a node per root when there are several. */
export function tree(runs: RunInfo[], label: (root: string) => string): Node[] {
  if (runs.length === 1) return stageNodes(runs[0]);
  return runs.map(r => ({
    id: r.root,
    kind: 'run' as const,
    label: label(r.root),
    description: [r.stage, r.status].filter(Boolean).join(' · ') || 'no run',
    tooltip: r.root,
    icon: { id: 'shield' },
    contextValue: 'run',
    children: stageNodes(r),
    root: r.root,
  }));
}

/** The diagnostic a blocker points at: the one with its code on its line (0-based `start`),
 *  else any on that line; undefined when none (the line alone is then shown). */
export function pickRange<T extends { code?: unknown; start: { line: number } }>(
  diags: T[],
  code: string,
  line: number,
): T | undefined {
  const onLine = diags.filter(d => d.start.line === line - 1);
  const codeOf = (d: T) => (d.code && typeof d.code === 'object' ? (d.code as { value?: unknown }).value : d.code);
  return onLine.find(d => String(codeOf(d)) === code) ?? onLine[0];
}
