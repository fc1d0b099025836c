-- Build a table of 1,000,000 int keys (d[i] = i, from 0). Unit: seconds.
-- Usage: lua5.4 benches/dict.lua [REPS]   (twin: benches/dict.mps)
local function dict_build(n)
  local d = {}
  for i = 0, n - 1 do d[i] = i end
  return d
end

local reps = tonumber(arg[1] or "5")
for _ = 1, reps do
  local t0 = os.clock()
  local d = dict_build(1000000)
  local dt = os.clock() - t0
  local c = 0
  for _ in pairs(d) do c = c + 1 end
  assert(c == 1000000)
  print("RESULT " .. dt)
end
