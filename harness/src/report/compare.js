// Overlays one line per run (coloured by variant) for each series of the comparison. Plain ES2020.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('compare-data').textContent);
  var W = 1200, L = 60, R = 14, H = 240, top = 12, bot = 214;
  function f1(x) { return Math.round(x * 10) / 10; }
  function niceStep(range, n) {
    var raw = range / n, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  document.querySelectorAll('figure.chart').forEach(function (fig) {
    var key = fig.getAttribute('data-series'), n = 1, max = 0;
    D.runs.forEach(function (r) { n = Math.max(n, r.series[key].length); r.series[key].forEach(function (v) { if (v > max) max = v; }); });
    max = max > 0 ? max * 1.08 : 1;
    function X(i) { return f1(L + (i / n) * (W - L - R)); }
    function Y(v) { return f1(bot - (v / max) * (bot - top)); }
    var body = '<g class="axis">', ys = niceStep(max, 3), xs = niceStep(n, 10);
    for (var v = 0; v <= max; v += ys) body += '<line class="grid" x1="' + L + '" x2="' + (W - R) + '" y1="' + Y(v) + '" y2="' + Y(v) + '"/><text x="' + (L - 6) + '" y="' + (Y(v) + 4) + '" text-anchor="end">' + (Math.round(v * 100) / 100) + '</text>';
    for (var t = 0; t <= n; t += xs) body += '<text x="' + X(t) + '" y="' + (bot + 14) + '" text-anchor="middle">' + t + 's</text>';
    body += '<line x1="' + L + '" x2="' + (W - R) + '" y1="' + bot + '" y2="' + bot + '"/><text x="' + (L - 6) + '" y="' + (top - 2) + '" text-anchor="end">' + fig.getAttribute('data-unit') + '</text></g>';
    D.runs.forEach(function (r) {
      var d = '';
      // steps: each value holds for its whole second
      r.series[key].forEach(function (v, i) { d += (i ? 'L' : 'M') + X(i) + ' ' + Y(v) + 'L' + X(i + 1) + ' ' + Y(v); });
      if (d) body += '<path class="line" data-variant="' + r.variantIndex + '" d="' + d + '" fill="none" stroke="' + D.palette[r.variantIndex % D.palette.length] + '" stroke-width="1.5" stroke-opacity="0.8"/>';
    });
    fig.querySelector('.plot').innerHTML = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + W + ' ' + H + '" width="' + W + '" height="' + H + '">' + body + '</svg>';
    fig.setAttribute('data-drawn', '1');
  });
  document.documentElement.setAttribute('data-report-ready', '1');
})();
