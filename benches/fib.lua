-- fib(30), recursive, in-process. Unit: seconds per call (lower is better).
-- Usage: lua5.4 benches/fib.lua [REPS]   (twin: benches/fib.mps)
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local reps = tonumber(arg[1] or "5")
for _ = 1, reps do
  local t0 = os.clock()
  local x = fib(30)
  local dt = os.clock() - t0
  assert(x == 832040)
  print("RESULT " .. dt)
end
