-- Shared by read.lua and mix.lua (bench/api_load.py): the data file the bench writes before a
-- phase, the counters every thread keeps and the report done() writes for the bench to read.
--
-- Environment: BENCH_DATA, the data file (tab-separated lines, the first field a record type);
-- BENCH_OUT, where done() writes the report.

local M = {}

-- Per thread, globals so that done() can read them through thread:get. wrk copies only flat
-- tables between its Lua states (a table of tables crashes it), hence flat keys and lists.
counts = {} -- "kind\tfield" -> n, fields: requests, non2xx, errors, stale
messages = {} -- "kind: HTTP status code message" -> count, at most MAX_MESSAGES distinct
lat_kind, lat_ms = {}, {} -- per timed call (mix.lua): its kind and its milliseconds
local MAX_MESSAGES = 20

local function add(kind, name)
  local key = kind .. "\t" .. name
  counts[key] = (counts[key] or 0) + 1
end

function M.split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    fields[#fields + 1] = field
  end
  return fields
end

-- The data file's records of one type, each a list of its fields after the type.
function M.records(kind)
  local found = {}
  for line in io.lines(os.getenv("BENCH_DATA")) do
    local fields = M.split(line)
    if fields[1] == kind then
      table.remove(fields, 1)
      found[#found + 1] = fields
    end
  end
  return found
end

local function describe(kind, status, body)
  local code = body:match('"code":"([^"]*)"') or ""
  local message = body:match('"message":"([^"]*)"') or body:sub(1, 200)
  local text = kind .. ": HTTP " .. status .. " " .. code .. " " .. message
  return (text:gsub("[\t\r\n]", " "))
end

-- Counts one response of `kind`: a status other than 2xx, a body with "errors" (GraphQL's
-- and the raw app's error key), a forecast served stale.
function M.count(kind, status, body)
  body = body or ""
  add(kind, "requests")
  local failed = false
  if status < 200 or status > 299 then
    add(kind, "non2xx")
    failed = true
  end
  if body:find('"errors":', 1, true) then
    add(kind, "errors")
    failed = true
  end
  if body:find('"stale":true', 1, true) then
    add(kind, "stale")
  end
  if failed then
    local text = describe(kind, status, body)
    if messages[text] == nil then
      local distinct = 0
      for _ in pairs(messages) do
        distinct = distinct + 1
      end
      if distinct >= MAX_MESSAGES then
        text = kind .. ": (other messages)"
      end
    end
    messages[text] = (messages[text] or 0) + 1
  end
  return not failed
end

-- Records one timed call.
function M.time(kind, ms)
  lat_kind[#lat_kind + 1] = kind
  lat_ms[#lat_ms + 1] = ms
end

-- done(): wrk's totals and latency histogram (microseconds), then every thread's counters and
-- its timed calls, if any (milliseconds).
function M.report(threads, summary, latency)
  local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  local e = summary.errors
  out:write(
    table.concat({ "summary", summary.duration, summary.requests, e.connect, e.read, e.write,
      e.status, e.timeout }, "\t"),
    "\n"
  )
  out:write(
    table.concat({ "latency", latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max }, "\t"),
    "\n"
  )
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts") or {}) do
      out:write("count\t", key, "\t", n, "\n")
    end
    for text, n in pairs(thread:get("messages") or {}) do
      out:write("message\t", n, "\t", text, "\n")
    end
    local kinds, ms = thread:get("lat_kind") or {}, thread:get("lat_ms") or {}
    for i = 1, #ms do
      out:write("ms\t", kinds[i], "\t", ms[i], "\n")
    end
  end
  out:close()
end

-- BENCH_THINK_MS > 0 (the paced phases, --think-ms): a pause between an answer and the
-- connection's next request, exponential with that mean, so the load is a rate people make,
-- not the server's limit. Capped below uvicorn's 5 s keep-alive: a longer pause would find
-- the connection closed by the server and count as a socket error that no client would see.
-- Returns wrk's delay() function, or nil with no pauses.
function M.think_delay()
  local think = tonumber(os.getenv("BENCH_THINK_MS") or "0") or 0
  if think <= 0 then
    return nil
  end
  return function()
    return math.min(-think * math.log(1 - math.random()), 4 * think, 4000)
  end
end

return M
