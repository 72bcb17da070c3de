-- lossless: resty.http, not provided. ingress-nginx fetches OCSP responses with it (certificate.lua, only
-- with `enable-ocsp: "true"`, off by default); Debian packages no lua-resty-http. Requests fail with an error,
-- which certificate.lua logs and then serves the certificate without a stapled response.
local _M = {}
local mt = { __index = _M }

function _M.new()
  return setmetatable({}, mt)
end

function _M.set_timeout() end
function _M.parse_uri() return nil, "no HTTP client in the lossless lab's ingress-nginx (lua-resty-http is not in Debian)" end
function _M.set_timeouts() end
function _M.connect() return nil, "no HTTP client in the lossless lab's ingress-nginx (lua-resty-http is not in Debian)" end
function _M.request_uri() return nil, "no HTTP client in the lossless lab's ingress-nginx (lua-resty-http is not in Debian)" end
function _M.close() return 1 end

return _M
