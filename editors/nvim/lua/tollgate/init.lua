-- tollgate.nvim: the tollgate language server for factory roots, and :Tollgate.
--
-- Target: Neovim 0.11 (tested end to end, tests/e2e/nvim/run.sh). Uses vim.lsp.start from an
-- autocmd so that buffers of every filetype (and of none) under a factory root are attached:
-- the server checks every file an agent may have written, not only YAML.

local M = {}

local uv = vim.uv or vim.loop

M.NAME = 'tollgate'

--- Subcommands of :Tollgate (in completion order).
M.SUBCOMMANDS =
  { 'status', 'expand-scope', 'return-to-build', 'archive-attempt', 'quarantine', 'gate', 'rollback', 'resume', 'restart' }

--- LSP command ids (SPEC section 5), by :Tollgate subcommand.
M.LSP_COMMANDS = {
  ['expand-scope'] = 'tollgate.expandScope',
  ['return-to-build'] = 'tollgate.returnToBuild',
  ['archive-attempt'] = 'tollgate.archiveAttempt',
  ['quarantine'] = 'tollgate.quarantine',
  ['gate'] = 'tollgate.gate',
  ['rollback'] = 'tollgate.rollback',
  ['resume'] = 'tollgate.resume',
}

local SEVERITY_LEVELS = { error = true, warning = true, information = true, hint = true, off = true }
local OPS = { create = true, modify = true, delete = true }

local defaults = {
  -- Server command: { binary, 'lsp' }. The binary is a name on $PATH or a full path.
  cmd = { 'tollgate', 'lsp' },
  -- Environment for the server process (optional).
  cmd_env = nil,
  -- Per-code severity overrides: { ['unauthorized-write'] = 'warning', ['stage-summary'] = 'off' }.
  -- Sent as the `tollgate.severity` setting through workspace/configuration.
  severity = {},
  -- Start the server automatically for buffers under a factory root.
  autostart = true,
  -- Write buffers changed by the server's workspace/applyEdit (state.json, scope.yaml, ...)
  -- to disk, as the CLI would, when they had no unsaved changes of yours before the edit.
  save_edits = true,
  -- Extra client options passed through to vim.lsp.start (on_attach, capabilities, ...).
  on_attach = nil,
  capabilities = nil,
}

M.config = vim.deepcopy(defaults)
M._did_setup = false
M._bin_errors = {} -- binary path -> true once its error was shown
M._leaving = false

local function has(v)
  return vim.fn.has('nvim-' .. v) == 1
end

local function notify(msg, level)
  vim.notify('tollgate: ' .. msg, level or vim.log.levels.INFO, { title = 'tollgate' })
end

local function get_clients(filter)
  local f = vim.lsp.get_clients or vim.lsp.get_active_clients
  return f(filter)
end

