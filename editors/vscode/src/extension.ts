// The tollgate VS Code extension: starts `tollgate lsp` for the window, asks for the arguments of
// the recovery commands when they come from the palette, shows the run in the status bar, and
// turns every server failure into a message.
//
// One language client serves the whole window (all workspace folders): the server finds the
// factory root of each document itself (SPEC section 2), and one client means the four recovery
// command ids are registered once (a second client would fail with "command already exists").

import * as vscode from 'vscode';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as fs from 'node:fs';
import {
  ApplyWorkspaceEditParams,
  ApplyWorkspaceEditRequest,
  ApplyWorkspaceEditResult,
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';
import { brokenMessage, bundledPath, notFoundMessage, resolveServer } from './resolve';
import { parseStatus, statusBarView, statusErrorView, StatusView } from './status';
import { compareWithCurrent, openBlocker, RunView, VIEW_ID } from './runView';
import {
  argumentObject,
  COMMAND_TITLES,
  isRecoveryCommand,
  missingArguments,
  normalizeUserPath,
  pipelineFile,
  RECOVERY_COMMANDS,
  RecoveryCommand,
  rootFor,
  rootOfPipelineFile,
  stageIds,
} from './factory';

/** The client's own start-up notifications are generic ("couldn't create connection to
 *  server"); the extension shows one message naming the binary and the cause instead. They still
 *  go to the output channel. */
class TollgateClient extends LanguageClient {
  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    const startup = /couldn't create connection to server|Starting client failed|Server initialization failed/i.test(message);
    super.error(message, data, startup ? false : showNotification);
  }
}

let client: LanguageClient | undefined;
let serverChild: ChildProcess | undefined;
let serverPath: string | undefined;
/** Why there is no running server, when there is none (shown on demand). */
let serverProblem: string | undefined;
let logChannel: vscode.OutputChannel;
let statusChannel: vscode.OutputChannel;
let statusItem: vscode.StatusBarItem;
let runView: RunView;
let runViewSub: vscode.Disposable | undefined;
let extensionPath = '';
let fallbackCommands: vscode.Disposable[] = [];
let roots: string[] = [];
let statusTimer: NodeJS.Timeout | undefined;
let starting: Promise<void> | undefined;
let serverWatcher: vscode.FileSystemWatcher | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionPath = context.extensionPath;
  logChannel = vscode.window.createOutputChannel('Tollgate');
  statusChannel = vscode.window.createOutputChannel('Tollgate Status');
  statusItem = vscode.window.createStatusBarItem('tollgate.status', vscode.StatusBarAlignment.Left, 10);
  statusItem.name = 'Tollgate';
  statusItem.command = 'tollgate.revealView';
  statusItem.text = '$(shield) tollgate';
  statusItem.tooltip = 'tollgate: starting';
  context.subscriptions.push(logChannel, statusChannel, statusItem, { dispose: () => disposeFallbacks() });

  context.subscriptions.push(
    vscode.commands.registerCommand('tollgate.restart', () => restart()),
    vscode.commands.registerCommand('tollgate.showStatus', () => showStatus()),
  );

  // The Tollgate view in the Explorer: the run's stages, attempts, blockers and archives.
  void vscode.commands.executeCommand('setContext', 'tollgate.active', true);
  runView = new RunView(() => roots);
  const treeView = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: runView, showCollapseAll: true });
  runView.view = treeView;
  context.subscriptions.push(
    treeView,
    { dispose: () => runViewSub?.dispose() },
    vscode.commands.registerCommand('tollgate.openBlocker', openBlocker),
    vscode.commands.registerCommand('tollgate.compareWithCurrent', compareWithCurrent),
    vscode.commands.registerCommand('tollgate.refreshView', () => runView.refresh()),
    vscode.commands.registerCommand('tollgate.revealView', async () => {
      await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
      await runView.refresh();
    }),
  );

  // The status bar follows the run state; the root list follows pipeline files.
  const stateWatcher = vscode.workspace.createFileSystemWatcher('**/.factory/state.json');
  const pipelineWatcher = vscode.workspace.createFileSystemWatcher('**/{pipeline.yaml,.factory/pipeline.yaml}');
  const onRootsChanged = async () => {
    roots = await findRoots();
    scheduleStatusRefresh();
    void runView.refresh();
  };
  context.subscriptions.push(
    stateWatcher,
    pipelineWatcher,
    stateWatcher.onDidChange(() => scheduleStatusRefresh()),
    stateWatcher.onDidCreate(() => scheduleStatusRefresh()),
    stateWatcher.onDidDelete(() => scheduleStatusRefresh()),
    pipelineWatcher.onDidCreate(onRootsChanged),
    pipelineWatcher.onDidDelete(onRootsChanged),
    vscode.workspace.onDidChangeWorkspaceFolders(onRootsChanged),
    vscode.window.onDidChangeActiveTextEditor(() => scheduleStatusRefresh()),
    vscode.workspace.onDidChangeConfiguration(e => {
      if (e.affectsConfiguration('tollgate.path')) void restart();
    }),
  );

  roots = await findRoots();
  await startClient();
  scheduleStatusRefresh(0);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}

