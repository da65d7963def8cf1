-- :checkhealth tollgate
local M = {}

local function h()
  local health = vim.health or require('health')
  return {
    start = health.start or health.report_start,
    ok = health.ok or health.report_ok,
    warn = health.warn or health.report_warn,
    error = health.error or health.report_error,
    info = health.info or health.report_info,
  }
end

local function version_of(path)
  if vim.system then
    local ok, res = pcall(function()
      return vim.system({ path, '--version' }, { text = true }):wait(5000)
    end)
    if not ok then
      return nil, tostring(res)
    end
    if res.code ~= 0 then
      return nil, string.format('exit %d%s', res.code, res.stderr ~= '' and (': ' .. vim.trim(res.stderr)) or '')
    end
    return vim.trim(res.stdout or '')
  end
  local out = vim.fn.system({ path, '--version' })
  if vim.v.shell_error ~= 0 then
    return nil, 'exit ' .. vim.v.shell_error .. ': ' .. vim.trim(out)
  end
  return vim.trim(out)
end

function M.check()
  local r = h()
  local tollgate = require('tollgate')

  r.start('tollgate: Neovim')
  local v = vim.version()
  local vs = string.format('%d.%d.%d', v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.11') == 1 then
    r.ok('Neovim ' .. vs .. ' (tested: 0.11.4)')
  elseif vim.fn.has('nvim-0.8') == 1 then
    r.warn('Neovim ' .. vs .. ': expected to work but not tested end to end; tested: 0.11.4')
  else
    r.error('Neovim ' .. vs .. ': not supported (vim.lsp.start needs 0.8; tested: 0.11.4)')
  end
  if tollgate._did_setup then
    r.ok("require('tollgate').setup{} was called")
  else
    r.warn("require('tollgate').setup{} was not called: no server starts automatically")
  end

  r.start('tollgate: binary')
  local bin, path = tollgate.binary()
  local cmd = tollgate.config.cmd
  r.info('cmd = ' .. vim.inspect(cmd))
  if not bin then
    r.error('setup{ cmd = ... } must be a list such as { "tollgate", "lsp" }')
  elseif path == '' then
    r.error(
      string.format("'%s' is not executable (tried %s)", bin, bin:find('/') and vim.fn.fnamemodify(bin, ':p') or '$PATH'),
      { 'cargo build --release, then setup{ cmd = { "/path/to/target/release/tollgate", "lsp" } }', 'or put tollgate on $PATH' }
    )
  else
    local ver, err = version_of(path)
    if ver then
      r.ok(string.format('%s: %s', path, ver))
    else
      r.error(string.format('%s --version failed: %s', path, err or '?'))
    end
  end

  r.start('tollgate: factory roots')
  local roots, seen = {}, {}
  local function add(root, why)
    if root and not seen[root] then
      seen[root] = true
      table.insert(roots, { root = root, why = why })
    end
  end
  add(tollgate.find_root(vim.fn.getcwd()), 'current directory')
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    local name = vim.api.nvim_buf_get_name(b)
    if vim.api.nvim_buf_is_loaded(b) and vim.bo[b].buftype == '' and name ~= '' and not name:match('^%a[%w+.-]*://') then
      add(tollgate.find_root(name), 'buffer ' .. vim.fn.fnamemodify(name, ':~:.'))
    end
  end
  if #roots == 0 then
    r.warn(
      'no factory root (a directory with pipeline.yaml or .factory/pipeline.yaml) above '
        .. vim.fn.getcwd()
        .. ' or any open buffer'
    )
  end
  for _, x in ipairs(roots) do
    local st = tollgate.read_state(x.root)
    local run = st
        and string.format(
          'run: %s, stage %s',
          tostring(st.status or '?'),
          tostring(st.currentStage or st.current_stage or '-')
        )
      or 'no .factory/state.json'
    r.ok(string.format('%s (from %s); %d stages; %s', x.root, x.why, #tollgate.stage_ids(x.root), run))
  end

  r.start('tollgate: clients')
  local clients = tollgate.clients()
  if #clients == 0 then
    r.warn('no tollgate client is running (open a file under a factory root, or :Tollgate restart)')
  end
  for _, c in ipairs(clients) do
    local names = {}
    for b in pairs(c.attached_buffers or {}) do
      if vim.api.nvim_buf_is_valid(b) then
        local name = vim.api.nvim_buf_get_name(b)
        local root = tostring(c.root_dir)
        if name:sub(1, #root + 1) == root .. '/' then
          name = name:sub(#root + 2)
        end
        table.insert(names, name)
      end
    end
    table.sort(names)
    local shown = vim.list_slice(names, 1, 8)
    local msg = string.format(
      'client %d for %s: %s, %d buffer(s) attached%s',
      c.id,
      tostring(c.root_dir),
      c.initialized and 'initialized' or 'starting',
      #names,
      #names > 0 and (': ' .. table.concat(shown, ', ') .. (#names > #shown and ', ...' or '')) or ''
    )
    if c.initialized then
      r.ok(msg)
    else
      r.warn(msg)
    end
  end
end

return M
