-- wrk script used for every scenario of bench/run.sh, on both servers.
-- Environment: BENCH_METHOD (GET or POST), BENCH_PATH, BENCH_HOST (the Host header), BENCH_BODY_FILE (request body, for POST),
-- BENCH_RESULT (a file that done() writes as JSON: requests, errors, latency percentiles in us).
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = nil
local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  body = f:read("*a")
  f:close()
end

-- The request is formatted when this file loads, before wrk knows the host: name it explicitly
-- (BENCH_HOST), as every HTTP/1.1 client does. tenancy-gateway looks the Host up as a site.
local headers = { ["Accept"] = "application/json", ["Host"] = os.getenv("BENCH_HOST") }
if body then
  headers["Content-Type"] = "application/json"
end
local req = wrk.format(method, path, headers, body)

request = function()
  return req
end

-- Count non-2xx answers per thread; wrk only reports them as a total.
done = function(summary, latency, requests)
  local out = assert(io.open(os.getenv("BENCH_RESULT"), "w"))
  local e = summary.errors
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
  out:close()
end
