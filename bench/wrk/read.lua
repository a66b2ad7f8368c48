-- One read, replayed (bench/api_load.py's dashboard and 50-row page phases, GraphQL and raw).
-- The bench writes the prepared requests, one per line ("R", user number from 1, method, path,
-- access token, body or empty), signed in beforehand. setup() hands thread i the requests of
-- every BENCH_THREADS-th user (all of them when there are fewer users than threads), built;
-- request() rotates through the thread's own, so its connections take turns over its users
-- and a user's requests (page 1 and the deep page) alternate.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local threads = {}
local prepared -- the main state's copy of the data file

function setup(thread)
  prepared = prepared or common.records("R")
  local index = #threads + 1
  threads[index] = thread
  local every = tonumber(os.getenv("BENCH_THREADS"))
  local users = tonumber(prepared[#prepared][1])
  local mine = {}
  for _, r in ipairs(prepared) do
    if (tonumber(r[1]) - 1) % every == index - 1 or users < every then
      local headers = { ["Authorization"] = "Bearer " .. r[4] }
      local body = nil
      if r[5] ~= "" then
        headers["Content-Type"] = "application/json"
        body = r[5]
      end
      mine[#mine + 1] = wrk.format(r[2], r[3], headers, body)
    end
  end
  thread:set("built", mine) -- a flat list of strings: wrk copies nothing deeper
  thread:set("index", index)
end

function init(args)
  turn = 0
  math.randomseed(index * 7919)
end

function request()
  turn = turn % #built + 1
  return built[turn]
end

function response(status, headers, body)
  common.count("all", status, body)
end

delay = common.think_delay() -- BENCH_THINK_MS: pauses between calls, or none

function done(summary, latency, requests)
  common.report(threads, summary, latency)
end
