-- wrk script: sends one prepared request, counts the statuses of the answers, and prints a
-- summary line "BENCH_RESULT {json}" that benchmarks/load.py reads.
--
-- Arguments (after "--"): request file, tokens file ("" for none), token header, thread count.
-- The request file is "METHOD PATH", header lines "Name: value", an empty line, then the body.
-- wrk's Lua API does not say which connection a request goes to, so tokens are spread instead:
-- thread i takes tokens i, i+T, i+2T, ... and cycles through them, so with as many tokens as
-- connections each token carries 1/connections of the load, as with one token per connection.

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

function init(args)
   local method, path, headers, body = parse_request(read_file(args[1]))
   if body == "" then
      body = nil
   end
   local tokens = {}
   if args[2] ~= nil and args[2] ~= "" then
      for line in io.lines(args[2]) do
         if line ~= "" then
            -- "TOKEN" or "TOKEN<tab>PATH": a token may carry the path its requests go to.
            local token, own_path = line:match("^([^\t]*)\t(.+)$")
            if token == nil then
               token = line
            end
            table.insert(tokens, {token, own_path})
         end
      end
   end
   local thread_count = tonumber(args[4])
   prepared_requests = {}
   if #tokens == 0 then
      prepared_requests[1] = wrk.format(method, path, headers, body)
   else
      for i = thread_index + 1, #tokens, thread_count do
         headers[args[3]] = tokens[i][1]
         table.insert(prepared_requests, wrk.format(method, tokens[i][2] or path, headers, body))
      end
   end
   next_request = 1
   counts = {}
end

function request()
   local prepared = prepared_requests[next_request]
   next_request = next_request % #prepared_requests + 1
   return prepared
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
