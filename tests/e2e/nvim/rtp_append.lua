-- The plugin installed from the repository's URL by a plugin manager: the manager clones the
-- whole repository (here: the repository itself stands for that clone) and its `config`
-- appends `editors/nvim` to the runtimepath, as the README's lazy.nvim spec does. Run by
-- run.sh with `-u NONE` and no rtp of ours: only this route can find the plugin.
local repo = assert(vim.env.TOLLGATE_E2E_REPO, 'TOLLGATE_E2E_REPO not set')
local proj = assert(vim.env.TOLLGATE_E2E_WORK, 'TOLLGATE_E2E_WORK not set') .. '/project'
local function fail(msg)
  io.stdout:write('not ok - plugin from the runtimepath append: ' .. msg .. '\n')
  vim.cmd('cquit 1')
end

local ok, err = xpcall(function()
  assert(not pcall(require, 'tollgate'), 'the plugin was found before its rtp entry was added')
  local plugin = { dir = repo } -- what lazy.nvim passes to config()
  vim.opt.rtp:append(plugin.dir .. '/editors/nvim')
  require('tollgate').setup({ cmd = { vim.env.TOLLGATE_E2E_BIN, 'lsp' } })
  if vim.fn.exists(':Tollgate') ~= 2 then
    error(':Tollgate is not defined')
  end
  if #vim.api.nvim_get_runtime_file('lua/tollgate/health.lua', false) ~= 1 then
    error(':checkhealth tollgate cannot find lua/tollgate/health.lua')
  end
  vim.cmd.edit(proj .. '/artifacts/prd/sneaky.md')
  local ok = vim.wait(tonumber(vim.env.TOLLGATE_E2E_TIMEOUT_MS or '15000'), function()
    for _, d in ipairs(vim.diagnostic.get(0)) do
      if d.code == 'unauthorized-write' then
        return true
      end
    end
    return false
  end, 50)
  if not ok then
    error('no unauthorized-write diagnostic on artifacts/prd/sneaky.md')
  end
end, debug.traceback)
if not ok then
  fail(err)
end
io.stdout:write('ok - plugin from the runtimepath append (lazy.nvim config route): attached, diagnostics in\n')
vim.cmd('qall!')
