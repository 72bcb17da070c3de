-- lossless: resty.roundrobin for ingress-nginx's default balancer (balancer/round_robin.lua), in place of
-- lua-resty-balancer's C-backed module, which Debian does not package. Same interface: new(nodes) with nodes
-- {["ip:port"] = weight}, find() -> "ip:port", reinit(nodes), and the `nodes` field balancer/resty.lua
-- compares. Smooth weighted round robin (nginx's own algorithm); each instance starts at a random server, as
-- lua-resty-balancer does, so the workers do not all send their first request to the same endpoint.
local _M = {}
local mt = { __index = _M }

local function init(self, nodes)
  local ids, weights, current = {}, {}, {}
  local total = 0
  for id, weight in pairs(nodes) do
    ids[#ids + 1] = id
  end
  table.sort(ids) -- pairs() order is arbitrary: a stable order keeps the rotation fair across reinit
  for i, id in ipairs(ids) do
    local w = tonumber(nodes[id]) or 1
    if w < 1 then w = 1 end
    weights[i] = w
    current[i] = 0
    total = total + w
  end
  self.nodes = nodes
  self.ids = ids
  self.weights = weights
  self.current = current
  self.total = total
  -- a random start: advance the rotation 0..n-1 steps
  if #ids > 1 then
    for _ = 1, math.random(0, #ids - 1) do self:find() end
  end
end

function _M.new(_, nodes)
  local self = setmetatable({}, mt)
  init(self, nodes or {})
  return self
end

function _M.reinit(self, nodes)
  init(self, nodes or {})
end

function _M.find(self)
  local ids, weights, current = self.ids, self.weights, self.current
  local n = #ids
  if n == 0 then return nil end
  if n == 1 then return ids[1] end
  local best
  for i = 1, n do
    current[i] = current[i] + weights[i]
    if not best or current[i] > current[best] then best = i end
  end
  current[best] = current[best] - self.total
  return ids[best]
end

_M.next = _M.find

return _M