// ---------------------------------------------------------------------------------------------
// The server

function log(line: string): void {
  logChannel.appendLine(`[tollgate ${new Date().toLocaleTimeString()}] ${line}`);
}

function firstFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.find(f => f.uri.scheme === 'file')?.uri.fsPath;
}

function resolveBinary() {
  // A .vsix may lose the executable bit of the bundled binary on some installs.
  const bundled = bundledPath(extensionPath);
  try {
    if (fs.existsSync(bundled) && process.platform !== 'win32') fs.chmodSync(bundled, 0o755);
  } catch {
    /* read-only install: resolution reports it */
  }
  return resolveServer({
    configuredPath: vscode.workspace.getConfiguration('tollgate').get<string>('path') ?? '',
    envPath: process.env.PATH,
    pathExt: process.env.PATHEXT,
    extensionPath,
    workspaceFolder: firstFolder(),
  });
}

/** Runs `bin --version`; resolves to its output, rejects with a readable reason. */
function probeBinary(bin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, ['--version'], { timeout: 10000 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean };
        const detail = e.killed
          ? 'it did not answer `--version` within 10 s'
          : typeof e.code === 'string'
            ? `${e.code}: ${e.message}`
            : `\`--version\` exited with code ${e.code}${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`;
        reject(new Error(detail));
      } else {
        resolve(stdout.trim());
      }
    });
  });
}

let lastShown = { text: '', at: 0 };
/** Shows an error once (the same text is not repeated within 5 s), with useful buttons. */
function showServerError(text: string): void {
  runView?.detach(text);
  const now = Date.now();
  if (lastShown.text === text && now - lastShown.at < 5000) return;
  lastShown = { text, at: now };
  log(text);
  void vscode.window.showErrorMessage(text, 'Open Settings', 'Show Output', 'Restart').then(choice => {
    if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'tollgate.path');
    else if (choice === 'Show Output') logChannel.show(true);
    else if (choice === 'Restart') void restart();
  });
}

async function startClient(): Promise<void> {
  if (starting) return starting;
  starting = doStartClient().finally(() => (starting = undefined));
  return starting;
}

