-- String building: a string grown by .. 20,000 times, then a table.concat of
-- 200,000 formatted pieces. Unit: seconds (lower is better).
-- Usage: lua5.4 benches/strbuild.lua [REPS]   (twin: benches/strbuild.mps)
local function build(n)
  local s = ""
  for _ = 1, 20000 do s = s .. "ab" end
  local parts = {}
  for i = 0, n - 1 do parts[#parts + 1] = i .. "," end
  local t = table.concat(parts)
  return #s + #t
end

local reps = tonumber(arg[1] or "5")
local n = 200000
for _ = 1, reps do
  local t0 = os.clock()
  local total = build(n)
  local dt = os.clock() - t0
  assert(total == 40000 + 1288890)
  print("RESULT " .. dt)
end
