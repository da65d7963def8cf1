-- Headless Neovim e2e test of editors/nvim (run by run.sh, which sets up the project and calls
-- require('tollgate').setup{} before VimEnter). Prints one line per test and
-- "N passed, M failed"; exits non-zero on failure. Every wait has a timeout.
local work = assert(vim.env.TOLLGATE_E2E_WORK, 'TOLLGATE_E2E_WORK not set')
local bin = assert(vim.env.TOLLGATE_E2E_BIN, 'TOLLGATE_E2E_BIN not set')
local proj = work .. '/project'
local TIMEOUT = tonumber(vim.env.TOLLGATE_E2E_TIMEOUT_MS or '15000')

local tollgate = require('tollgate')

local function out(s)
  io.stdout:write(s .. '\n')
  io.stdout:flush()
end

-- Capture notifications (still shown on stderr).
local notes = {}
local orig_notify = vim.notify
vim.notify = function(msg, level, o)
  table.insert(notes, { msg = tostring(msg), level = level or vim.log.levels.INFO })
  io.stderr:write(string.format('[notify %s] %s\n', tostring(level), tostring(msg)))
  return orig_notify(msg, level, o)
end

local passed, failed, n = 0, 0, 0
local function test(name, fn)
  n = n + 1
  local t0 = vim.uv.hrtime()
  local ok, err = xpcall(fn, function(e)
    return tostring(e)
  end)
  local ms = math.floor((vim.uv.hrtime() - t0) / 1e6)
  if ok then
    passed = passed + 1
    out(string.format('ok %d - %s (%d ms)', n, name, ms))
  else
    failed = failed + 1
    out(string.format('not ok %d - %s (%d ms)\n    %s', n, name, ms, (err:gsub('\n', '\n    '))))
  end
end

local function wait(what, pred, timeout)
  local ok = vim.wait(timeout or TIMEOUT, pred, 50)
  if not ok then
    error('timed out after ' .. (timeout or TIMEOUT) .. ' ms waiting for ' .. what, 2)
  end
end

local function read_json(path)
  local fd = io.open(path, 'r')
  if not fd then
    return nil
  end
  local s = fd:read('*a')
  fd:close()
  local ok, v = pcall(vim.json.decode, s)
  return ok and v or nil
end

-- An ERROR notification since index `since` (ends a wait early).
local function errored_since(since)
  for i = since + 1, #notes do
    if notes[i].level >= vim.log.levels.ERROR then
      return true
    end
  end
  return false
end

local function tollgate_client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr or 0, name = 'tollgate' })[1]
end

local function edit(path)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  return vim.api.nvim_get_current_buf()
end

local function diag_summary(bufnr)
  local t = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(t, string.format('%s@%d:%d %s', tostring(d.code), d.lnum, d.col, d.message))
  end
  return #t == 0 and '(none)' or table.concat(t, ' | ')
end

local sneaky = proj .. '/artifacts/prd/sneaky.md'
local sneaky_buf = vim.fn.bufnr(sneaky)

-- 1 ---------------------------------------------------------------------------------------------
test('setup before VimEnter attached the argument file (filetype markdown) to a tollgate client', function()
  assert(sneaky_buf ~= -1, 'sneaky.md is not loaded')
  assert(vim.bo[sneaky_buf].filetype == 'markdown', 'filetype is ' .. vim.bo[sneaky_buf].filetype)
  local c
  wait('a tollgate client attached to sneaky.md', function()
    c = tollgate_client(sneaky_buf)
    return c ~= nil
  end)
  assert(c.root_dir == proj, 'root_dir ' .. tostring(c.root_dir) .. ' ~= ' .. proj)
  wait('the client to initialize', function()
    return c.initialized
  end)
end)

