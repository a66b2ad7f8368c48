-- The mix (bench/api_load.py), run with one connection per thread (wrk -t N -c N): a thread's
-- request() and response() then alternate strictly, so each response is known to answer the
-- request just sent, and its latency is timed here per kind with the monotonic clock (through
-- LuaJIT's ffi: plain wrk has no clock per request).
--
-- Data file: "U" lines (access token, body of page 1, body of the deep page) give thread i the
-- i-th user; "E" lines, a login body each (every user of the mix); "Q" lines, the dashboard
-- body and the createTransaction template (@AT@, @AMOUNT@ and @MERCHANT@ filled in here).
--
-- Each request is drawn with math.random: dashboard 20, 50-row page 40, createTransaction 15,
-- login 10 (of 85); after a createTransaction answered without errors, the same connection's
-- next request is a dashboard of the same user, "dashboard after a write" (one per write, so
-- dashboards are 35 % of requests, as the mix's 35/40/15/10). A login signs in as a random
-- user of the mix; the connection keeps its own token. BENCH_THINK_MS > 0: a pause between a
-- response and the next request (exponential, that mean).

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local AFTER_WRITE = "dashboard after a write"
local MERCHANTS =
  { "Swiggy", "Zomato", "BigBasket", "Blinkit", "Uber", "Rapido", "Amazon", "DMart" }

-- main state
local threads = {}
local users, queries, login_requests

function setup(thread)
  if users == nil then
    users, queries = common.records("U"), {}
    for _, q in ipairs(common.records("Q")) do
      queries[q[1]] = q[2]
    end
    login_requests = {}
    local json = { ["Content-Type"] = "application/json" }
    for _, e in ipairs(common.records("E")) do
      login_requests[#login_requests + 1] = wrk.format("POST", "/graphql", json, e[1])
    end
  end
  local index = #threads + 1
  threads[index] = thread
  local user = users[(index - 1) % #users + 1]
  local auth = { ["Authorization"] = "Bearer " .. user[1], ["Content-Type"] = "application/json" }
  -- Strings and flat lists only: wrk copies nothing deeper between its Lua states.
  thread:set("index", index)
  thread:set("token", user[1])
  thread:set("dashboard", wrk.format("POST", "/graphql", auth, queries.dashboard))
  thread:set("page1", wrk.format("POST", "/graphql", auth, user[2]))
  thread:set("page3", wrk.format("POST", "/graphql", auth, user[3]))
  thread:set("create_template", queries.create)
  thread:set("logins", login_requests)
end

-- thread state
function init(args)
  math.randomseed(index * 7919)
  auth = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  pages = { page1, page3 }
  turn, wrote, pending, sent = 0, false, nil, 0
end

local function create()
  local body = create_template
    :gsub("@AT@", os.date("!%Y-%m-%dT%H:%M:%S+00:00"))
    :gsub("@AMOUNT@", string.format("%d.%02d", math.random(20, 2500), math.random(0, 99)))
    :gsub("@MERCHANT@", MERCHANTS[math.random(#MERCHANTS)])
  return wrk.format("POST", "/graphql", auth, body)
end

local function login()
  return logins[math.random(#logins)]
end

function request()
  local kind, req
  if wrote then
    kind, req, wrote = AFTER_WRITE, dashboard, false
  else
    local r = math.random(85)
    if r <= 20 then
      kind, req = "dashboard", dashboard
    elseif r <= 60 then
      turn = turn % 2 + 1 -- page 1, then the deep page, in turn
      kind, req = "page", pages[turn]
    elseif r <= 75 then
      kind, req = "create", create()
    else
      kind, req = "login", login()
    end
  end
  pending, sent = kind, now_ms()
  return req
end

function response(status, headers, body)
  local ms = now_ms() - sent
  local ok = common.count(pending, status, body)
  common.time(pending, ms)
  if pending == "create" and ok then
    wrote = true
  end
end

delay = common.think_delay() -- BENCH_THINK_MS: pauses between calls, or none

function done(summary, latency, requests)
  common.report(threads, summary, latency)
end
