// The Tollgate view in the Explorer (SPEC section 10): fed by the server's `tollgate/status`
// request, refreshed by its `tollgate/statusChanged` notification. The tree itself is built
// by runTree.ts (plain, unit-tested); this file only speaks VS Code.

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';

import { Node, parseRun, pickRange, RunInfo, tree } from './runTree';

export const VIEW_ID = 'tollgate.run';

export class RunView implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The latest status object per root, as the server spells the root. */
  private runs = new Map<string, RunInfo>();
  private client: LanguageClient | undefined;
  private message = 'Starting the tollgate server…';
  view: vscode.TreeView<Node> | undefined;

  constructor(private readonly roots: () => string[]) {}

  /** A started client: listen for changes, then ask for every root's status. */
  attach(client: LanguageClient): vscode.Disposable {
    this.client = client;
    const sub = client.onNotification('tollgate/statusChanged', (raw: unknown) => {
      const run = parseRun(raw);
      if (!run) return;
      this.runs.set(run.root, run);
      this.fire();
    });
    void this.refresh();
    return sub;
  }

  detach(why: string): void {
    this.client = undefined;
    this.runs.clear();
    this.message = why;
    this.fire();
  }

  async refresh(): Promise<void> {
    const c = this.client;
    if (!c) return this.fire();
    const roots = this.roots();
    const next = new Map<string, RunInfo>();
    for (const root of roots) {
      try {
        const run = parseRun(await c.sendRequest('tollgate/status', { root }));
        if (run) next.set(run.root, run);
      } catch (e) {
        this.message = `tollgate/status failed for ${root}: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    this.runs = next;
    if (roots.length === 0) this.message = 'No factory root (pipeline.yaml) in this workspace.';
    this.fire();
  }

  private fire(): void {
    if (this.view) this.view.message = this.runs.size === 0 ? this.message : undefined;
    this.changed.fire(undefined);
  }

  getChildren(node?: Node): Node[] {
    if (node) return node.children;
    const runs = [...this.runs.values()].sort((a, b) => a.root.localeCompare(b.root));
    return tree(runs, root => path.basename(root));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const collapsed =
      node.children.length === 0
        ? vscode.TreeItemCollapsibleState.None
        : node.kind === 'run' || (node.kind === 'stage' && node.contextValue === 'stage-current')
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(node.label, collapsed);
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.contextValue;
    if (node.icon) {
      item.iconPath = new vscode.ThemeIcon(node.icon.id, node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined);
    }
    if (node.open) {
      item.command = { command: 'tollgate.openBlocker', title: 'Open the finding', arguments: [node] };
    } else if (node.compare) {
      item.resourceUri = vscode.Uri.file(node.compare.left);
      item.command = { command: 'tollgate.compareWithCurrent', title: 'Compare with Current', arguments: [node] };
    }
    return item;
  }
}

/** Opens a blocker's file on its finding: the diagnostic with its code on its line, else the line. */
export async function openBlocker(node: Node): Promise<void> {
  if (!node?.open) return;
  const uri = vscode.Uri.file(node.open.path);
  if (!fs.existsSync(uri.fsPath)) {
    void vscode.window.showWarningMessage(`Tollgate: ${node.path ?? uri.fsPath} no longer exists.`);
    return;
  }
  const diags = vscode.languages.getDiagnostics(uri).map(d => ({ code: d.code, start: d.range.start, range: d.range }));
  const hit = pickRange(diags, node.open.code, node.open.line);
  const line = Math.max(0, node.open.line - 1);
  const selection = hit ? hit.range : new vscode.Range(line, 0, line, 0);
  await vscode.window.showTextDocument(uri, { selection, preview: true });
}

/** VS Code's diff editor: the archived (or quarantined) file on the left, the file at its place now on the right. */
export async function compareWithCurrent(node: Node): Promise<void> {
  if (!node?.compare) return;
  const left = vscode.Uri.file(node.compare.left);
  const right = vscode.Uri.file(node.compare.right);
  const rel = (p: string) => (node.root ? path.relative(node.root, p).split(path.sep).join('/') : p);
  if (!fs.existsSync(right.fsPath)) {
    void vscode.window.showInformationMessage(`Tollgate: ${rel(right.fsPath)} does not exist now; showing the archived file alone.`);
    await vscode.window.showTextDocument(left, { preview: true });
    return;
  }
  await vscode.commands.executeCommand('vscode.diff', left, right, `${rel(left.fsPath)} ↔ ${rel(right.fsPath)} (now)`);
}
