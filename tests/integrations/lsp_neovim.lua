-- Neovim's own LSP client (Neovim 0.7+, headless) on `arbor lsp --model smollm2-135m`: opens
-- the fixture, waits for diagnostics, asks for `source.fixAll.arbor`, applies it, writes the
-- file, waits for the diagnostics of the fixable findings to go, then asks the model for a
-- completion. Reports through $RESULT (one line per fact).
local arbor, file, result = os.getenv("ARBOR"), os.getenv("FIXTURE"), os.getenv("RESULT")
local lines = {}
local function say(line) table.insert(lines, line) end
local function finish(code)
  vim.fn.writefile(lines, result)
  vim.cmd(code == 0 and "qall!" or "cquit! " .. code)
end

local client_id = vim.lsp.start_client({
  name = "arbor",
  cmd = { arbor, "lsp", "--model", "smollm2-135m" },
  root_dir = vim.fn.fnamemodify(file, ":h"),
})
if not client_id then
  say("the client did not start"); finish(2); return
end
vim.cmd("edit " .. file)
local buf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buf, client_id)
if not vim.wait(20000, function() return #vim.diagnostic.get(buf) >= 2 end, 50) then
  say("no diagnostics"); finish(3); return
end
for _, d in ipairs(vim.diagnostic.get(buf)) do
  say(string.format("diagnostic %d:%d %s", d.lnum + 1, d.col + 1, d.message))
end
local client = vim.lsp.get_client_by_id(client_id)
local response = client.request_sync("textDocument/codeAction", {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } },
  context = { diagnostics = {}, only = { "source.fixAll" } },
}, 20000, buf)
local actions = response and response.result or {}
if #actions ~= 1 then
  say("expected one fix-all action, got " .. #actions); finish(4); return
end
say("action " .. actions[1].kind)
vim.lsp.util.apply_workspace_edit(actions[1].edit, "utf-16")
vim.cmd("write")
if not vim.wait(20000, function() return #vim.diagnostic.get(buf) == 0 end, 50) then
  say("diagnostics remain after the fix"); finish(5); return
end
say("clean")
vim.cmd("write")
-- A completion from the model at the end of a new line in `main` (Neovim 0.7 has no inline
-- completion: the ordinary request, one item).
vim.api.nvim_buf_set_lines(buf, 4, 4, false, { "    total = " })
local completion = client.request_sync("textDocument/completion", {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  position = { line = 4, character = 12 },
}, 120000, buf)
local items = completion and completion.result and completion.result.items or {}
if #items ~= 1 or items[1].textEdit.newText == "" then
  say("no completion: " .. vim.inspect(completion)); finish(6); return
end
say("completion " .. items[1].detail)
vim.cmd("edit!") -- the completion's line is not kept: the written file is the fixed one
vim.lsp.stop_client(client_id)
finish(0)
