-- wrk script: each thread cycles through its own slice of pre-built requests read from a file.
-- File format, one request per line: METHOD \t PATH \t HEADER1: V1 | HEADER2: V2 \t BODY
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  reqs, i = {}, 0
  local n, path_file = tonumber(args[2]), args[1]
  read(path_file, n, id)
  if #reqs == 0 then read(path_file, 1, 0) end  -- fewer lines than threads: every thread takes them all
end

function read(path_file, n, slice)
  local total = 0
  for line in io.lines(path_file) do
    if total % n == slice then
      local method, path, headers_s, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      for h in headers_s:gmatch("[^|]+") do
        local k, v = h:match("^%s*([^:]+):%s*(.-)%s*$")
        if k then headers[k] = v end
      end
      if body == "" then body = nil end
      table.insert(reqs, wrk.format(method, path, headers, body))
    end
    total = total + 1
  end
end

function request()
  i = i + 1
  if i > #reqs then i = 1 end
  return reqs[i]
end
