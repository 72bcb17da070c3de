-- lossless: resty.ipmatcher, not provided. ingress-nginx uses it only for the global rate limit's ignored
-- CIDRs (global_throttle.lua); Debian packages no lua-resty-ipmatcher. new() fails, which global_throttle.lua
-- logs and treats as "ignore nothing".
local _M = {}

function _M.new(_)
  return nil, "no IP matcher in the lossless lab's ingress-nginx (lua-resty-ipmatcher is not in Debian)"
end

return _M
