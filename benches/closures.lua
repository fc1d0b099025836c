-- Closures: 200,000 times make a counter closure over a local and call it
-- 5 times, then call a function passed as an argument. Unit: seconds.
-- Usage: lua5.4 benches/closures.lua [REPS]   (twin: benches/closures.mps)
local function make_counter(start)
  local n = start
  return function(step)
    n = n + step
    return n
  end
end

local function apply(f, x) return f(x) end

local function closures(rounds)
  local total = 0
  for i = 0, rounds - 1 do
    local c = make_counter(i)
    c(1) c(1) c(1) c(1)
    total = total + apply(c, 1)
  end
  return total
end

local reps = tonumber(arg[1] or "5")
local rounds = 200000
for _ = 1, reps do
  local t0 = os.clock()
  local total = closures(rounds)
  local dt = os.clock() - t0
  assert(total == rounds * (rounds - 1) // 2 + 5 * rounds)
  print("RESULT " .. dt)
end