async function doStartClient(): Promise<void> {
  serverProblem = undefined;
  const resolved = resolveBinary();
  if (!resolved.path) {
    serverPath = undefined;
    serverProblem = notFoundMessage(resolved);
    showServerError(serverProblem);
    void registerFallbacks();
    return;
  }
  const bin = resolved.path;
  serverPath = bin;
  try {
    const version = await probeBinary(bin);
    log(`using ${bin} (${resolved.source}): ${version}`);
  } catch (e) {
    serverProblem = brokenMessage(bin, (e as Error).message);
    serverPath = undefined;
    showServerError(serverProblem);
    void registerFallbacks();
    return;
  }

  let exitInfo = '';
  const cwd = roots[0] ?? firstFolder() ?? path.dirname(bin);
  const serverOptions: ServerOptions = async () => {
    const child = spawn(bin, ['lsp'], { cwd, env: process.env, stdio: 'pipe' });
    serverChild = child;
    exitInfo = '';
    child.on('exit', (code, signal) => {
      exitInfo = signal ? `killed by ${signal}` : `exit code ${code}`;
      if (serverChild === child) serverChild = undefined;
    });
    child.on('error', err => {
      exitInfo = err.message;
    });
    return child;
  };

  let crashes: number[] = [];
  let started = false;
  // Every file event is forwarded: the server decides what is under a root and what changed.
  serverWatcher?.dispose();
  const fileWatcher = vscode.workspace.createFileSystemWatcher('**/*');
  serverWatcher = fileWatcher;
  const clientOptions: LanguageClientOptions = {
    // Edit checks need every buffer under a root, whatever its language (SPEC section 7).
    documentSelector: [{ scheme: 'file' }],
    synchronize: {
      configurationSection: 'tollgate',
      fileEvents: fileWatcher,
    },
    diagnosticCollectionName: 'tollgate',
    outputChannel: logChannel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    // start() rejects after this; its catch below shows one message with the cause.
    initializationFailedHandler: error => {
      log(`initialize failed: ${errorText(error)}`);
      return false;
    },
    errorHandler: {
      error: (error, _message, count) => {
        log(`connection error: ${errorText(error)}`);
        return { action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
      },
      closed: () => {
        // While starting, start() rejects and its catch reports the cause once; restarting a
        // server that exits at once would only loop.
        if (!started) return { action: CloseAction.DoNotRestart, handled: true };
        const now = Date.now();
        crashes = crashes.filter(t => now - t < 3 * 60 * 1000);
        crashes.push(now);
        if (crashes.length <= 4) {
          log(`the server stopped (${exitInfo || 'connection closed'}); restarting it`);
          return { action: CloseAction.Restart, handled: true };
        }
        serverProblem = `Tollgate: the server ${bin} stopped ${crashes.length} times in 3 minutes (${exitInfo || 'connection closed'}) and was not restarted. See the "Tollgate" output; run "Tollgate: Restart Language Server" after fixing it.`;
        showServerError(serverProblem);
        // after the client has dropped the server's command registrations
        setTimeout(() => void registerFallbacks(), 1000);
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    },
    middleware: {
      executeCommand: async (command, args, next) => {
        if (!isRecoveryCommand(command)) return next(command, args);
        return runRecoveryCommand(command, args);
      },
    },
  };

  const c = new TollgateClient('tollgate', 'Tollgate', serverOptions, clientOptions);
  // Refusals of workspace/applyEdit reach the user (the server also fails its command).
  c.onRequest(ApplyWorkspaceEditRequest.type, params => applyEdit(c, params));
  client = c;
  disposeFallbacks();
  try {
    await c.start();
  } catch (e) {
    await new Promise(r => setTimeout(r, 300)); // let the exit event arrive
    serverProblem = exitInfo
      ? `Tollgate: "${bin} lsp" exited while starting (${exitInfo}) instead of serving LSP on stdio. See the "Tollgate" output.`
      : `Tollgate: could not start "${bin} lsp": ${errorText(e)}. See the "Tollgate" output.`;
    showServerError(serverProblem);
    client = undefined;
    try {
      await c.dispose(2000);
    } catch {
      /* already stopped */
    }
    killChild();
    void registerFallbacks();
    return;
  }
  started = true;
  log(`language server started: ${bin} lsp (pid ${serverChild?.pid ?? '?'})`);
  runViewSub?.dispose();
  const viewSub = runView.attach(c);
  // A restarted server knows nothing of what the view asked: ask again.
  const stateSub = c.onDidChangeState(e => {
    if (e.newState === State.Running) void runView.refresh();
  });
  runViewSub = vscode.Disposable.from(viewSub, stateSub);
  await registerFallbacks();
}

function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

function killChild(): void {
  const child = serverChild;
  serverChild = undefined;
  if (child && child.exitCode === null && child.signalCode === null) {
    try {
      child.kill();
    } catch {
      /* gone */
    }
  }
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  runViewSub?.dispose();
  runViewSub = undefined;
  runView?.detach('The tollgate server is not running.');
  if (c) {
    try {
      await c.stop(3000);
    } catch (e) {
      log(`stopping the server: ${errorText(e)}`);
    }
  }
  killChild();
  serverWatcher?.dispose();
  serverWatcher = undefined;
}

async function restart(): Promise<void> {
  log('restarting');
  await stopClient();
  disposeFallbacks();
  roots = await findRoots();
  await startClient();
  scheduleStatusRefresh(0);
}

/** Recovery commands the server does not provide (it is not running, or an older build) still
 *  answer from the palette, with the reason instead of "command not found". */
async function registerFallbacks(): Promise<void> {
  disposeFallbacks();
  const existing = new Set(await vscode.commands.getCommands(true));
  for (const id of RECOVERY_COMMANDS) {
    if (existing.has(id)) continue;
    try {
      fallbackCommands.push(
        vscode.commands.registerCommand(id, () => {
          const why = serverProblem ?? `the running server does not provide ${id}; it may be an older tollgate build.`;
          showServerError(why.startsWith('Tollgate:') ? why : `Tollgate: ${COMMAND_TITLES[id]} is unavailable: ${why}`);
        }),
      );
    } catch {
      // registered meanwhile (by the language client): nothing to fall back for
    }
  }
}

function disposeFallbacks(): void {
  for (const d of fallbackCommands) d.dispose();
  fallbackCommands = [];
}

async function applyEdit(c: LanguageClient, params: ApplyWorkspaceEditParams): Promise<ApplyWorkspaceEditResult> {
  let result: ApplyWorkspaceEditResult;
  try {
    const edit = await c.protocol2CodeConverter.asWorkspaceEdit(params.edit);
    result = { applied: await vscode.workspace.applyEdit(edit) };
  } catch (e) {
    result = { applied: false, failureReason: errorText(e) };
  }
  if (!result.applied) {
    const what = params.label ? `"${params.label}"` : 'an edit from the server';
    void vscode.window.showErrorMessage(
      `Tollgate: VS Code could not apply ${what}${result.failureReason ? `: ${result.failureReason}` : ''}. Save or revert the files involved and try again.`,
    );
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Recovery commands

async function runRecoveryCommand(command: RecoveryCommand, args: unknown[]): Promise<unknown> {
  const title = COMMAND_TITLES[command];
  const c = client;
  if (!c || !c.isRunning()) {
    showServerError(serverProblem ?? `Tollgate: ${title} needs the language server, which is not running.`);
    return undefined;
  }
  const arg = argumentObject(args);
  const missing = missingArguments(command, arg);
  if (missing.root) {
    const root = await pickRoot();
    if (!root) return undefined;
    arg.root = root;
  }
  const root = rootPath(String(arg.root));
  if (missing.stage) {
    const stage = await pickStage(root, command);
    if (!stage) return undefined;
    arg.stage = stage;
  }
  if (command === 'tollgate.rollback' && !('to' in arg)) {
    // From the palette: which checkpoint (a code action carries its own `to`).
    const to = await pickRollbackTarget(root);
    if (to === undefined) return undefined;
    if (to) arg.to = to;
  }
  if (missing.path) {
    const p = await askPath(root, command);
    if (!p) return undefined;
    arg.path = p;
    if (command === 'tollgate.expandScope' && arg.reason === undefined) {
      const reason = await vscode.window.showInputBox({
        title: 'Tollgate: Expand Scope',
        prompt: 'Why is this path needed? (recorded with the scope entry; leave empty for none)',
        ignoreFocusOut: true,
      });
      if (reason === undefined) return undefined;
      if (reason.trim()) arg.reason = reason.trim();
    }
  }
  try {
    const result = await c.sendRequest(ExecuteCommandRequest.type, { command, arguments: [arg] });
    const r = result as { message?: unknown; done?: unknown } | null;
    // The failure policy's commands say what they decided (the gate: pass, retry or pause).
    const policy = command === 'tollgate.gate' || command === 'tollgate.rollback' || command === 'tollgate.resume';
    const text = typeof result === 'string' ? result : (r?.message ?? (policy ? r?.done : undefined));
    if (typeof text === 'string' && text.trim()) void vscode.window.showInformationMessage(`Tollgate: ${text}`);
    if (command === 'tollgate.quarantine' && typeof arg.path === 'string') await closeMovedFile(root, arg.path);
    return result;
  } catch (e) {
    const msg = `Tollgate: ${title} failed: ${errorText(e)}`;
    log(msg);
    void vscode.window.showErrorMessage(msg, 'Show Output').then(choice => {
      if (choice) logChannel.show(true);
    });
    return undefined;
  } finally {
    scheduleStatusRefresh();
  }
}

/** The quarantined file left its place on disk: an unmodified editor still showing the old
 *  place is closed (its buffer would otherwise keep a "changed path" alive). */
async function closeMovedFile(root: string, rel: string): Promise<void> {
  const target = vscode.Uri.file(path.resolve(root, rel)).toString();
  if (fs.existsSync(vscode.Uri.parse(target).fsPath)) return;
  const tabs = vscode.window.tabGroups.all
    .flatMap(g => g.tabs)
    .filter(t => t.input instanceof vscode.TabInputText && t.input.uri.toString() === target && !t.isDirty);
  if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
}

function rootPath(root: string): string {
  return root.startsWith('file://') ? vscode.Uri.parse(root).fsPath : root;
}

async function findRoots(): Promise<string[]> {
  const files = await vscode.workspace.findFiles('{**/pipeline.yaml,**/.factory/pipeline.yaml}', '{**/node_modules/**,**/.git/**}', 200);
  const set = new Set(files.filter(f => f.scheme === 'file').map(f => rootOfPipelineFile(f.fsPath)));
  return [...set].sort((a, b) => a.split(path.sep).length - b.split(path.sep).length || a.localeCompare(b));
}

function activeFile(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc && doc.uri.scheme === 'file' ? doc.uri.fsPath : undefined;
}

/** The root of the active editor's file, else the only root, else the shallowest one. */
function currentRoot(): string | undefined {
  const file = activeFile();
  if (file) {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath;
    const r = rootFor(file, { stopAt: folder });
    if (r) return r;
  }
  return roots[0];
}

async function pickRoot(): Promise<string | undefined> {
  const file = activeFile();
  if (file) {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath;
    const r = rootFor(file, { stopAt: folder });
    if (r) return r;
  }
  if (roots.length === 0) roots = await findRoots();
  if (roots.length === 1) return roots[0];
  if (roots.length === 0) {
    void vscode.window.showErrorMessage('Tollgate: no factory root (pipeline.yaml or .factory/pipeline.yaml) in this workspace.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    roots.map(r => ({ label: path.basename(r), description: r, root: r })),
    { title: 'Tollgate: factory root', placeHolder: 'Which factory root?' },
  );
  return pick?.root;
}

async function pickStage(root: string, command: RecoveryCommand): Promise<string | undefined> {
  let ids: string[] = [];
  try {
    ids = stageIds(fs.readFileSync(pipelineFile(root), 'utf8'));
  } catch (e) {
    log(`reading the pipeline of ${root}: ${errorText(e)}`);
  }
  const current = (await readStatus(root).catch(() => undefined))?.stage ?? undefined;
  const title = `Tollgate: ${COMMAND_TITLES[command]}`;
  if (ids.length === 0) {
    const typed = await vscode.window.showInputBox({ title, prompt: 'Stage id', value: current ?? '', ignoreFocusOut: true });
    return typed?.trim() || undefined;
  }
  const ordered = current && ids.includes(current) ? [current, ...ids.filter(i => i !== current)] : ids;
  const pick = await vscode.window.showQuickPick(
    ordered.map(id => ({ label: id, description: id === current ? 'current stage' : undefined })),
    { title, placeHolder: command === 'tollgate.returnToBuild' ? 'Stage to re-open for another attempt' : 'Stage whose attempt to archive' },
  );
  return pick?.label;
}

/** '' for the latest checkpoint, a stage id, or undefined when the pick was dismissed. */
async function pickRollbackTarget(root: string): Promise<string | undefined> {
  let ids: string[] = [];
  try {
    ids = stageIds(fs.readFileSync(pipelineFile(root), 'utf8'));
  } catch (e) {
    log(`reading the pipeline of ${root}: ${errorText(e)}`);
  }
  const items = [
    { label: 'Latest checkpoint', description: 'lastCheckpoint in state.json', to: '' },
    ...ids.map(id => ({ label: id, description: undefined as string | undefined, to: id })),
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: `Tollgate: ${COMMAND_TITLES['tollgate.rollback']}`,
    placeHolder: 'Re-execute from which stage? Its outputs and later ones are archived, never deleted',
  });
  return pick?.to;
}

async function askPath(root: string, command: RecoveryCommand): Promise<string | undefined> {
  const file = activeFile();
  let value = '';
  if (file) {
    const rel = normalizeUserPath(root, file);
    if (rel.path) value = rel.path;
  }
  const typed = await vscode.window.showInputBox({
    title: `Tollgate: ${COMMAND_TITLES[command]}`,
    prompt:
      command === 'tollgate.quarantine'
        ? `File to move to artifacts/_untrusted/<stage>/ (relative to ${root})`
        : `Path or glob to add to the retained scope (relative to ${root})`,
    value,
    ignoreFocusOut: true,
    validateInput: v => normalizeUserPath(root, v).error,
  });
  if (typed === undefined) return undefined;
  return normalizeUserPath(root, typed).path;
}

// ---------------------------------------------------------------------------------------------
// Status

function runCli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    if (!serverPath) {
      reject(new Error(serverProblem ?? 'no tollgate binary'));
      return;
    }
    execFile(serverPath, args, { cwd, timeout: 15000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code: unknown = err ? (err as { code?: unknown }).code : 0;
      if (typeof code !== 'number') {
        reject(new Error(`${serverPath} ${args.join(' ')}: ${err?.message ?? 'failed'}`));
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
}

async function readStatus(root: string) {
  const r = await runCli(['status', root, '--format', 'json'], root);
  if (r.code !== 0 && r.code !== 1) {
    throw new Error(`tollgate status exited with code ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`);
  }
  return parseStatus(r.stdout);
}

function scheduleStatusRefresh(delay = 300): void {
  if (statusTimer) clearTimeout(statusTimer);
  statusTimer = setTimeout(() => void refreshStatus(), delay);
}

function showView(view: StatusView): void {
  statusItem.text = view.text;
  statusItem.tooltip = view.tooltip;
  statusItem.backgroundColor =
    view.level === 'error'
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : view.level === 'warning'
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
  statusItem.show();
}

async function refreshStatus(): Promise<void> {
  const root = currentRoot();
  if (!serverPath) {
    showView(statusErrorView(serverProblem ?? 'tollgate: no server binary'));
    return;
  }
  if (!root) {
    statusItem.hide();
    return;
  }
  try {
    const s = await readStatus(root);
    showView(statusBarView(s, roots.length > 1 ? path.basename(root) : undefined));
  } catch (e) {
    showView(statusErrorView(errorText(e)));
  }
}

async function showStatus(): Promise<void> {
  statusChannel.clear();
  if (!serverPath) {
    statusChannel.appendLine(serverProblem ?? 'tollgate: no server binary');
    statusChannel.show(true);
    if (serverProblem) showServerError(serverProblem);
    return;
  }
  if (roots.length === 0) roots = await findRoots();
  const current = currentRoot();
  const list = current ? [current, ...roots.filter(r => r !== current)] : roots;
  if (list.length === 0) statusChannel.appendLine('No factory root (pipeline.yaml or .factory/pipeline.yaml) in this workspace.');
  for (const root of list) {
    statusChannel.appendLine(`$ tollgate status ${root}`);
    try {
      const r = await runCli(['status', root], root);
      statusChannel.append(r.stdout);
      if (r.stderr.trim()) statusChannel.append(r.stderr);
      if (r.code === 2) statusChannel.appendLine(`(tollgate status failed: exit code 2)`);
      else if (r.code === 1) statusChannel.appendLine('(the run is blocked)');
      else statusChannel.appendLine('(nothing blocks the run)');
    } catch (e) {
      statusChannel.appendLine(errorText(e));
    }
    statusChannel.appendLine('');
  }
  statusChannel.show(true);
  scheduleStatusRefresh(0);
}
