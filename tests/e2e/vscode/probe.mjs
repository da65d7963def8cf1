// Drives code-server (real VS Code) in Debian's headless chromium with playwright-core and checks
// the tollgate extension end to end. Adapted from the e2e kit handed over with the product contract (e2e/vscode/probe.mjs).
//
// Usage:
//   node probe.mjs --url http://127.0.0.1:PORT --folder /abs/workspace --scenario main|missing-binary \
//     --shots DIR [--missing-path /path/that/was/set] [--timeout-ms 20000]
//
// Scenario "main" (a workspace with an active run of stage `code`, tollgate.path set to the binary):
//   1. status bar shows the run            (`tollgate status --format json` via the extension)
//   2. unauthorized-write squiggle          on artifacts/prd/sneaky.md
//   3. Problems panel lists it
//   4. code action "Quarantine…" applied    (Ctrl+. in the editor), file moved on disk
//   5. pipeline/error.log highlighted       (language mode + TextMate scopes via "Inspect Editor Tokens")
//   6. the palette's "Show Run Status" shows `tollgate status` in the "Tollgate Status" channel
//   the Tollgate view (after 1): a click on the status bar item reveals it with the stages in order;
//   a blocker click opens its file; "Compare with Current" on an archived file opens a diff editor;
//   a file written outside the editor appears as a new blocker, and goes when it is removed
//   7. the palette's "Return to Build…" asks for the stage (quick pick, current stage first), cancelled
// Scenario "missing-binary" (tollgate.path points nowhere):
//   1. an error message names the path that was tried, the status bar shows the error
//   2. with --broken-path: the setting is changed to a binary that fails, the message names it
//
// Prints one line per check and `N passed, M failed`; writes results.json next to the screenshots.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf('--' + name); return i >= 0 ? argv[i + 1] : def; };
const url = opt('url', 'http://127.0.0.1:8080');
const folder = opt('folder', process.cwd());
const scenario = opt('scenario', 'main');
const shots = opt('shots', path.join(process.cwd(), 'shots'));
const missingPath = opt('missing-path', '');
const brokenPath = opt('broken-path', '');
const settingsFile = opt('settings-file', '');
const stepTimeout = Number(opt('timeout-ms', '20000'));
const loadTimeout = 90000;
fs.mkdirSync(shots, { recursive: true });

const t0 = Date.now();
const log = (...a) => console.log(`[+${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const results = [];
let page;

async function shot(name) {
  const file = path.join(shots, `${scenario}-${name}.png`);
  try { await page.screenshot({ path: file }); } catch (e) { log('screenshot failed:', e.message); }
  return file;
}

async function check(name, fn) {
  const started = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true, detail });
    console.log(`PASS ${name}${detail ? ` (${detail})` : ''} [${((Date.now() - started) / 1000).toFixed(1)}s]`);
    return true;
  } catch (e) {
    results.push({ name, ok: false, detail: e.message.split('\n')[0] });
    console.log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
    await shot(`FAIL-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`);
    return false;
  }
}

// Monaco renders spaces as U+00A0: texts are compared with plain spaces.
const bodyText = () => page.evaluate(() => document.body.innerText.replace(/\u00a0/g, ' '));
async function waitForText(re, timeout = stepTimeout, where = 'body') {
  await page.waitForFunction(
    ([src, flags, sel]) => {
      const el = document.querySelector(sel);
      return !!el && new RegExp(src, flags).test(el.innerText.replace(/\u00a0/g, ' '));
    },
    [re.source, re.flags, where], { timeout, polling: 250 });
}

async function openInExplorer(rel) {
  // Open via the explorer rows (Ctrl+P right after load is racy).
  // The tree re-renders when files change on disk (a click can land on a row being replaced):
  // each step is checked and retried.
  const segs = rel.split('/');
  const rowOf = i => page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${segs[i]}"][aria-level="${i + 1}"]`).first();
  for (let i = 0; i < segs.length - 1; i++) {
    for (let attempt = 0; ; attempt++) {
      const row = rowOf(i);
      await row.waitFor({ timeout: stepTimeout });
      if ((await row.getAttribute('aria-expanded')) === 'true') break;
      if (attempt === 5) throw new Error(`explorer: ${segs[i]} does not expand`);
      await row.click();
      await page.waitForTimeout(400);
    }
  }
  const name = segs[segs.length - 1];
  const isActive = () => page.evaluate(n => {
    const tab = document.querySelector('.tabs-container .tab.active');
    return !!tab && (tab.getAttribute('aria-label') || '').startsWith(n);
  }, name);
  for (let attempt = 0; !(await isActive()); attempt++) {
    if (attempt === 5) throw new Error(`explorer: ${rel} does not open`);
    const row = rowOf(segs.length - 1);
    await row.waitFor({ timeout: stepTimeout });
    await row.dblclick();
    await page.waitForTimeout(700);
  }
  await page.waitForSelector('.editor-instance .monaco-editor .view-lines', { timeout: stepTimeout });
}

