-- lossless: resty.lock for ingress-nginx's EWMA balancer (balancer/ewma.lua, `load-balance: ewma` only), in
-- place of lua-resty-lock, which Debian does not package. A lock is a key added to a shared dict with an
-- expiry; lock() retries with short sleeps until `timeout` (ewma passes 0: one try). Same interface:
-- new(dict_name, {timeout, exptime, step, ratio, max_step}), lock(key) -> elapsed | nil, err, unlock().
local _M = {}
local mt = { __index = _M }

function _M.new(_, dict_name, opts)
  local dict = ngx.shared[dict_name]
  if not dict then return nil, "dictionary not found" end
  opts = opts or {}
  return setmetatable({
    dict = dict,
    timeout = opts.timeout or 5,
    exptime = opts.exptime or 30,
    step = opts.step or 0.001,
    ratio = opts.ratio or 2,
    max_step = opts.max_step or 0.5,
  }, mt)
end

function _M.lock(self, key)
  if self.key then return nil, "locked" end
  local elapsed, step = 0, self.step
  while true do
    local ok, err = self.dict:add(key, true, self.exptime)
    if ok then
      self.key = key
      return elapsed
    end
    if err ~= "exists" then return nil, err end
    if elapsed >= self.timeout then return nil, "timeout" end
    local wait = math.min(step, self.timeout - elapsed)
    ngx.sleep(wait)
    elapsed = elapsed + wait
    step = math.min(step * self.ratio, self.max_step)
  end
end

function _M.unlock(self)
  if not self.key then return nil, "unlocked" end
  self.dict:delete(self.key)
  self.key = nil
  return 1
end

return _M
