-- wrk: the documented reset call, cycling through the users of USERS (one id per line),
-- without looking at the answers (no response() callback): wrk's leanest, the floor of what
-- a client can spend per request. reset.lua is the same with every answer checked.
local users = {}
local i = 0
local prefix, token
init = function(args)
  for line in io.lines(os.getenv("USERS")) do users[#users + 1] = line end
  token = os.getenv("TOKEN")
  prefix = "/am/json/realms/root/realms/alpha/users/"
end

request = function()
  i = i % #users + 1
  return wrk.format("POST", prefix .. users[i] .. "/devices/2fa/oath?_action=reset",
    {["authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json",
     ["Accept-API-Version"] = "resource=1.0"}, "{}")
end