async function runPaletteCommand(label) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: stepTimeout });
  await input.fill('>' + label);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout: stepTimeout });
  await page.keyboard.press('Enter');
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-probe-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
try {
  page = ctx.pages()[0] || await ctx.newPage();
  page.setDefaultTimeout(stepTimeout);
  page.on('pageerror', e => log('pageerror:', e.message.slice(0, 200)));
  // Only the local code-server: no marketplace, telemetry or CDN (offline-deterministic).
  const base = new URL(url);
  await ctx.route('**/*', r => {
    const u = new URL(r.request().url());
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.host === base.host) return r.continue();
    return r.abort();
  });

  const loaded = await check('workbench loads the workspace', async () => {
    await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`, { waitUntil: 'domcontentloaded', timeout: loadTimeout });
    await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: loadTimeout });
    await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: loadTimeout });
    return path.basename(folder);
  });

  if (loaded && scenario === 'missing-binary') {
    await check('missing binary: an error message names the path tried', async () => {
      await waitForText(/language server binary was not found/, 45000, '.notifications-toasts, .notification-toast-container, body');
      const text = await bodyText();
      if (missingPath && !text.includes(missingPath)) throw new Error(`the message does not name ${missingPath}`);
      await shot('01-missing-binary');
      return 'message shown with the path';
    });
    await check('missing binary: status bar shows the error', async () => {
      await waitForText(/tollgate: error/, stepTimeout, '.part.statusbar');
      return 'tollgate: error';
    });
    if (brokenPath && settingsFile) {
      await check('broken binary: after tollgate.path changes, an error message names it', async () => {
        // Changing the setting restarts the server with the new path (written as a workspace
        // setting: code-server notices the workspace's files change faster than the profile's).
        let settings = {};
        try { settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8')); } catch { /* new file */ }
        settings['tollgate.path'] = brokenPath;
        fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
        fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
        await waitForText(/does not run/, 45000);
        const text = await bodyText();
        if (!text.includes(brokenPath)) throw new Error(`the message does not name ${brokenPath}`);
        await page.waitForTimeout(800);
        await shot('02-broken-binary');
        return 'message shown with the path';
      });
    }
  }

  if (loaded && scenario === 'main') {
    await shot('01-workbench');
    const serverUp = await check('extension activated and the server started without an error message', async () => {
      // The status item appears once the extension has run `tollgate status` (or failed to).
      await waitForText(/code · |no run|tollgate: error/, 45000, '.part.statusbar');
      await page.waitForTimeout(1500);
      const text = await bodyText();
      const err = text.split('\n').find(l => /Tollgate: (could not start|"[^"]*" exited while starting|the language server binary was not found|the server binary .* does not run)/.test(l));
      if (err) throw new Error(err.trim());
      return 'no startup error shown';
    });
    const needServer = () => { if (!serverUp) throw new Error('skipped: the server did not start'); };
    await check('status bar shows the run (stage, status, blockers)', async () => {
      needServer();
      await waitForText(/code · running · (\d+ blockers?|no blockers)/, 45000, '.part.statusbar');
      const t = await page.locator('.part.statusbar').innerText();
      return (t.match(/code · running · [^\n]*/) || [''])[0];
    });

    // The Tollgate view: rows of the custom tree in the Explorer.
    // A row's text is its label, a space, its description (read apart: innerText may glue them).
    const viewRows = () => page.locator('.customview-tree .monaco-list-row');
    const rowText = e => {
      const t = sel => (e.querySelector(sel)?.textContent || '').replace(/\u00a0/g, ' ').trim();
      return `${t('.label-name')} ${t('.label-description')}`.trim();
    };
    const rowTexts = () => page.evaluate(src => {
      const rowText = eval(src);
      return [...document.querySelectorAll('.customview-tree .monaco-list-row')].map(rowText);
    }, rowText.toString());
    async function waitForRow(re, timeout = stepTimeout) {
      await page.waitForFunction(([src, fn]) => {
        const rowText = eval(fn);
        return [...document.querySelectorAll('.customview-tree .monaco-list-row')].some(e => new RegExp(src).test(rowText(e)));
      }, [re.source, rowText.toString()], { timeout, polling: 250 });
      const index = (await rowTexts()).findIndex(t => re.test(t));
      return viewRows().nth(index);
    }
    const foldersHeader = () => page.locator('.explorer-viewlet .pane-header', { hasText: path.basename(folder) }).first();
    async function setFoldersExpanded(open) {
      const h = foldersHeader();
      if (((await h.getAttribute('aria-expanded')) === 'true') !== open) await h.click();
      await page.waitForTimeout(400);
    }
    const view = await check('status bar item reveals the Tollgate view with the stages in order', async () => {
      needServer();
      await page.locator('.part.statusbar .statusbar-item', { hasText: /code · / }).first().click();
      await waitForRow(/^bootstrap/, 45000);
      // Room for the whole tree: the folder section of the Explorer is folded while the view is checked.
      await setFoldersExpanded(false);
      await waitForRow(/^preview/);
      const rows = await rowTexts();
      const stages = rows.map(r => r.split(' ')[0]).filter(id => ['bootstrap', 'prd', 'ui', 'tech', 'code', 'validation', 'preview'].includes(id));
      if (stages.join(',') !== 'bootstrap,prd,ui,tech,code,validation,preview') throw new Error(`stages: ${JSON.stringify(rows)}`);
      const code = rows.find(r => r.startsWith('code '));
      if (!/current: running · attempt 1 of 2 · 1 blocker/.test(code || '')) throw new Error(`code row: ${code}`);
      await shot('09-tollgate-view');
      return code;
    });
    await check('a blocker in the view opens its file on the finding', async () => {
      if (!view) throw new Error('no view');
      // A blocker of stage validation: its output outside its permissions, pipeline.yaml line 89.
      // (Not sneaky.md: an editor VS Code keeps open would outlive its quarantine below.)
      const stage = await waitForRow(/^validation not reached/);
      if ((await stage.getAttribute('aria-expanded')) !== 'true') await stage.click();
      const row = await waitForRow(/^output-outside-permissions: artifacts\/backend\/ policy → user/);
      await row.click();
      await page.waitForFunction(() => /^pipeline\.yaml/.test(document.querySelector('.tabs-container .tab.active')?.getAttribute('aria-label') || ''),
        undefined, { timeout: stepTimeout });
      // The selection is the diagnostic's range, on line 89 (`artifacts/backend/`).
      await waitForText(/Ln 89, Col \d+ \(\d+ selected\)/, stepTimeout, '.part.statusbar');
      await shot('10-blocker-opened');
      const t = await page.locator('.part.statusbar').innerText();
      return `pipeline.yaml opened, ${(t.match(/Ln 89, Col \d+ \(\d+ selected\)/) || [''])[0]}`;
    });
    await check('"Compare with Current" on an archived file opens a diff editor', async () => {
      if (!view) throw new Error('no view');
      const attempt = await waitForRow(/^attempt 1 \(archived\)/);
      if ((await attempt.getAttribute('aria-expanded')) !== 'true') await attempt.click();
      const file = await waitForRow(/^backend\/src\/index\.ts now artifacts\/backend\/src\/index\.ts/);
      await file.hover();
      // The inline action of the row (the same command as its context menu entry).
      await file.locator('.action-label[aria-label="Compare with Current"]').click();
      await page.waitForSelector('.editor-instance .monaco-diff-editor', { timeout: stepTimeout });
      await waitForText(/8080/, stepTimeout, '.editor-instance .monaco-diff-editor');
      await waitForText(/3000/, stepTimeout, '.editor-instance .monaco-diff-editor');
      await page.waitForTimeout(500);
      await shot('11-compare-with-current');
      const tab = await page.evaluate(() => document.querySelector('.tabs-container .tab.active')?.getAttribute('aria-label') || '');
      return `diff editor: ${tab}`;
    });
    await check('the view follows a file written outside the editor', async () => {
      if (!view) throw new Error('no view');
      const extra = path.join(folder, 'artifacts/tech/extra.md');
      fs.writeFileSync(extra, '# written by the code agent\n');
      await waitForRow(/unauthorized-write: artifacts\/tech\/extra\.md/, 30000);
      await waitForRow(/^code current: running · attempt 1 of 2 · 2 blockers/);
      await shot('12-view-updated');
      fs.rmSync(extra);
      await page.waitForFunction(() => ![...document.querySelectorAll('.customview-tree .monaco-list-row')]
        .some(e => /extra\.md/.test(e.textContent)), undefined, { timeout: 30000, polling: 250 });
      await waitForRow(/^code current: running · attempt 1 of 2 · 1 blocker/);
      return 'a blocker for artifacts/tech/extra.md came and went';
    });
    // Back to the folder tree and a plain editor area for the checks below.
    try {
      await page.keyboard.press('Escape');
      await runPaletteCommand('View: Close All Editors');
      await setFoldersExpanded(true);
    } catch (e) {
      log('restoring the explorer:', e.message);
    }

    const diag = await check('unauthorized-write squiggle on artifacts/prd/sneaky.md', async () => {
      needServer();
      await openInExplorer('artifacts/prd/sneaky.md');
      await page.waitForSelector('.editor-instance .monaco-editor .squiggly-error', { timeout: 45000 });
      await shot('02-diagnostic');
      return 'squiggly-error rendered';
    });

    await check('Problems panel lists unauthorized-write', async () => {
      needServer();
      await page.keyboard.press('Control+Shift+M');
      await waitForText(/unauthorized-write/, stepTimeout, '.part.panel');
      await shot('03-problems');
      const t = await page.locator('.part.panel').innerText();
      return (t.split('\n').find(l => /unauthorized-write|sneaky/.test(l)) || '').slice(0, 120);
    });

    await check('code action "Quarantine…" moves the file to artifacts/_untrusted/code/', async () => {
      if (!diag) throw new Error('no diagnostic to act on');
      // Back to the editor, cursor on line 1 (where the diagnostic sits), then Ctrl+. (quick fix).
      await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+Home');
      let row;
      for (let attempt = 0; attempt < 3 && !row; attempt++) {
        await page.keyboard.press('Control+.');
        try {
          const menu = page.locator('.action-widget');
          await menu.waitFor({ state: 'visible', timeout: 8000 });
          const candidate = menu.locator('.monaco-list-row', { hasText: /Quarantine/ }).first();
          await candidate.waitFor({ timeout: 5000 });
          row = candidate;
        } catch {
          await page.keyboard.press('Escape');
          await page.waitForTimeout(1000);
        }
      }
      if (!row) {
        // Fall back to the light bulb.
        const bulb = page.locator('.lightBulbWidget, .codicon-light-bulb, .codicon-lightbulb-autofix').first();
        await bulb.click({ timeout: 5000 });
        row = page.locator('.action-widget .monaco-list-row', { hasText: /Quarantine/ }).first();
        await row.waitFor({ timeout: stepTimeout });
      }
      const title = (await row.innerText()).trim();
      if (!/^Quarantine/.test(title)) throw new Error(`the action is titled ${JSON.stringify(title)}`);
      await shot('04-code-actions');
      // Choose it with the keyboard (mouse clicks on the action list are flaky headless): the
      // first action row is focused; move down to ours and press Enter.
      const rows = await page.locator('.action-widget .monaco-list-row.action').evaluateAll(els =>
        els.map(e => ({ text: e.innerText.trim(), focused: e.classList.contains('focused') })));
      const index = rows.findIndex(r => /^Quarantine/.test(r.text));
      const focused = Math.max(rows.findIndex(r => r.focused), 0);
      for (let i = focused; i < index; i++) await page.keyboard.press('ArrowDown');
      for (let i = focused; i > index; i--) await page.keyboard.press('ArrowUp');
      await page.keyboard.press('Enter');
      const moved = path.join(folder, 'artifacts/_untrusted/code/prd/sneaky.md');
      const orig = path.join(folder, 'artifacts/prd/sneaky.md');
      const deadline = Date.now() + stepTimeout;
      while (!(fs.existsSync(moved) && !fs.existsSync(orig))) {
        if (Date.now() > deadline) {
          throw new Error(`after "${title}": ${fs.existsSync(moved) ? '' : 'artifacts/_untrusted/code/prd/sneaky.md missing; '}${fs.existsSync(orig) ? 'artifacts/prd/sneaky.md still there' : ''}`);
        }
        await page.waitForTimeout(250);
      }
      if (!fs.readFileSync(moved, 'utf8').includes('The code agent rewrote part of the PRD.')) throw new Error('moved file lost its content');
      // The editor of the old place is closed by the extension, and the diagnostic goes with it.
      await page.waitForFunction(() => ![...document.querySelectorAll('.tabs-container .tab')]
        .some(t => (t.getAttribute('aria-label') || '').startsWith('sneaky.md')), undefined, { timeout: stepTimeout });
      await page.waitForFunction(() => !/unauthorized-write/.test(document.querySelector('.part.panel')?.innerText || ''),
        undefined, { timeout: stepTimeout });
      await page.waitForTimeout(500);
      await shot('05-quarantined');
      return `"${title}" → artifacts/_untrusted/code/prd/sneaky.md`;
    });

    await check('pipeline/error.log is highlighted by the tollgate grammar', async () => {
      await page.keyboard.press('Escape');
      await openInExplorer('pipeline/error.log');
      // The language mode in the status bar comes from contributes.languages (filenamePatterns).
      await waitForText(/Tollgate Error Log/, stepTimeout, '.part.statusbar');
      // Tokens are coloured: several distinct mtk classes in the rendered lines.
      await page.waitForFunction(() => {
        const lines = document.querySelector('.editor-instance .monaco-editor .view-lines');
        if (!lines) return false;
        const classes = new Set([...lines.querySelectorAll('span[class*="mtk"]')].flatMap(s => [...s.classList].filter(c => /^mtk\d+$/.test(c))));
        return classes.size >= 3;
      }, undefined, { timeout: stepTimeout });
      // The TextMate scopes, as VS Code reports them: put the cursor on "ERROR REPORT" (line 2,
      // the cursor starts at 1:1 in a newly opened file) and inspect.
      await page.keyboard.press('Control+Home');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowRight');
      await runPaletteCommand('Developer: Inspect Editor Tokens and Scopes');
      await waitForText(/markup\.heading\.report\.tollgate-error/, stepTimeout, '.token-inspect-widget');
      const inspected = await page.locator('.token-inspect-widget').innerText();
      await shot('06-error-log-grammar');
      await page.keyboard.press('Escape');
      const scope = inspected.split('\n').find(l => l.includes('markup.heading.report')) || '';
      return `language Tollgate Error Log; scope ${scope.trim()}`;
    });

    await check('palette "Tollgate: Show Run Status" shows `tollgate status` in an output channel', async () => {
      needServer();
      await runPaletteCommand('Tollgate: Show Run Status');
      // The channel scrolls to its end (lines above are not in the DOM): its last line is the
      // extension's summary of the exit code.
      await waitForText(/\((the run is blocked|nothing blocks the run)\)/, stepTimeout, '.part.panel');
      await shot('07-status-output');
      const t = (await page.locator('.part.panel').innerText()).replace(/\u00a0/g, ' ');
      return (t.split('\n').find(l => /\((the run is blocked|nothing blocks the run)\)/.test(l)) || '').trim();
    });

    await check('palette "Tollgate: Return to Build…" asks for the stage first', async () => {
      needServer();
      await runPaletteCommand('Tollgate: Return to Build');
      // The middleware's quick pick: the pipeline's stage ids, the current one first.
      const first = page.locator('.quick-input-widget .monaco-list-row').first();
      await page.waitForFunction(() => {
        const w = document.querySelector('.quick-input-widget');
        return !!w && /current stage/.test(w.innerText) && /bootstrap/.test(w.innerText);
      }, undefined, { timeout: stepTimeout });
      const label = (await first.innerText()).replace(/\s+/g, ' ').trim();
      await shot('08-palette-stage-pick');
      await page.keyboard.press('Escape'); // cancel: nothing is sent
      if (!/^code/.test(label) || !/current stage/.test(label)) throw new Error(`first item is ${JSON.stringify(label)}`);
      return `first item: ${label}`;
    });
  }
} catch (e) {
  results.push({ name: 'probe', ok: false, detail: e.message.split('\n')[0] });
  console.log('FAIL probe:', e.message.split('\n')[0]);
} finally {
  await ctx.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
}
const passed = results.filter(r => r.ok).length;
const failed = results.length - passed;
fs.writeFileSync(path.join(shots, `${scenario}-results.json`), JSON.stringify({ scenario, passed, failed, results }, null, 2) + '\n');
console.log(`${scenario}: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
