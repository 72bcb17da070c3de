-- lossless: resty.dns.resolver, not provided. ingress-nginx resolves ExternalName Services' hostnames with
-- it (util/dns.lua); Debian packages no lua-resty-dns. new() fails, so util/dns.lua logs the error and uses the
-- name as given (nginx then cannot connect to a hostname backend): ExternalName backends do not work in the
-- lab. The constants are here because util/dns.lua reads them when it loads.
local _M = { TYPE_A = 1, TYPE_CNAME = 5, TYPE_AAAA = 28, TYPE_SRV = 33 }

function _M.new(_, _)
  return nil, "no DNS resolver in the lossless lab's ingress-nginx (lua-resty-dns is not in Debian)"
end

return _M
