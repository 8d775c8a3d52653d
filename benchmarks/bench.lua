-- wrk script: sends prepared requests, counts the statuses of the answers, and prints a
-- summary line "BENCH_RESULT {json}" that benchmarks/load.py reads.
--
-- Arguments (after "--"): request file, variants file ("" for none), token header, thread
-- count, sequence start.
-- The request file is "METHOD PATH", header lines "Name: value", an empty line, then the body.
-- The variants file has one line per request variant: "TOKEN<tab>PATH<tab>BODY", an empty field
-- meaning the request file's (no token header when TOKEN is empty).
-- wrk's Lua API does not say which connection a request goes to, so variants are spread instead:
-- thread i takes variants i, i+T, i+2T, ... and cycles through them, so with one token per
-- connection (variants ordered token by token) each token carries 1/connections of the load.
-- Every occurrence of SEQUENCE_MARKER in a request is replaced by a number no other request of
-- the run has (sequence start + n * T + i for the n-th request of thread i), written with as many
-- digits as the marker has characters, so Content-Length stays right.

local SEQUENCE_MARKER = "<<sequence>>"
local threads = {}

function setup(thread)
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

local function read_file(path)
   local file = assert(io.open(path, "rb"))
   local text = file:read("*a")
   file:close()
   return text
end

local function parse_request(text)
   local head, body = text:match("^(.-)\n\n(.*)$")
   if head == nil then
      head, body = text, ""
   end
   local lines = {}
   for line in head:gmatch("[^\n]+") do
      table.insert(lines, line)
   end
   local method, path = lines[1]:match("^(%S+) (%S+)$")
   local headers = {}
   for i = 2, #lines do
      local name, value = lines[i]:match("^([^:]+): ?(.*)$")
      headers[name] = value
   end
   return method, path, headers, body
end

-- The request cut at every marker: table.concat(pieces, number) puts it back together.
local function pieces_of(request)
   local pieces, start = {}, 1
   while true do
      local first, last = request:find(SEQUENCE_MARKER, start, true)
      if first == nil then
         table.insert(pieces, request:sub(start))
         return pieces
      end
      table.insert(pieces, request:sub(start, first - 1))
      start = last + 1
   end
end

function init(args)
   local method, path, headers, body = parse_request(read_file(args[1]))
   local variants = {}
   if args[2] ~= nil and args[2] ~= "" then
      for line in io.lines(args[2]) do
         if line ~= "" then
            local token, own_path, own_body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
            table.insert(variants, {token, own_path, own_body})
         end
      end
   end
   thread_count = tonumber(args[4])
   sequence = tonumber(args[5]) + thread_index
   sequence_format = "%0" .. #SEQUENCE_MARKER .. "d"
   prepared = {}
   local function add(request_headers, request_path, request_body)
      if request_body == "" then
         request_body = nil
      end
      local request = wrk.format(method, request_path, request_headers, request_body)
      table.insert(prepared, pieces_of(request))
   end
   if #variants == 0 then
      add(headers, path, body)
   else
      local first = thread_index + 1
      if first > #variants then -- fewer variants than threads: share one
         first = thread_index % #variants + 1
      end
      for i = first, #variants, thread_count do
         local token, own_path, own_body = variants[i][1], variants[i][2], variants[i][3]
         local request_headers = {}
         for name, value in pairs(headers) do
            request_headers[name] = value
         end
         if token ~= "" then
            request_headers[args[3]] = token
         end
         add(request_headers, own_path ~= "" and own_path or path, own_body ~= "" and own_body or body)
      end
   end
   next_request = 1
   counts = {}
end

function request()
   local pieces = prepared[next_request]
   next_request = next_request % #prepared + 1
   if #pieces == 1 then
      return pieces[1]
   end
   local text = table.concat(pieces, string.format(sequence_format, sequence))
   sequence = sequence + thread_count
   return text
end

function response(status, headers, body)
   counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
   local statuses = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("counts")) do
         statuses[status] = (statuses[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(statuses) do
      table.insert(parts, string.format('"%d": %d', status, n))
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, '
         .. '"write": %d, "timeout": %d}, "latency_us": {"p50": %d, "p90": %d, "p99": %d, '
         .. '"p999": %d, "mean": %.1f, "max": %d}, "statuses": {%s}}\n',
      summary.requests, summary.duration, errors.connect, errors.read, errors.write,
      errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.mean, latency.max, table.concat(parts, ", ")))
end
