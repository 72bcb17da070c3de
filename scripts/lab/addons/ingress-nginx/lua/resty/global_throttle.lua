-- lossless: resty.global_throttle, not provided. ingress-nginx's global rate limit (annotation
-- global-rate-limit, with a memcached) uses it; Debian packages no lua-resty-global-throttle. new() fails,
-- which global_throttle.lua logs and then lets the request through ("fail open"): no global rate limit in the lab.
local _M = {}

function _M.new()
  return nil, "no global throttle in the lossless lab's ingress-nginx (lua-resty-global-throttle is not in Debian)"
end

return _M
