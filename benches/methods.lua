-- 300,000 rounds of method calls on a table and a string: insert, remove,
-- upper, split (gmatch), starts-with (sub). Unit: seconds (lower is better).
-- Usage: lua5.4 benches/methods.lua [REPS]   (twin: benches/methods.mps)
local function methods(n)
  local xs = {}
  local s = "alpha,beta"
  local hits = 0
  for i = 0, n - 1 do
    table.insert(xs, i)
    table.remove(xs)
    local u = s:upper()
    local parts = {}
    for p in u:gmatch("[^,]+") do parts[#parts + 1] = p end
    if u:sub(1, 5) == "ALPHA" then hits = hits + #parts end
  end
  return hits
end

local reps = tonumber(arg[1] or "5")
local n = 300000
for _ = 1, reps do
  local t0 = os.clock()
  local hits = methods(n)
  local dt = os.clock() - t0
  assert(hits == 2 * n)
  print("RESULT " .. dt)
end
