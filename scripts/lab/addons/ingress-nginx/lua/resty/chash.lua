-- lossless: resty.chash (consistent hashing) for ingress-nginx's `upstream-hash-by` and sticky-balanced
-- balancers, in place of lua-resty-balancer's C library, which Debian does not package. A plain hash ring
-- (160 points per unit of weight, crc32 of "id#n", binary search), same interface: new(nodes), reinit(nodes),
-- find(key) -> id, index, next(index) -> id, index, and the `nodes` field. Not on the request path of the
-- lossless scenarios (they use the default round robin); the ring differs from the C library's, so a key maps
-- to another endpoint than it would with the upstream image.
local crc32 = ngx.crc32_long
local _M = {}
local mt = { __index = _M }
local POINTS = 160

local function init(self, nodes)
  local ring = {}
  for id, weight in pairs(nodes) do
    local w = tonumber(weight) or 1
    if w < 1 then w = 1 end
    for n = 1, POINTS * w do ring[#ring + 1] = { crc32(id .. "#" .. n), id } end
  end
  table.sort(ring, function(a, b) if a[1] == b[1] then return a[2] < b[2] end return a[1] < b[1] end)
  self.nodes = nodes
  self.ring = ring
end

function _M.new(_, nodes)
  local self = setmetatable({}, mt)
  init(self, nodes or {})
  return self
end

function _M.reinit(self, nodes)
  init(self, nodes or {})
end

function _M.find(self, key)
  local ring = self.ring
  local n = #ring
  if n == 0 then return nil end
  local h = crc32(tostring(key))
  local lo, hi = 1, n
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if ring[mid][1] < h then lo = mid + 1 else hi = mid end
  end
  if ring[lo][1] < h then lo = 1 end
  return ring[lo][2], lo
end

function _M.next(self, index)
  local ring = self.ring
  local n = #ring
  if n == 0 then return nil end
  local i = (index or 0) % n + 1
  return ring[i][2], i
end

return _M
