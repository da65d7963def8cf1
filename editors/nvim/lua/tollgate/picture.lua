-- The run as text for :Tollgate status (SPEC section 10): the same picture as
-- `tollgate status --format mermaid|html`, drawn from the `status --format json`
-- object: the stages in pipeline order with their state, attempts and blockers,
-- archived attempts and quarantined files under their stage.
local M = {}

local MARK = { done = '✓', current = '▶', failed = '✗', not_reached = '·' }
local WORD = { done = 'done', failed = 'failed', not_reached = 'not reached' }
-- Highlight groups per state (linked to the diagnostic colours in `highlights`).
M.GROUP = {
  done = 'TollgateDone',
  current = 'TollgateCurrent',
  failed = 'TollgateFailed',
  not_reached = 'TollgateNotReached',
}

local function str(v)
  return type(v) == 'string' and v or nil
end

local function num(v)
  return type(v) == 'number' and v or nil
end

local function list(v)
  return type(v) == 'table' and v or {}
end

--- Lines and highlights: `{ lines = {...}, marks = { {row, group}... } }`.
---@param s table the decoded status object
function M.lines(s)
  local lines, marks = {}, {}
  local function add(line, group)
    table.insert(lines, line)
    if group then
      table.insert(marks, { #lines - 1, group })
    end
  end
  local max = num(s.max_attempts) or 0
  local head = 'stage ' .. (str(s.stage) or '-')
  if num(s.attempts) then
    head = head .. string.format(' (attempt %d of %d)', s.attempts, max)
  end
  local blockers = list(s.blockers)
  add(string.format('%s · %s · %s', head, str(s.status) or 'no run', #blockers == 0 and 'no blockers'
    or (#blockers == 1 and '1 blocker' or (#blockers .. ' blockers'))), #blockers > 0 and 'DiagnosticError' or nil)
  add('next: ' .. (str(s.next) or 'nothing blocks the run'))
  add('')
  local width = 0
  for _, st in ipairs(list(s.stages)) do
    width = math.max(width, vim.fn.strdisplaywidth(str(st.id) or '?'))
  end
  for _, st in ipairs(list(s.stages)) do
    local state = str(st.state) or 'not_reached'
    local word = WORD[state] or state
    if state == 'current' then
      word = 'current: ' .. (str(s.status) or 'no status')
    end
    local parts = { word }
    if num(st.attempts) then
      table.insert(parts, string.format('attempt %d of %d', st.attempts, max))
    end
    local ids = list(st.blockers)
    if #ids > 0 then
      table.insert(parts, #ids == 1 and '1 blocker' or (#ids .. ' blockers'))
    end
    if st.in_pipeline == false then
      table.insert(parts, 'not in the pipeline')
    end
    local id = str(st.id) or '?'
    local pad = string.rep(' ', width - vim.fn.strdisplaywidth(id))
    add(string.format('%s %s%s  %s', MARK[state] or '?', id, pad, table.concat(parts, ' · ')), M.GROUP[state])
    for _, i in ipairs(ids) do
      local b = type(i) == 'number' and blockers[i + 1] or nil
      if type(b) == 'table' then
        add(string.format('    ✗ %s: %s  (%s → %s)  %s:%s', str(b.code) or '?', str(b.subject) or '', str(b.class) or '?',
          str(b.return_to) or '?', str(b.path) or '?', tostring(num(b.line) or '?')), 'DiagnosticError')
      end
    end
    local function folder(title, f)
      local n = #list(f.files) + (num(f.more) or 0)
      add(string.format('    ↳ %s  %s (%d file%s)', title, str(f.path) or '?', n, n == 1 and '' or 's'), 'Comment')
    end
    for _, a in ipairs(list(st.archived)) do
      folder(string.format('attempt %s archived', tostring(num(a.attempt) or '?')), a)
    end
    if type(st.quarantined) == 'table' then
      folder('quarantined', st.quarantined)
    end
  end
  if #list(s.stages) == 0 then
    add('no stages (no pipeline, or it has none)')
  end
  return { lines = lines, marks = marks }
end

function M.highlights()
  local links = {
    TollgateDone = 'DiagnosticOk',
    TollgateCurrent = 'DiagnosticInfo',
    TollgateFailed = 'DiagnosticError',
    TollgateNotReached = 'Comment',
  }
  for group, target in pairs(links) do
    vim.api.nvim_set_hl(0, group, { link = target, default = true })
  end
end

return M