local function client_request(client, method, params, handler, bufnr)
  if has('0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function client_notify(client, method, params)
  if has('0.11') then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

local function json_decode(s)
  if vim.json and vim.json.decode then
    return pcall(vim.json.decode, s)
  end
  return pcall(vim.fn.json_decode, s)
end

-- Paths -----------------------------------------------------------------------------------------

local function normalize(p)
  p = vim.fn.fnamemodify(p, ':p')
  if vim.fs and vim.fs.normalize then
    p = vim.fs.normalize(p)
  end
  if #p > 1 then
    p = p:gsub('/+$', '')
  end
  return p
end

local function dirname(p)
  return vim.fn.fnamemodify(p, ':h')
end

local function basename(p)
  return vim.fn.fnamemodify(p, ':t')
end

local function stat_type(p)
  local st = uv.fs_stat(p)
  return st and st.type or nil
end

local function read_file(p)
  local fd = io.open(p, 'r')
  if not fd then
    return nil
  end
  local s = fd:read('*a')
  fd:close()
  return s
end

--- The factory root of a path: the nearest directory at or above it that holds
--- `.factory/pipeline.yaml` or `pipeline.yaml` (SPEC section 2). nil when there is none.
---@param path string a file or directory (need not exist)
---@return string|nil
function M.find_root(path)
  if not path or path == '' then
    return nil
  end
  path = normalize(path)
  local dir = stat_type(path) == 'directory' and path or dirname(path)
  while dir and dir ~= '' do
    if stat_type(dir .. '/.factory/pipeline.yaml') == 'file' then
      return dir
    end
    -- `<root>/.factory/pipeline.yaml` is the root's definition, not a root of its own.
    if basename(dir) ~= '.factory' and stat_type(dir .. '/pipeline.yaml') == 'file' then
      return dir
    end
    local parent = dirname(dir)
    if parent == dir then
      break
    end
    dir = parent
  end
  return nil
end

--- The file path of a buffer when it is a plain file buffer (no scheme, no special buftype).
local function buf_path(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return nil
  end
  if vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or name:match('^%a[%w+.-]*://') then
    return nil
  end
  return normalize(name)
end

--- Root of a buffer (0/nil: current), else of the current directory.
function M.current_root(bufnr)
  local p = buf_path(bufnr or vim.api.nvim_get_current_buf())
  return (p and M.find_root(p)) or M.find_root(vim.fn.getcwd())
end

local function relative_to(root, path)
  if path == root then
    return '.'
  end
  if path:sub(1, #root + 1) == root .. '/' then
    return path:sub(#root + 2)
  end
  return nil
end

--- A path argument as the server wants it: relative to the root, `/`-separated. Absolute paths
--- and paths relative to the current directory that lie under the root are converted; anything
--- else (a glob, a path relative to the root) is passed through.
function M.root_relative(root, arg)
  if arg:sub(1, 1) == '/' then
    return relative_to(root, normalize(arg)) or arg
  end
  if arg:find('[*?%[{]') then
    return arg
  end
  if uv.fs_stat(root .. '/' .. arg) then
    return arg
  end
  if uv.fs_stat(arg) then
    return relative_to(root, normalize(arg)) or arg
  end
  return arg
end

local function pipeline_file(root)
  if stat_type(root .. '/.factory/pipeline.yaml') == 'file' then
    return root .. '/.factory/pipeline.yaml'
  end
  return root .. '/pipeline.yaml'
end

--- Stage ids of a root's pipeline, in order (a line scan for `- id:`).
function M.stage_ids(root)
  local ids = {}
  if not root then
    return ids
  end
  local text = read_file(pipeline_file(root))
  if not text then
    return ids
  end
  for line in (text .. '\n'):gmatch('([^\n]*)\n') do
    local id = line:match('^%s*%-%s+id:%s*["\']?([^"\'%s#]+)')
    if id then
      table.insert(ids, id)
    end
  end
  return ids
end

--- The run state of a root (`.factory/state.json`), decoded, or nil.
function M.read_state(root)
  local text = root and read_file(root .. '/.factory/state.json')
  if not text then
    return nil
  end
  local ok, v = json_decode(text)
  return ok and type(v) == 'table' and v or nil
end

local function current_stage(root)
  local st = M.read_state(root)
  return st and (st.currentStage or st.current_stage) or nil
end

-- Binary ----------------------------------------------------------------------------------------

local function cmd_list()
  local cmd = M.config.cmd
  if type(cmd) == 'string' then
    cmd = { cmd, 'lsp' }
  end
  return cmd
end

--- The binary as configured (cmd[1]) and its resolved path ('' when not executable).
function M.binary()
  local cmd = cmd_list()
  local bin = type(cmd) == 'table' and cmd[1] or nil
  if not bin then
    return nil, ''
  end
  local exe = vim.fn.expand(bin)
  if vim.fn.executable(exe) == 1 then
    return bin, vim.fn.exepath(exe)
  end
  return bin, ''
end

local function bin_error_text(bin)
  local exe = vim.fn.expand(bin)
  local why
  if exe:find('/') then
    local t = stat_type(exe)
    if not t then
      why = 'no such file'
    elseif t ~= 'file' then
      why = 'not a file (' .. t .. ')'
    else
      why = 'not executable'
    end
  else
    why = 'not found on $PATH'
  end
  return string.format(
    "server binary '%s' %s (tried: %s). Install tollgate (cargo build --release) or set "
      .. "require('tollgate').setup{ cmd = { '/full/path/to/tollgate', 'lsp' } }",
    bin,
    why,
    exe:find('/') and normalize(exe) or ('$PATH for ' .. exe)
  )
end

--- Checks that the binary is executable; shows a clear error once per path otherwise.
---@return boolean
function M.check_binary()
  local bin, path = M.binary()
  if not bin then
    notify('setup{ cmd = ... } must be a list such as { "tollgate", "lsp" }', vim.log.levels.ERROR)
    return false
  end
  if path ~= '' then
    return true
  end
  if not M._bin_errors[bin] then
    M._bin_errors[bin] = true
    -- Scheduled: called from autocmds, where an error message would abort the :edit that
    -- triggered them (and a script's vim.cmd.edit with it).
    local text = bin_error_text(bin)
    vim.schedule(function()
      notify(text, vim.log.levels.ERROR)
    end)
  end
  return false
end

-- workspace/applyEdit ---------------------------------------------------------------------------

local function edit_uris(edit)
  local uris = {}
  if not edit then
    return uris
  end
  for _, change in ipairs(edit.documentChanges or {}) do
    if change.textDocument and change.textDocument.uri then
      table.insert(uris, change.textDocument.uri)
    end
  end
  for uri, _ in pairs(edit.changes or {}) do
    table.insert(uris, uri)
  end
  return uris
end

--- The default handler applies the edit to buffers (loading files that are not open). The
--- server's recovery steps are meant to change the files on disk too (SPEC section 5, "the same
--- effects on disk" as `tollgate recover`), so buffers that had no unsaved changes before the
--- edit are written afterwards. A buffer that already had unsaved changes is left unsaved, with a
--- message.
local function apply_edit_handler(err, params, ctx, config)
  local before = {}
  local uris = edit_uris(params and params.edit)
  for _, uri in ipairs(uris) do
    local ok, fname = pcall(vim.uri_to_fname, uri)
    if ok then
      local bufnr = vim.fn.bufnr(fname)
      local dirty = bufnr ~= -1 and vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].modified
      before[uri] = { fname = fname, dirty = dirty }
    end
  end
  local default = vim.lsp.handlers['workspace/applyEdit']
  local result = default(err, params, ctx, config)
  if not M.config.save_edits or not (result and result.applied) then
    if result and not result.applied then
      notify('could not apply the edit: ' .. tostring(result.failureReason), vim.log.levels.ERROR)
    end
    return result
  end
  for uri, b in pairs(before) do
    local bufnr = vim.fn.bufnr(b.fname)
    if bufnr ~= -1 and vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].modified then
      if b.dirty then
        notify(
          b.fname .. ' had unsaved changes: the edit is in the buffer, :write it to apply it on disk',
          vim.log.levels.WARN
        )
      else
        local ok, werr = pcall(vim.api.nvim_buf_call, bufnr, function()
          vim.cmd('silent keepalt write')
        end)
        if not ok then
          notify('could not write ' .. b.fname .. ': ' .. tostring(werr), vim.log.levels.ERROR)
          return { applied = false, failureReason = 'could not write ' .. b.fname }
        end
      end
    end
  end
  return result
end

-- Clients ---------------------------------------------------------------------------------------

local function is_stopped(client)
  if has('0.11') then
    return client:is_stopped()
  end
  return client.is_stopped()
end

local function settings()
  return { tollgate = { severity = vim.deepcopy(M.config.severity or {}) } }
end

--- Running tollgate clients, optionally only the one of `root`.
function M.clients(root)
  local out = {}
  for _, c in ipairs(get_clients({ name = M.NAME })) do
    if not is_stopped(c) and (not root or c.root_dir == root) then
      table.insert(out, c)
    end
  end
  return out
end

local function on_exit(code, signal, client_id)
  if M._leaving then
    return
  end
  if code ~= 0 or (signal ~= 0 and signal ~= 15) then
    vim.schedule(function()
      local bin, path = M.binary()
      local log = vim.lsp.get_log_path and vim.lsp.get_log_path() or 'the LSP log'
      notify(
        string.format(
          "server '%s' exited with code %d%s (client %d). Its stderr is in %s; :checkhealth tollgate",
          path ~= '' and path or tostring(bin),
          code,
          signal ~= 0 and (' (signal ' .. signal .. ')') or '',
          client_id,
          log
        ),
        vim.log.levels.ERROR
      )
    end)
  end
end

--- The client configuration for a root.
function M.client_config(root)
  local base = {}
  if has('0.11') and vim.lsp.config then
    -- Users may override with vim.lsp.config('tollgate', {...}); root and handlers stay ours.
    local ok, resolved = pcall(function()
      return vim.lsp.config[M.NAME]
    end)
    if ok and type(resolved) == 'table' then
      base = vim.deepcopy(resolved)
    end
    base.root_markers, base.filetypes, base.root_dir = nil, nil, nil
  end
  local cfg = vim.tbl_deep_extend('force', base, {
    name = M.NAME,
    cmd = cmd_list(), -- setup{ cmd } is the one source, so :checkhealth and errors name it
    cmd_env = base.cmd_env or M.config.cmd_env,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    settings = vim.tbl_deep_extend('force', base.settings or {}, settings()),
    capabilities = base.capabilities or M.config.capabilities,
    on_attach = base.on_attach or M.config.on_attach,
  })
  cfg.handlers = vim.tbl_extend('force', cfg.handlers or {}, {
    ['workspace/applyEdit'] = apply_edit_handler,
    -- Neovim's default handler drops errors: a code action whose command fails would be silent.
    ['workspace/executeCommand'] = function(err, _, ctx)
      if err then
        local cmd = ctx and ctx.params and ctx.params.command or 'command'
        notify(cmd .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      end
    end,
  })
  local exits = {}
  if base.on_exit then
    exits = type(base.on_exit) == 'table' and vim.deepcopy(base.on_exit) or { base.on_exit }
  end
  table.insert(exits, on_exit)
  cfg.on_exit = has('0.11') and exits or function(...)
    for _, f in ipairs(exits) do
      f(...)
    end
  end
  return cfg
end

local function reuse(client, config)
  return client.name == config.name and client.root_dir == config.root_dir and not is_stopped(client)
end

--- Starts (or reuses) the client of `root`. With `bufnr`, attaches that buffer.
---@return integer|nil client_id
function M.start(root, bufnr)
  local running = M.clients(root)[1]
  if running then
    if bufnr then
      vim.lsp.buf_attach_client(bufnr, running.id)
    end
    return running.id
  end
  if not M.check_binary() then
    return nil
  end
  local config = M.client_config(root)
  if vim.lsp.start then
    if bufnr then
      return vim.lsp.start(config, { bufnr = bufnr, reuse_client = reuse })
    end
    return vim.lsp.start(config, { attach = false, reuse_client = reuse })
  end
  -- Neovim < 0.8 (not tested end to end; see the README).
  local id = vim.lsp.start_client(config)
  if id and bufnr then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- Attaches a buffer (0/nil: current) to the client of its factory root, starting it if needed.
--- Buffers of any filetype, or none, are attached; buffers outside a root are left alone.
---@return integer|nil client_id
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local path = buf_path(bufnr)
  if not path or not vim.api.nvim_buf_is_loaded(bufnr) then
    return nil
  end
  local root = M.find_root(path)
  if not root then
    return nil
  end
  for _, c in ipairs(get_clients({ bufnr = bufnr, name = M.NAME })) do
    if c.root_dir == root then
      return c.id
    end
  end
  return M.start(root, bufnr)
end

--- Calls fn(client) once the root's client is initialized (starting it if needed).
local function with_client(root, fn)
  local bufnr = vim.api.nvim_get_current_buf()
  local p = buf_path(bufnr)
  local id = M.start(root, (p and M.find_root(p) == root) and bufnr or nil)
  if not id then
    return
  end
  local waited = 0
  local function try()
    local client = vim.lsp.get_client_by_id(id)
    if not client then
      notify('the server for ' .. root .. ' is not running', vim.log.levels.ERROR)
      return
    end
    if client.initialized then
      fn(client)
    elseif waited >= 15000 then
      notify('the server for ' .. root .. ' did not initialize within 15 s', vim.log.levels.ERROR)
    else
      waited = waited + 50
      vim.defer_fn(try, 50)
    end
  end
  try()
end

--- Runs a recovery command through workspace/executeCommand.
---@param command string e.g. 'tollgate.returnToBuild'
---@param args table e.g. { root = '/abs/root', stage = 'code' }
---@param cb? fun(err: table|nil, result: any)
function M.execute(command, args, cb)
  with_client(args.root, function(client)
    client_request(client, 'workspace/executeCommand', { command = command, arguments = { args } }, function(err, result)
      if err then
        notify(command .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      else
        local msg = type(result) == 'string' and result
          or (type(result) == 'table' and (result.message or result.summary or result.done))
          or 'done'
        notify(command .. ': ' .. msg, vim.log.levels.INFO)
      end
      if cb then
        cb(err, result)
      end
    end)
  end)
end

-- Settings --------------------------------------------------------------------------------------

local function push_settings()
  for _, c in ipairs(M.clients()) do
    c.settings = settings()
    if c.config then
      c.config.settings = c.settings
    end
    client_notify(c, 'workspace/didChangeConfiguration', { settings = c.settings })
  end
end

-- :Tollgate status ------------------------------------------------------------------------------

local NS = vim.api.nvim_create_namespace('tollgate.status')

--- Shows `lines` (a title first) in a floating window over the editor, in the
--- scratch buffer tollgate://status; `q` or <Esc> closes it.
local function show_float(title, lines, marks)
  local name = 'tollgate://status'
  local bufnr = vim.fn.bufnr(name)
  if bufnr == -1 or not vim.api.nvim_buf_is_valid(bufnr) then
    bufnr = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(bufnr, name)
    vim.bo[bufnr].bufhidden = 'hide'
    vim.bo[bufnr].swapfile = false
    for _, key in ipairs({ 'q', '<Esc>' }) do
      vim.keymap.set('n', key, '<cmd>close<cr>', { buffer = bufnr, silent = true })
    end
  end
  local all = vim.list_extend({ title, '' }, lines)
  vim.bo[bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, all)
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].modified = false
  vim.api.nvim_buf_clear_namespace(bufnr, NS, 0, -1)
  for _, m in ipairs(marks or {}) do
    pcall(vim.api.nvim_buf_add_highlight, bufnr, NS, m[2], m[1] + 2, 0, -1)
  end
  local width = 20
  for _, l in ipairs(all) do
    width = math.max(width, vim.fn.strdisplaywidth(l))
  end
  width = math.min(width + 2, math.max(20, vim.o.columns - 4))
  local height = math.min(#all, math.max(3, vim.o.lines - 6))
  local cfg = {
    relative = 'editor',
    width = width,
    height = height,
    row = math.max(0, math.floor((vim.o.lines - height) / 2) - 1),
    col = math.max(0, math.floor((vim.o.columns - width) / 2)),
    style = 'minimal',
    border = 'rounded',
    title = ' Tollgate ',
    title_pos = 'center',
  }
  local win = vim.fn.bufwinid(bufnr)
  if win ~= -1 and vim.api.nvim_win_get_config(win).relative ~= '' then
    vim.api.nvim_win_set_config(win, cfg)
    vim.api.nvim_set_current_win(win)
  else
    win = vim.api.nvim_open_win(bufnr, true, cfg)
  end
  vim.wo[win].wrap = false
  vim.wo[win].cursorline = true
  return bufnr, win
end

--- Runs `tollgate status <root> --format json` and shows the run as a picture in
--- text (stages, states, attempts, blockers, archived attempts) in a floating window.
---@param cb? fun(bufnr: integer, code: integer, lines: string[])
function M.status(root, cb)
  if not M.check_binary() then
    return
  end
  local _, bin = M.binary()
  local argv = { bin, 'status', root, '--format', 'json' }
  local function done(code, out, errout)
    local meaning = ({ [0] = 'nothing blocks', [1] = 'the run is blocked', [2] = 'error' })[code] or 'error'
    local ok, decoded = pcall(vim.json.decode, out or '')
    local lines, marks
    if code < 2 and ok and type(decoded) == 'table' then
      local picture = require('tollgate.picture')
      picture.highlights()
      local drawn = picture.lines(decoded)
      lines, marks = drawn.lines, drawn.marks
    else
      lines = vim.split((out or '') .. (errout or ''), '\n', { plain = true })
      while #lines > 0 and lines[#lines] == '' do
        table.remove(lines)
      end
    end
    local bufnr = show_float(string.format('$ %s   (exit %d: %s)', table.concat(argv, ' '), code, meaning), lines, marks)
    if code >= 2 then
      notify('tollgate status failed (exit ' .. code .. '): ' .. (lines[1] or ''), vim.log.levels.ERROR)
    end
    if cb then
      cb(bufnr, code, lines)
    end
  end
  if vim.system then
    local ok, err = pcall(vim.system, argv, { text = true, timeout = 30000 }, function(res)
      vim.schedule(function()
        done(res.code, res.stdout, res.stderr)
      end)
    end)
    if not ok then
      notify('could not run ' .. bin .. ': ' .. tostring(err), vim.log.levels.ERROR)
    end
  else
    local out = vim.fn.system(argv)
    done(vim.v.shell_error, out, '')
  end
end

-- :Tollgate -------------------------------------------------------------------------------------

local function ask_stage(root, prompt, cb)
  local ids = M.stage_ids(root)
  if #ids == 0 then
    notify('no stages found in ' .. pipeline_file(root), vim.log.levels.ERROR)
    return
  end
  local cur = current_stage(root)
  if cur then
    table.sort(ids, function(a, b)
      return (a == cur and 0 or 1) < (b == cur and 0 or 1)
    end)
  end
  vim.ui.select(ids, {
    prompt = prompt,
    format_item = function(id)
      return id == cur and (id .. ' (current)') or id
    end,
  }, function(choice)
    if choice then
      cb(choice)
    end
  end)
end

local function ask_path(root, prompt, cb)
  local p = buf_path(vim.api.nvim_get_current_buf())
  local default = p and relative_to(root, p) or ''
  vim.ui.input({ prompt = prompt, default = default, completion = 'file' }, function(input)
    if input and vim.trim(input) ~= '' then
      cb(vim.trim(input))
    end
  end)
end

local handlers = {}

handlers['status'] = function(root)
  M.status(root)
end

handlers['restart'] = function(root)
  for _, c in ipairs(M.clients(root)) do
    if has('0.11') then
      c:stop()
    else
      c.stop()
    end
  end
  M._bin_errors = {}
  vim.defer_fn(function()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(b) then
        M.attach(b)
      end
    end
  end, 500)
end

-- :Tollgate expand-scope [PATH] [OPS] [REASON...]
handlers['expand-scope'] = function(root, args)
  local function run(path, ops, reason)
    local a = { root = root, path = M.root_relative(root, path) }
    if ops then
      a.ops = ops
    end
    if reason and reason ~= '' then
      a.reason = reason
    end
    M.execute(M.LSP_COMMANDS['expand-scope'], a)
  end
  if args[1] then
    local ops, rest = nil, 2
    if args[2] then
      local list = vim.split(args[2], ',', { plain = true, trimempty = true })
      local all = #list > 0
      for _, o in ipairs(list) do
        all = all and OPS[o] == true
      end
      if all then
        ops, rest = list, 3
      end
    end
    run(args[1], ops, table.concat(vim.list_slice(args, rest), ' '))
    return
  end
  ask_path(root, 'Expand scope to include (path or pattern): ', function(path)
    vim.ui.input({ prompt = 'Reason (optional): ' }, function(reason)
      run(path, nil, reason)
    end)
  end)
end

local function stage_command(sub)
  return function(root, args)
    if args[1] then
      M.execute(M.LSP_COMMANDS[sub], { root = root, stage = args[1] })
    else
      ask_stage(root, sub == 'return-to-build' and 'Return to Build: stage' or 'Archive attempt of stage', function(stage)
        M.execute(M.LSP_COMMANDS[sub], { root = root, stage = stage })
      end)
    end
  end
end
handlers['return-to-build'] = stage_command('return-to-build')
handlers['archive-attempt'] = stage_command('archive-attempt')

-- :Tollgate quarantine [PATH] [STAGE]
handlers['quarantine'] = function(root, args)
  local function run(path, stage)
    local a = { root = root, path = M.root_relative(root, path) }
    if stage then
      a.stage = stage
    end
    M.execute(M.LSP_COMMANDS['quarantine'], a)
  end
  if args[1] then
    run(args[1], args[2])
  else
    ask_path(root, 'Quarantine file: ', function(path)
      run(path, nil)
    end)
  end
end

-- The failure policy (SPEC 9). :Tollgate gate [STAGE] (default: the current stage),
-- :Tollgate rollback [STAGE] (default: the latest checkpoint), :Tollgate resume.
handlers['gate'] = function(root, args)
  M.execute(M.LSP_COMMANDS['gate'], { root = root, stage = args[1] })
end
handlers['rollback'] = function(root, args)
  M.execute(M.LSP_COMMANDS['rollback'], { root = root, to = args[1] })
end
handlers['resume'] = function(root, _)
  M.execute(M.LSP_COMMANDS['resume'], { root = root })
end

--- Entry point of :Tollgate (also usable from Lua: require('tollgate').command({'status'})).
---@param fargs string[]
function M.command(fargs)
  local sub = fargs[1]
  if not sub or not handlers[sub] then
    notify(
      (sub and ("unknown subcommand '" .. sub .. "'. ") or '') .. 'Usage: :Tollgate ' .. table.concat(M.SUBCOMMANDS, '|'),
      vim.log.levels.ERROR
    )
    return
  end
  local root = M.current_root()
  if not root then
    notify(
      'no factory root (pipeline.yaml or .factory/pipeline.yaml) above the current buffer or ' .. vim.fn.getcwd(),
      vim.log.levels.ERROR
    )
    return
  end
  handlers[sub](root, vim.list_slice(fargs, 2))
end

local function complete_path(root, lead)
  local dir = lead:match('^(.*/)') or ''
  local base = root .. '/' .. dir
  local out = {}
  local handle = uv.fs_scandir(base)
  if not handle then
    return out
  end
  while true do
    local name, t = uv.fs_scandir_next(handle)
    if not name then
      break
    end
    local cand = dir .. name
    if cand:sub(1, #lead) == lead and (name:sub(1, 1) ~= '.' or lead:match('/?%.[^/]*$')) then
      if t == 'directory' then
        cand = cand .. '/'
      end
      table.insert(out, cand)
    end
  end
  table.sort(out)
  return out
end

local function filter(list, lead)
  return vim.tbl_filter(function(s)
    return s:sub(1, #lead) == lead
  end, list)
end

--- Completion for :Tollgate.
function M.complete(arglead, cmdline, _)
  local words = vim.split(cmdline, '%s+', { trimempty = true })
  -- Index of the argument being completed (1: the subcommand).
  local n = #words - 1
  if arglead == '' then
    n = n + 1
  end
  if n <= 1 then
    return filter(M.SUBCOMMANDS, arglead)
  end
  local sub = words[2]
  local root = M.current_root()
  if sub == 'return-to-build' or sub == 'archive-attempt' or sub == 'gate' or sub == 'rollback' then
    return n == 2 and filter(M.stage_ids(root), arglead) or {}
  elseif sub == 'quarantine' then
    if n == 2 then
      return root and complete_path(root, arglead) or {}
    end
    return n == 3 and filter(M.stage_ids(root), arglead) or {}
  elseif sub == 'expand-scope' then
    if n == 2 then
      return root and complete_path(root, arglead) or {}
    end
    return n == 3 and filter({ 'modify,create', 'modify', 'create', 'delete', 'modify,create,delete' }, arglead) or {}
  end
  return {}
end

local function define_command()
  vim.api.nvim_create_user_command('Tollgate', function(o)
    M.command(o.fargs)
  end, {
    nargs = '*',
    complete = M.complete,
    desc = 'tollgate: status | expand-scope | return-to-build | archive-attempt | quarantine | gate | rollback | resume | restart',
  })
end
M._define_command = define_command

-- setup -----------------------------------------------------------------------------------------

--- Configures the plugin, starts servers for factory roots (buffers already open are attached
--- now, later ones through autocmds), and defines :Tollgate. Safe to call again: the new
--- severity settings reach running servers through workspace/didChangeConfiguration.
---@param opts? table see `defaults` above and :help tollgate-setup
function M.setup(opts)
  opts = opts or {}
  if opts.cmd ~= nil and type(opts.cmd) ~= 'table' and type(opts.cmd) ~= 'string' then
    notify('setup{ cmd = ... } must be a list such as { "tollgate", "lsp" }', vim.log.levels.ERROR)
    opts.cmd = nil
  end
  for code, level in pairs(opts.severity or {}) do
    if not SEVERITY_LEVELS[level] then
      notify(
        string.format("severity for '%s' is '%s'; use error, warning, information, hint or off", code, tostring(level)),
        vim.log.levels.WARN
      )
    end
  end
  local old_cmd = vim.inspect(M.config.cmd)
  M.config = vim.tbl_extend('force', vim.deepcopy(defaults), opts)
  if opts.severity then
    M.config.severity = vim.deepcopy(opts.severity)
  end
  M._bin_errors = {}
  M._did_setup = true

  if has('0.11') and vim.lsp.config then
    pcall(vim.lsp.config, M.NAME, { cmd = cmd_list() })
  end

  define_command()

  local group = vim.api.nvim_create_augroup('tollgate', { clear = true })
  vim.api.nvim_create_autocmd('VimLeavePre', {
    group = group,
    callback = function()
      M._leaving = true
    end,
  })
  if M.config.autostart then
    vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile', 'BufEnter', 'BufFilePost' }, {
      group = group,
      callback = function(args)
        M.attach(args.buf)
      end,
    })
  end

  if old_cmd == vim.inspect(M.config.cmd) then
    push_settings()
  end

  if M.config.autostart then
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(b) then
        M.attach(b)
      end
    end
  end
  return M
end

return M
