-- Defines :Tollgate when the plugin is on the packpath/rtp and plugins are loaded. Servers start
-- only after require('tollgate').setup{} (which also defines :Tollgate, e.g. under -u NONE).
if vim.g.loaded_tollgate then
  return
end
vim.g.loaded_tollgate = 1

if vim.fn.exists(':Tollgate') ~= 2 then
  require('tollgate')._define_command()
end
