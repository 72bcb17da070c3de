// Draws the report's charts as inline SVG from the JSON embedded in the page. Plain ES2020, no
// dependencies, no network. Each chart gets data-drawn="1" when done, so tests (and print) know.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var W = 1200, L = 170, R = 14;
  var OUTCOME_COLORS = {
    ok: '#8fd19e', 'http-5xx': '#e8590c', 'http-4xx': '#f59f00', 'connect-refused': '#c2255c', 'connect-timeout': '#862e9c',
    'reset-before-response': '#d6336c', 'stale-keepalive': '#5f3dc4', 'reset-during-body': '#e64980', timeout: '#495057',
    dns: '#0b7285', dropped: '#212529', cancelled: '#adb5bd', other: '#868e96'
  };
  var PALETTE = D.palette;
  var SPAN_STYLE = {
    alive: { y: 2, h: 18, c: '#eceff3' }, ready: { y: 4, h: 4, c: '#40c057' }, endpoint: { y: 9, h: 4, c: '#339af0' },
    terminating: { y: 14, h: 4, c: '#ffa94d' }, prestop: { y: 14, h: 4, c: '#9775fa' }
  };
  var POINT_STYLE = {
    created: '#868e96', ready: '#2b8a3e', 'endpoint-removed': '#1864ab', deleting: '#e67700', sigterm: '#e03131',
    'last-request': '#495057', exit: '#212529', killed: '#a61e4d'
  };
  var LOST_CLASSES = D.outcomes.filter(function (o) { return o !== 'ok' && o !== 'cancelled'; });

  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }
  function f1(x) { return Math.round(x * 10) / 10; }
  function targetColor(i) { return PALETTE[i % PALETTE.length]; }
  var span = Math.max(1e-9, D.to - D.from);
  function X(t) { return f1(L + ((t - D.from) / span) * (W - L - R)); }

  function niceStep(range, n) {
    var raw = range / n, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function fmtT(t) {
    var s = Math.round(t);
    if (span < 120) return s + 's';
    var m = Math.floor(s / 60), r = s % 60;
    return m + ':' + (r < 10 ? '0' : '') + r;
  }
  function xAxis(y0, y1) {
    var steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
    var step = steps[steps.length - 1];
    for (var i = 0; i < steps.length; i++) if (span / steps[i] <= 12) { step = steps[i]; break; }
    var out = '<g class="axis">';
    for (var t = Math.ceil(D.from / step) * step; t <= D.to; t += step) {
      var x = X(t);
      out += '<line class="grid" x1="' + x + '" x2="' + x + '" y1="' + y0 + '" y2="' + y1 + '"/>';
      out += '<text x="' + x + '" y="' + (y1 + 13) + '" text-anchor="middle">' + fmtT(t) + '</text>';
    }
    return out + '<line x1="' + L + '" x2="' + (W - R) + '" y1="' + y1 + '" y2="' + y1 + '"/></g>';
  }
  function yAxis(y0, y1, max, label) {
    var step = niceStep(max, 3), out = '<g class="axis">';
    for (var v = 0; v <= max + 1e-9; v += step) {
      var y = f1(y1 - (v / max) * (y1 - y0));
      out += '<line class="grid" x1="' + L + '" x2="' + (W - R) + '" y1="' + y + '" y2="' + y + '"/>';
      out += '<text x="' + (L - 6) + '" y="' + (y + 4) + '" text-anchor="end">' + (Math.round(v * 100) / 100) + '</text>';
    }
    if (label) out += '<text x="' + (L - 6) + '" y="' + (y0 - 4) + '" text-anchor="end">' + esc(label) + '</text>';
    return out + '<line x1="' + L + '" x2="' + L + '" y1="' + y0 + '" y2="' + y1 + '"/></g>';
  }
  function svg(h, body, attrs) {
    return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + W + ' ' + h + '" width="' + W + '" height="' + h + '" ' + (attrs || '') + '>' + body + '</svg>';
  }
  function windowBands(target, y0, y1) {
    var out = '';
    D.windows.forEach(function (w) {
      if (target !== null && w.target !== target) return;
      var x0 = X(w.from), x1 = Math.max(X(w.to), x0 + 2);
      out += '<rect class="window" x="' + x0 + '" y="' + y0 + '" width="' + f1(x1 - x0) + '" height="' + (y1 - y0) + '" fill="#fa5252" fill-opacity="0.14"><title>' +
        esc((w.cause || 'no cause attributed') + ': ' + w.lost + ' lost, ' + w.from + '-' + w.to + ' s') + '</title></rect>';
    });
    return out;
  }

  // ---- requests per second by outcome, one chart per path ----
  function drawRps(fig) {
    var ti = Number(fig.getAttribute('data-target')), s = D.series[ti];
    var H = 230, top = 14, mid = 150, lTop = 168, bot = 206;
    var n = s.counts[D.outcomes[0]] ? s.counts[D.outcomes[0]].length : 0;
    var totals = new Array(n).fill(0), lost = new Array(n).fill(0);
    D.outcomes.forEach(function (o) { for (var i = 0; i < n; i++) { totals[i] += s.counts[o][i]; if (o !== 'ok' && o !== 'cancelled') lost[i] += s.counts[o][i]; } });
    var max = Math.max.apply(null, totals.concat([1])) * 1.05, lmax = Math.max.apply(null, lost.concat([1])) * 1.1;
    var body = yAxis(top, mid, max, 'req/s') + yAxis(lTop, bot, lmax, 'lost/s') + xAxis(top, bot);
    body += windowBands(ti, top, bot);
    var base = new Array(n).fill(0);
    D.outcomes.forEach(function (o) {
      var c = s.counts[o], up = '', down = '';
      for (var i = 0; i < n; i++) {
        var x0 = X(s.t0 + i), x1 = X(s.t0 + i + 1);
        var y = f1(mid - ((base[i] + c[i]) / max) * (mid - top));
        up += (i ? 'L' : 'M') + x0 + ' ' + y + 'L' + x1 + ' ' + y;
      }
      for (var j = n - 1; j >= 0; j--) {
        var yb = f1(mid - (base[j] / max) * (mid - top));
        down += 'L' + X(s.t0 + j + 1) + ' ' + yb + 'L' + X(s.t0 + j) + ' ' + yb;
        base[j] += c[j];
      }
      if (n) body += '<path class="area" data-outcome="' + o + '" d="' + up + down + 'Z" fill="' + OUTCOME_COLORS[o] + '"/>';
    });
    var lbase = new Array(n).fill(0);
    LOST_CLASSES.forEach(function (o) {
      var c = s.counts[o], d = '';
      for (var i = 0; i < n; i++) {
        if (!c[i]) continue;
        var x0 = X(s.t0 + i), x1 = Math.max(X(s.t0 + i + 1) - 0.5, x0 + 1.5);
        var y0 = f1(bot - (lbase[i] / lmax) * (bot - lTop)), y1 = f1(bot - ((lbase[i] + c[i]) / lmax) * (bot - lTop));
        d += 'M' + x0 + ' ' + y0 + 'V' + y1 + 'H' + x1 + 'V' + y0 + 'Z';
        lbase[i] += c[i];
      }
      if (d) body += '<path class="lost" data-outcome="' + o + '" d="' + d + '" fill="' + OUTCOME_COLORS[o] + '"/>';
    });
    return svg(H, body);
  }

  // ---- latency percentiles (log scale) ----
  function drawLatency() {
    var H = 260, top = 12, bot = 236, lo = Infinity, hi = 0;
    D.series.forEach(function (s) { ['p50', 'p99', 'max'].forEach(function (k) { s[k].forEach(function (v) { if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }); }); });
    if (!isFinite(lo)) { lo = 0.1; hi = 1; }
    var l0 = Math.floor(Math.log10(lo)), l1 = Math.max(Math.ceil(Math.log10(hi)), l0 + 1);
    function Y(v) { return f1(bot - ((Math.log10(v) - l0) / (l1 - l0)) * (bot - top)); }
    var body = '<g class="axis">';
    for (var e = l0; e <= l1; e++) {
      var y = Y(Math.pow(10, e)), v = Math.pow(10, e);
      body += '<line class="grid" x1="' + L + '" x2="' + (W - R) + '" y1="' + y + '" y2="' + y + '"/><text x="' + (L - 6) + '" y="' + (y + 4) + '" text-anchor="end">' + (v >= 1000 ? v / 1000 + ' s' : v + ' ms') + '</text>';
    }
    body += '</g>' + xAxis(top, bot) + windowBands(null, top, bot);
    var dash = { p50: '', p99: ' stroke-dasharray="6 3"', max: ' stroke-dasharray="1.5 2.5"' };
    D.series.forEach(function (s, ti) {
      ['max', 'p99', 'p50'].forEach(function (k) {
        var d = '', pen = false;
        // steps: a second's value holds for the whole second (a 1-second run still draws)
        s[k].forEach(function (v, i) {
          if (!(v > 0)) { pen = false; return; }
          d += (pen ? 'L' : 'M') + X(s.t0 + i) + ' ' + Y(v) + 'L' + X(s.t0 + i + 1) + ' ' + Y(v);
          pen = true;
        });
        if (d) body += '<path class="line" data-target="' + ti + '" data-p="' + k + '" d="' + d + '" fill="none" stroke="' + targetColor(ti) + '" stroke-width="' + (k === 'p50' ? 1.8 : 1.2) + '"' + dash[k] + '/>';
      });
    });
    return svg(H, body);
  }

  // ---- requests served per pod ----
  function drawServed() {
    var H = 240, top = 12, bot = 216, S = D.served, max = 1;
    S.counts.forEach(function (c) { c.forEach(function (v) { if (v > max) max = v; }); });
    max *= 1.08;
    var body = yAxis(top, bot, max, 'req/s') + xAxis(top, bot);
    S.pods.forEach(function (pod, pi) {
      var d = '', pen = false, c = S.counts[pi];
      for (var i = 0; i < c.length; i++) {
        if (!c[i] && !(c[i - 1] || c[i + 1])) { pen = false; continue; }
        var y = f1(bot - (c[i] / max) * (bot - top));
        d += (pen ? 'L' : 'M') + X(S.t0 + i) + ' ' + y + 'L' + X(S.t0 + i + 1) + ' ' + y;
        pen = true;
      }
      if (d) body += '<path class="line" data-pod="' + esc(pod) + '" d="' + d + '" fill="none" stroke="' + PALETTE[pi % PALETTE.length] + '" stroke-width="1.6"><title>' + esc(pod) + '</title></path>';
    });
    if (!S.pods.length) body += '<text x="' + (W / 2) + '" y="' + (H / 2) + '" text-anchor="middle">no response carried a pod name</text>';
    return svg(H, body);
  }

  // ---- pod lanes with failure marks ----
  function drawLanes(fig) {
    var lanes = D.lanes.slice(), M = D.marks, unknown = 0, nT = D.targets.length;
    for (var i = 0; i < M.t.length; i++) if (M.lane[i] < 0) unknown++;
    if (unknown) lanes.push({ pod: '(pod unknown)', spans: [], points: [] });
    var LH = 24 + Math.max(8, 3 * nT), top = 20, H = top + lanes.length * LH + 26, bot = top + lanes.length * LH;
    var body = xAxis(top, bot);
    D.global.forEach(function (g) {
      var x = X(g.t);
      body += '<g class="global"><line x1="' + x + '" x2="' + x + '" y1="' + (top - 6) + '" y2="' + bot + '" stroke="#868e96" stroke-dasharray="3 3"/><text x="' + (x + 2) + '" y="' + (top - 8) + '">' + esc(g.kind) + '</text><title>' + esc(g.label) + '</title></g>';
    });
    var perLane = new Array(lanes.length).fill(0), paths = {};
    for (var m = 0; m < M.t.length; m++) {
      var li = M.lane[m] < 0 ? lanes.length - 1 : M.lane[m], ti = Math.max(0, M.target[m]);
      perLane[li]++;
      var y = top + li * LH + 22 + ti * 3, x = X(M.t[m]);
      paths[ti] = (paths[ti] || '') + 'M' + f1(x - 1) + ' ' + y + 'h2.5v3h-2.5Z';
    }
    lanes.forEach(function (lane, li) {
      var y0 = top + li * LH, g = '<g class="lane" data-pod="' + esc(lane.pod) + '" data-marks="' + perLane[li] + '">';
      g += '<text x="' + (L - 6) + '" y="' + (y0 + 15) + '" text-anchor="end">' + esc(lane.pod.length > 26 ? '…' + lane.pod.slice(-25) : lane.pod) + '<title>' + esc(lane.pod + (lane.node ? ' on ' + lane.node : '') + (lane.ip ? ' ' + lane.ip : '')) + '</title></text>';
      ['alive', 'ready', 'endpoint', 'terminating', 'prestop'].forEach(function (k) {
        lane.spans.forEach(function (s) {
          if (s[0] !== k) return;
          var st = SPAN_STYLE[k], x0 = X(s[1]), w = Math.max(1, f1(X(s[2]) - x0));
          g += '<rect class="span" data-span="' + k + '" x="' + x0 + '" y="' + (y0 + st.y) + '" width="' + w + '" height="' + st.h + '" fill="' + st.c + '"><title>' + k + ' ' + s[1] + '-' + s[2] + ' s</title></rect>';
        });
      });
      lane.points.forEach(function (p) {
        var x = X(p[1]);
        g += '<line class="point" data-point="' + p[0] + '" x1="' + x + '" x2="' + x + '" y1="' + (y0 + 1) + '" y2="' + (y0 + 21) + '" stroke="' + POINT_STYLE[p[0]] + '" stroke-width="2"><title>' + esc(p[2] + ' at ' + p[1] + ' s') + '</title></line>';
      });
      g += '<line x1="' + L + '" x2="' + (W - R) + '" y1="' + (y0 + LH) + '" y2="' + (y0 + LH) + '" stroke="#f1f3f5"/></g>';
      body += g;
    });
    Object.keys(paths).forEach(function (ti) {
      body += '<path class="marks" data-target="' + ti + '" d="' + paths[ti] + '" fill="' + targetColor(Number(ti)) + '"/>';
    });
    if (!lanes.length) body += '<text x="' + (W / 2) + '" y="' + (top + 20) + '" text-anchor="middle">no pod in the timeline</text>';
    fig.setAttribute('data-marks', String(M.t.length));
    return svg(H, body);
  }

  function legend(el, items) {
    el.innerHTML = items.map(function (it) { return '<span><span class="swatch" style="--c:' + it[1] + '"></span>' + esc(it[0]) + '</span>'; }).join('');
  }

  var draw = { rps: drawRps, latency: drawLatency, served: drawServed, lanes: drawLanes };
  document.querySelectorAll('figure.chart').forEach(function (fig) {
    var kind = fig.getAttribute('data-view');
    fig.querySelector('.plot').innerHTML = draw[kind](fig);
    fig.setAttribute('data-drawn', '1');
  });
  document.querySelectorAll('.legend').forEach(function (el) {
    var k = el.getAttribute('data-legend');
    if (k === 'outcomes') legend(el, D.outcomes.map(function (o) { return [o, OUTCOME_COLORS[o]]; }).concat([['loss window', '#fcc2c2']]));
    if (k === 'targets') legend(el, D.targets.map(function (t, i) { return [t, targetColor(i)]; }));
    if (k === 'pods') legend(el, D.served.pods.map(function (p, i) { return [p, PALETTE[i % PALETTE.length]]; }));
    if (k === 'lanes') legend(el, Object.keys(SPAN_STYLE).map(function (s) { return [s, SPAN_STYLE[s].c]; })
      .concat(Object.keys(POINT_STYLE).map(function (p) { return [p, POINT_STYLE[p]]; }))
      .concat(D.targets.map(function (t, i) { return ['failure on ' + t, targetColor(i)]; })));
  });
  // render timing for the size/speed measurement: script done, then the first frame painted after it
  var root = document.documentElement;
  root.setAttribute('data-drawn-ms', String(Math.round(performance.now())));
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      root.setAttribute('data-painted-ms', String(Math.round(performance.now())));
      root.setAttribute('data-report-ready', '1');
    });
  });
})();
