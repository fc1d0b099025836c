-- A `while` loop of 10,000,000 additions. Unit: seconds (lower is better).
-- Usage: lua5.4 benches/loop.lua [REPS]   (twin: benches/loop.mps)
local function while_sum(n)
  local s, i = 0, 0
  while i < n do
    s = s + i
    i = i + 1
  end
  return s
end

local reps = tonumber(arg[1] or "5")
for _ = 1, reps do
  local t0 = os.clock()
  local s = while_sum(10000000)
  local dt = os.clock() - t0
  assert(s == 49999995000000)
  print("RESULT " .. dt)
end
