-- wrk: the documented reset call, cycling through the users of USERS (one id per line).
-- Every answer is checked (status 200, body {"result":true}): done() prints the successes,
-- so that wrk is measured doing the same work as the other clients, not just sending.
local users = {}
local i = 0
local prefix, token
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  for line in io.lines(os.getenv("USERS")) do users[#users + 1] = line end
  token = os.getenv("TOKEN")
  prefix = "/am/json/realms/root/realms/alpha/users/"
  ok, bad = 0, 0
end

request = function()
  i = i % #users + 1
  return wrk.format("POST", prefix .. users[i] .. "/devices/2fa/oath?_action=reset",
    {["authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json",
     ["Accept-API-Version"] = "resource=1.0"}, "{}")
end

response = function(status, headers, body)
  if status == 200 and body:find('"result":true', 1, true) then ok = ok + 1 else bad = bad + 1 end
end

done = function(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    b = b + t:get("bad")
  end
  io.write(string.format("@@answers ok %d bad %d\n", o, b))
end
