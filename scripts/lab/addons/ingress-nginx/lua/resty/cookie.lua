-- lossless: resty.cookie for ingress-nginx's sticky sessions (balancer/sticky.lua, `affinity: cookie` only),
-- in place of lua-resty-cookie, which Debian does not package. Same interface as far as sticky.lua uses it:
-- new(), get(name) -> value | nil, set{key, value, path, domain, secure, httponly, expires, max_age,
-- samesite, extension} (appends a Set-Cookie header).
local _M = {}
local mt = { __index = _M }

function _M.new(_)
  return setmetatable({}, mt)
end

function _M.get(_, name)
  local header = ngx.var.http_cookie
  if not header then return nil end
  for pair in string.gmatch(header, "[^;]+") do
    local k, v = string.match(pair, "^%s*([^=]+)=(.*)$")
    if k and string.match(k, "^%s*(.-)%s*$") == name then return (string.match(v, "^(.-)%s*$")) end
  end
  return nil
end

function _M.set(_, c)
  if not c or not c.key then return nil, "no cookie key" end
  local parts = { c.key .. "=" .. (c.value or "") }
  if c.expires then parts[#parts + 1] = "Expires=" .. c.expires end
  if c.max_age then parts[#parts + 1] = "Max-Age=" .. c.max_age end
  if c.domain then parts[#parts + 1] = "Domain=" .. c.domain end
  if c.path then parts[#parts + 1] = "Path=" .. c.path end
  if c.secure then parts[#parts + 1] = "Secure" end
  if c.httponly then parts[#parts + 1] = "HttpOnly" end
  if c.samesite then parts[#parts + 1] = "SameSite=" .. c.samesite end
  if c.extension then parts[#parts + 1] = c.extension end
  local line = table.concat(parts, "; ")
  local prev = ngx.header["Set-Cookie"]
  if type(prev) == "table" then
    prev[#prev + 1] = line
    ngx.header["Set-Cookie"] = prev
  elseif prev then
    ngx.header["Set-Cookie"] = { prev, line }
  else
    ngx.header["Set-Cookie"] = line
  end
  return true
end

return _M
