/* 绩效考核 — station performance per quarter (GET /v1/stats/performance): services by channel,
 * registrations, referrals, hires, hires of assistance targets, the staff-day and expert-visit quotas;
 * a trend chart of the last quarters (SVG, drawn here), and the report as Excel or CSV.
 * Plain JavaScript, no external resources; uses app.js's HJConsole surface. */
(function () {
  'use strict';

  function part(C) {
    var h = C.h;
    var s = C.s;
    var $ = C.$;

    function quarters(n) {
      var d = new Date();
      var y = d.getFullYear(), q = Math.floor(d.getMonth() / 3) + 1, out = [];
      for (var i = 0; i < n; i++) {
        out.push(y + 'Q' + q);
        q -= 1;
        if (q === 0) { q = 4; y -= 1; }
      }
      return out;
    }

    function scopes() {
      var me = C.auth.me || {};
      var st = C.currentStation();
      var out = [];
      var own = me.region_code || '';
      var code = (st && st.region_code) || '';
      [6, 4, 2].forEach(function (n) {
        var c = code.slice(0, n);
        if (c.length === n && c.indexOf(own) === 0 && out.indexOf(c) < 0) out.push(c);
      });
      if (own && out.indexOf(own) < 0) out.unshift(own);
      return out;
    }

    function query(fmt) {
      var p = new URLSearchParams({ quarter: $('#perf-quarter').value, format: fmt });
      if ($('#perf-region').value) p.set('region_code', $('#perf-region').value);
      return '/v1/stats/performance?' + p.toString();
    }

    function build() {
      var panel = C.clear($('#panel-performance'));
      var quarter = h('select', { id: 'perf-quarter' }, quarters(8).map(function (q) {
        return h('option', { value: q }, q.replace('Q', '年第') + '季度');
      }));
      var region = h('select', { id: 'perf-region' }, scopes().map(function (c) { return h('option', { value: c }, c); }));
      var form = h('form', { class: 'searchbar no-print', id: 'perf-form' },
        h('label', { for: 'perf-quarter' }, '季度'), quarter, h('label', { for: 'perf-region' }, '范围（区划代码）'), region,
        h('button', { type: 'submit', class: 'primary' }, '查看考核'),
        h('button', { type: 'button', id: 'perf-xlsx', onclick: function () {
          C.download(query('xlsx'), '服务站绩效-' + quarter.value + '.xlsx').catch(C.report);
        } }, '下载 Excel'),
        h('button', { type: 'button', id: 'perf-csv', onclick: function () {
          C.download(query('csv'), '服务站绩效-' + quarter.value + '.csv').catch(C.report);
        } }, '下载 CSV'));
      form.addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
      panel.appendChild(form);
      panel.appendChild(h('div', { id: 'perf-body', 'aria-live': 'polite' }));
      load();
    }

    function load() {
      var box = C.clear($('#perf-body'));
      C.statusLine(box, '正在统计…');
      C.api(query('json')).then(function (d) { render(d); }).catch(function (err) { C.statusLine(box, err.message, 'error'); });
    }

    function yes(ok) { return h('span', { class: 'tag ' + (ok ? 'met' : 'unmet') }, ok ? '达标' : '未达标'); }

    function render(d) {
      var box = C.clear($('#perf-body'));
      var t = d.totals;
      box.appendChild(h('h2', { id: 'perf-title' }, (d.region_name || d.region_code || '') + ' 服务站绩效 · ' + d.quarter));
      box.appendChild(h('p', { class: 'hint' }, '统计期间：' + d.from + ' 至 ' + d.to + '（不含）。县级人员驻站每季度不少于 ' +
        d.thresholds.staff_days_per_quarter + ' 天，专家指导每年不少于 ' + d.thresholds.expert_visits_per_year + ' 次。'));
      box.appendChild(h('dl', { class: 'stat-totals', id: 'perf-totals' },
        [['服务（次）', t.services], ['新登记（人）', t.registered], ['推荐（次）', t.referrals], ['录用（人）', t.hires],
          ['援助对象录用（人）', t.target_hires]].map(function (x) {
          return h('div', { class: 'stat-total' }, h('dt', null, x[0]), h('dd', null, h('span', { class: 'big' }, String(x[1]))));
        })));
      var kinds = Object.keys(d.kinds);
      box.appendChild(h('div', { class: 'table-scroll' }, h('table', { class: 'table stat-table', id: 'perf-table' },
        h('caption', { class: 'sr-only' }, '各服务站绩效'),
        h('thead', null, h('tr', null, ['服务站'].concat(kinds.map(function (k) { return d.kinds[k]; }),
          ['服务合计', '新登记', '推荐', '录用', '援助对象录用', '驻站天数', '驻站', '本年专家指导', '专家']).map(function (x) {
          return h('th', { scope: 'col' }, x);
        }))),
        h('tbody', null, d.stations.map(function (r) {
          return h('tr', { class: 'perf-row', dataset: { id: r.id } }, h('th', { scope: 'row' }, r.name || r.id),
            kinds.map(function (k) { return h('td', { class: 'num' }, String(r.services_by_kind[k])); }),
            [r.services, r.registered, r.referrals, r.hires, r.target_hires, r.staff_days].map(function (n) {
              return h('td', { class: 'num' }, String(n));
            }),
            h('td', { class: 'staff-met' }, yes(r.staff_days_met)), h('td', { class: 'num' }, String(r.expert_visits_year)),
            h('td', { class: 'expert-met' }, yes(r.expert_visits_met)));
        })))));
      box.appendChild(h('section', { class: 'work-card', 'aria-labelledby': 'perf-trend-title' },
        h('h3', { id: 'perf-trend-title' }, '近四个季度趋势'), trendChart(d.trend)));
    }

    // A line per measure over the quarters (SVG; no chart library).
    function trendChart(trend) {
      var series = [['services', '服务', 'l-services'], ['referrals', '推荐', 'l-refs'], ['hires', '录用', 'l-hires'],
        ['registered', '新登记', 'l-reg']];
      var W = 560, H = 220, L = 40, R = 16, T = 14, B = 30;
      var max = 1;
      trend.forEach(function (q) { series.forEach(function (m) { max = Math.max(max, q[m[0]]); }); });
      var x = function (i) { return L + (trend.length > 1 ? i * (W - L - R) / (trend.length - 1) : (W - L - R) / 2); };
      var y = function (v) { return T + (H - T - B) * (1 - v / max); };
      var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'trend-svg', id: 'perf-trend', role: 'img',
        'aria-label': '近四个季度的服务、推荐、录用和新登记人数' });
      [0, 0.5, 1].forEach(function (f) {
        var v = Math.round(max * f);
        svg.appendChild(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }));
        svg.appendChild(s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis-label' }, String(v)));
      });
      trend.forEach(function (q, i) {
        svg.appendChild(s('text', { x: x(i), y: H - 8, 'text-anchor': 'middle', class: 'axis-label' }, q.quarter));
      });
      series.forEach(function (m) {
        var pts = trend.map(function (q, i) { return x(i).toFixed(1) + ',' + y(q[m[0]]).toFixed(1); }).join(' ');
        svg.appendChild(s('polyline', { points: pts, class: 'trend-line ' + m[2], dataset: null },
          s('title', null, m[1])));
        trend.forEach(function (q, i) {
          svg.appendChild(s('circle', { cx: x(i), cy: y(q[m[0]]), r: 3, class: 'trend-dot ' + m[2] },
            s('title', null, q.quarter + ' ' + m[1] + '：' + q[m[0]])));
        });
      });
      var legend = h('p', { class: 'legend' }, series.map(function (m) {
        return [h('span', { class: 'swatch ' + m[2] }), m[1], '　'];
      }));
      return h('div', null, svg, legend);
    }

    C.addTab('performance', function (me) { return me.role !== 'employer' && C.can('stats') && C.can('services'); }, build);
    C.hooks.on('reset', function () { C.clear($('#panel-performance')); });
  }

  if (window.HJConsole) part(window.HJConsole);
  else (window.HJConsoleParts = window.HJConsoleParts || []).push(part);
})();