-- 2 ---------------------------------------------------------------------------------------------
test('unauthorized-write diagnostic on artifacts/prd/sneaky.md', function()
  vim.api.nvim_set_current_buf(sneaky_buf)
  local found
  local ok = vim.wait(TIMEOUT, function()
    for _, d in ipairs(vim.diagnostic.get(sneaky_buf)) do
      if d.code == 'unauthorized-write' then
        found = d
        return true
      end
    end
    return false
  end, 50)
  assert(ok, 'no unauthorized-write within ' .. TIMEOUT .. ' ms; diagnostics: ' .. diag_summary(sneaky_buf))
  assert(found.source == 'tollgate', 'source is ' .. tostring(found.source))
  assert(found.severity == vim.diagnostic.severity.ERROR, 'severity is ' .. tostring(found.severity))
  out('    # ' .. found.message)
end)

-- 3 ---------------------------------------------------------------------------------------------
test('a file with no filetype under the root is attached', function()
  local b = edit(proj .. '/artifacts/backend/NOTES')
  assert(vim.bo[b].filetype == '', 'filetype is ' .. vim.bo[b].filetype)
  local c = tollgate_client(b)
  assert(c and c.root_dir == proj, 'NOTES is not attached to the project client')
  assert(#vim.lsp.get_clients({ name = 'tollgate' }) == 1, 'a second client was started for the same root')
end)

-- 4 ---------------------------------------------------------------------------------------------
test('a file outside any factory root is not attached', function()
  local b = edit(work .. '/outside.txt')
  assert(not tollgate_client(b), 'outside.txt got a tollgate client')
  edit(sneaky)
end)

-- 5 ---------------------------------------------------------------------------------------------
test(':Tollgate completion: subcommands, stage ids, paths', function()
  local subs = vim.fn.getcompletion('Tollgate ', 'cmdline')
  for _, s in ipairs({ 'status', 'expand-scope', 'return-to-build', 'archive-attempt', 'quarantine', 'gate', 'rollback', 'resume' }) do
    assert(vim.tbl_contains(subs, s), 'missing subcommand ' .. s .. ' in ' .. vim.inspect(subs))
  end
  local stages = vim.fn.getcompletion('Tollgate return-to-build ', 'cmdline')
  assert(
    vim.deep_equal(stages, { 'bootstrap', 'prd', 'ui', 'tech', 'code', 'validation', 'preview' }),
    'stage ids: ' .. vim.inspect(stages)
  )
  local c = vim.fn.getcompletion('Tollgate archive-attempt c', 'cmdline')
  assert(vim.deep_equal(c, { 'code' }), 'archive-attempt c -> ' .. vim.inspect(c))
  c = vim.fn.getcompletion('Tollgate rollback t', 'cmdline')
  assert(vim.deep_equal(c, { 'tech' }), 'rollback t -> ' .. vim.inspect(c))
  local paths = vim.fn.getcompletion('Tollgate quarantine artifacts/p', 'cmdline')
  assert(vim.tbl_contains(paths, 'artifacts/prd/'), 'paths: ' .. vim.inspect(paths))
  local files = vim.fn.getcompletion('Tollgate expand-scope artifacts/prd/s', 'cmdline')
  assert(vim.deep_equal(files, { 'artifacts/prd/sneaky.md' }), 'files: ' .. vim.inspect(files))
end)

-- 6 ---------------------------------------------------------------------------------------------
test(':Tollgate return-to-build without a stage prompts with the stage ids (current first)', function()
  local orig = vim.ui.select
  local items, sent
  vim.ui.select = function(it, opts, cb)
    items = vim.tbl_map(opts.format_item or tostring, it)
    cb(nil) -- cancelled: nothing is sent
  end
  local orig_exec = tollgate.execute
  tollgate.execute = function(...)
    sent = { ... }
  end
  local ok, err = pcall(vim.cmd, 'Tollgate return-to-build')
  vim.ui.select, tollgate.execute = orig, orig_exec
  assert(ok, err)
  assert(items and items[1] == 'code (current)', 'items: ' .. vim.inspect(items))
  assert(#items == 7, 'items: ' .. vim.inspect(items))
  assert(not sent, 'a command was sent although the prompt was cancelled')
end)

-- 7a --------------------------------------------------------------------------------------------
test('severity override (stage-summary = hint) reaches the server through workspace/configuration', function()
  local b = edit(proj .. '/pipeline.yaml')
  local c = tollgate_client(b)
  assert(c, 'pipeline.yaml is not attached')
  local sev = vim.tbl_get(c.settings or {}, 'tollgate', 'severity', 'stage-summary')
  assert(sev == 'hint', 'client settings: ' .. vim.inspect(c.settings))
  -- A publish made before the server read the configuration may still show the default
  -- (information): wait for the one made with the setting.
  local found
  local ok = vim.wait(TIMEOUT, function()
    for _, d in ipairs(vim.diagnostic.get(b)) do
      if d.code == 'stage-summary' then
        found = d
        return d.severity == vim.diagnostic.severity.HINT
      end
    end
  end, 50)
  assert(found, 'no stage-summary diagnostic on pipeline.yaml; diagnostics: ' .. diag_summary(b))
  assert(ok, 'stage-summary severity is ' .. tostring(found.severity) .. ' (want HINT)')
  out('    # ' .. found.message)
end)

-- 7 ---------------------------------------------------------------------------------------------
test('code action "Return to Build" on the code stage id -> state.json on disk: attempts 2, running', function()
  local b = edit(proj .. '/pipeline.yaml')
  local c = tollgate_client(b)
  assert(c, 'pipeline.yaml is not attached')
  local lnum, col
  for i, line in ipairs(vim.api.nvim_buf_get_lines(b, 0, -1, false)) do
    local s = line:find('%- id: code%s*$')
    if s then
      lnum, col = i, line:find('code', s, true) - 1
    end
  end
  assert(lnum, 'no "- id: code" line in pipeline.yaml')
  vim.api.nvim_win_set_cursor(0, { lnum, col })

  local caps = c.server_capabilities or {}
  assert(caps.codeActionProvider, 'the server does not advertise codeActionProvider')
  local provider = type(caps.executeCommandProvider) == 'table' and caps.executeCommandProvider.commands or {}
  assert(
    vim.tbl_contains(provider, 'tollgate.returnToBuild'),
    'executeCommandProvider does not list tollgate.returnToBuild (Neovim will not send it): ' .. vim.inspect(provider)
  )

  -- Wait until the server offers the action here (and say what it offers if it never does).
  local titles = {}
  local ok = vim.wait(TIMEOUT, function()
    local params = vim.lsp.util.make_range_params(0, c.offset_encoding)
    params.context = { diagnostics = {}, triggerKind = 1 }
    local res = vim.lsp.buf_request_sync(b, 'textDocument/codeAction', params, 2000) or {}
    titles = {}
    for _, r in pairs(res) do
      if r.error then
        table.insert(titles, 'error: ' .. tostring(r.error.message))
      end
      for _, a in ipairs(r.result or {}) do
        table.insert(titles, a.title)
        if a.title:match('^Return to Build') then
          return true
        end
      end
    end
    return false
  end, 200)
  assert(ok, 'no "Return to Build" code action on line ' .. lnum .. '; offered: ' .. vim.inspect(titles))

  local before = #notes
  vim.lsp.buf.code_action({
    filter = function(a)
      return a.title:match('^Return to Build') ~= nil
    end,
    apply = true,
  })
  local state
  local function reopened()
    state = read_json(proj .. '/.factory/state.json')
    if not (state and state.status == 'running' and state.currentStage == 'code') then
      return false
    end
    for _, h in ipairs(state.stageHistory or {}) do
      if h.stageId == 'code' and h.attempts == 2 and h.status == 'running' then
        return true
      end
    end
    return false
  end
  local done = vim.wait(TIMEOUT, function()
    return reopened() or errored_since(before)
  end, 50) and reopened()
  if not done then
    local msgs = {}
    for i = before + 1, #notes do
      table.insert(msgs, notes[i].msg)
    end
    error(
      'state.json on disk was not re-opened within '
        .. TIMEOUT
        .. ' ms: '
        .. vim.inspect(state)
        .. '; notifications: '
        .. vim.inspect(msgs)
    )
  end
  for _, n2 in ipairs(vim.list_slice(notes, before + 1)) do
    assert(n2.level < vim.log.levels.ERROR, 'error during the action: ' .. n2.msg)
  end
end)

-- 8 ---------------------------------------------------------------------------------------------
test(':Tollgate status opens a float with the stages, their states and the current status', function()
  edit(sneaky)
  vim.cmd('Tollgate status')
  local sb
  wait('the tollgate://status buffer', function()
    sb = vim.fn.bufnr('tollgate://status')
    return sb ~= -1 and vim.api.nvim_buf_line_count(sb) > 2
  end)
  local lines = vim.api.nvim_buf_get_lines(sb, 0, -1, false)
  local text = table.concat(lines, '\n')
  for _, l in ipairs(lines) do
    out('    # ' .. l)
  end
  assert(text:find(bin .. ' status ' .. proj, 1, true), 'header: ' .. lines[1])
  assert(not lines[1]:find('exit 2', 1, true), 'tollgate status failed: ' .. text)
  -- A floating window, current, showing the buffer.
  local win = vim.api.nvim_get_current_win()
  assert(vim.api.nvim_win_get_buf(win) == sb, 'the float is not the current window')
  assert(vim.api.nvim_win_get_config(win).relative == 'editor', 'not a floating window')
  -- Every stage in pipeline order, with its state; the current one with the run's status.
  local order = {}
  for _, l in ipairs(lines) do
    for _, mark in ipairs({ '✓ ', '▶ ', '✗ ', '· ' }) do
      if vim.startswith(l, mark) then
        table.insert(order, l:sub(#mark + 1):match('^(%S+)'))
      end
    end
  end
  assert(vim.deep_equal(order, { 'bootstrap', 'prd', 'ui', 'tech', 'code', 'validation', 'preview' }),
    'stages: ' .. table.concat(order, ','))
  assert(text:find('\n✓ bootstrap%s+done\n'), 'bootstrap done: ' .. text)
  assert(text:find('▶ code%s+current: running · attempt 2 of 2'), 'code current: ' .. text)
  assert(text:find('· validation%s+not reached'), 'validation not reached: ' .. text)
  -- The open blocker of the current stage, under it.
  assert(text:find('✗ unauthorized%-write: artifacts/prd/sneaky.md  %(policy → user%)'), 'blocker: ' .. text)
  vim.cmd('close')
  assert(vim.fn.bufwinid(sb) == -1, 'the float is still open')
end)

-- 9 ---------------------------------------------------------------------------------------------
test(':Tollgate quarantine artifacts/prd/sneaky.md moves it under artifacts/_untrusted/code/', function()
  edit(sneaky)
  local before = #notes
  vim.cmd('Tollgate quarantine artifacts/prd/sneaky.md')
  local target = proj .. '/artifacts/_untrusted/code/prd/sneaky.md'
  local st
  local function moved()
    st = read_json(proj .. '/.factory/state.json') or {}
    return vim.uv.fs_stat(target) ~= nil and vim.uv.fs_stat(sneaky) == nil and st.status == 'paused'
  end
  local ok = vim.wait(TIMEOUT, function()
    return moved() or errored_since(before)
  end, 50) and moved()
  local msgs = {}
  for _, x in ipairs(notes) do
    if x.msg:find('quarantine', 1, true) then
      table.insert(msgs, x.msg)
    end
  end
  assert(
    ok,
    string.format(
      'not done (waited up to %d ms): moved=%s, state.json status=%s; notifications: %s',
      TIMEOUT,
      tostring(vim.uv.fs_stat(target) ~= nil),
      tostring(st.status),
      vim.inspect(msgs)
    )
  )
end)

-- 9b --------------------------------------------------------------------------------------------
test(':Tollgate resume goes on in the same attempt; :Tollgate gate then pauses and moves the attempt', function()
  local before = #notes
  local st
  vim.cmd('Tollgate resume')
  local ok = vim.wait(TIMEOUT, function()
    st = read_json(proj .. '/.factory/state.json') or {}
    return st.status == 'running' or errored_since(before)
  end, 50)
  assert(ok and st.status == 'running', 'resume: state.json status=' .. tostring(st.status))
  -- artifacts/client/ does not exist and this is the last attempt: the gate pauses, moving the attempt.
  before = #notes
  vim.cmd('Tollgate gate')
  local moved
  ok = vim.wait(TIMEOUT, function()
    st = read_json(proj .. '/.factory/state.json') or {}
    moved = vim.fn.glob(proj .. '/artifacts/_failed/code/attempt-*/backend/NOTES')
    return (st.status == 'paused' and moved ~= '') or errored_since(before)
  end, 50)
  assert(
    ok and st.status == 'paused' and moved ~= '',
    'gate: status=' .. tostring(st.status) .. ', archived NOTES=' .. tostring(moved)
  )
  assert(vim.uv.fs_stat(proj .. '/artifacts/backend/NOTES') == nil, 'NOTES still in place')
  assert(vim.tbl_contains(st.failedStages or {}, 'code'), 'failedStages: ' .. vim.inspect(st.failedStages))
  -- The decision is notified when the server answers (after the edit it sent was applied).
  local function said()
    for i = before + 1, #notes do
      if notes[i].msg:find('tollgate.gate: Gate of stage `code`: fail, pause for a person', 1, true) then
        return true
      end
    end
    return false
  end
  assert(vim.wait(TIMEOUT, said, 50), 'no notification of the decision')
end)

-- 10 --------------------------------------------------------------------------------------------
test(':checkhealth tollgate reports binary, version, roots and the attached client', function()
  edit(proj .. '/pipeline.yaml')
  vim.cmd('checkhealth tollgate')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  vim.cmd('tabclose')
  for _, want in ipairs({ 'Neovim 0.11', 'setup{} was called', bin, proj, 'initialized' }) do
    assert(text:find(want, 1, true), 'checkhealth lacks "' .. want .. '":\n' .. text)
  end
  if text:find('--version failed', 1, true) then
    error('binary found, but --version failed:\n' .. text)
  end
end)

-- 11 --------------------------------------------------------------------------------------------
test('a missing binary gives a clear error naming the path tried', function()
  local missing = work .. '/no-such-dir/tollgate'
  tollgate.setup({ cmd = { missing, 'lsp' } })
  local before = #notes
  local b = edit(work .. '/root-missing/a.txt')
  local hit
  local ok = vim.wait(TIMEOUT, function()
    for i = before + 1, #notes do
      if notes[i].level == vim.log.levels.ERROR and notes[i].msg:find(missing, 1, true) then
        hit = notes[i].msg
        return true
      end
    end
    return false
  end, 20)
  assert(ok, 'no ERROR naming ' .. missing .. '; got: ' .. vim.inspect(vim.list_slice(notes, before + 1)))
  assert(not tollgate_client(b), 'a client was attached anyway')
  out('    # ' .. hit)
  -- The other root's server is untouched.
  assert(#tollgate.clients(proj) == 1, 'the project client is gone')
end)

-- 12 --------------------------------------------------------------------------------------------
test('a broken binary (exits at once) gives a clear error naming its path and exit code', function()
  local broken = work .. '/broken-tollgate'
  tollgate.setup({ cmd = { broken, 'lsp' } })
  local before = #notes
  edit(work .. '/root-broken/a.txt')
  local hit
  wait('an ERROR naming ' .. broken, function()
    for i = before + 1, #notes do
      local m = notes[i].msg
      if notes[i].level == vim.log.levels.ERROR and m:find(broken, 1, true) and m:find('code 3', 1, true) then
        hit = m
        return true
      end
    end
    return false
  end)
  out('    # ' .. hit)
end)

out(string.format('%d passed, %d failed', passed, failed))
vim.notify = orig_notify
if failed == 0 then
  vim.cmd('qall!')
else
  vim.cmd('cquit 1')
end
