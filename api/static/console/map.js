/* 服务网络 and 零工 tabs of the station console: the coverage map and the same-day gig board.
 * Plain JavaScript, no external resources. The map is drawn offline as SVG in Web Mercator:
 * stations (示范站 in gold), their service circles, the people outside every circle (red) and the
 * suggested sites (green rings). An operator may configure map tiles (MATCHER_MAP_TILE_URL, e.g.
 * an intranet tile server); without it no tile is requested. app.js calls MatcherNetwork.show(tab). */
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var W = 720, H = 480, PAD = 24;

  function $(sel) { return document.querySelector(sel); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, title) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (title) { var t = document.createElementNS(SVGNS, 'title'); t.textContent = title; e.appendChild(t); }
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  function pct(v) { return v == null ? '—' : (v * 100).toFixed(1) + '%'; }

  // Web Mercator in "world pixels" at zoom z (256 px tiles).
  function merc(lat, lng, z) {
    var s = 256 * Math.pow(2, z), r = Math.PI / 180;
    var y = Math.log(Math.tan(Math.PI / 4 + lat * r / 2));
    return { x: (lng + 180) / 360 * s, y: (1 - y / Math.PI) / 2 * s };
  }

  function drawMap(box, data) {
    var pts = [];
    data.stations.forEach(function (s) { if (s.lat != null) pts.push([s.lat, s.lng]); });
    data.uncovered_people.forEach(function (p) { pts.push([p.lat, p.lng]); });
    data.suggested_sites.forEach(function (p) { pts.push([p.lat, p.lng]); });
    if (!pts.length) { box.appendChild(el('p', { class: 'notice' }, '该区域没有带坐标的服务站或人员，无法绘图。')); return; }
    var lat0 = Math.min.apply(null, pts.map(function (p) { return p[0]; })) - 0.05;
    var lat1 = Math.max.apply(null, pts.map(function (p) { return p[0]; })) + 0.05;
    var lng0 = Math.min.apply(null, pts.map(function (p) { return p[1]; })) - 0.05;
    var lng1 = Math.max.apply(null, pts.map(function (p) { return p[1]; })) + 0.05;
    var z = 18;  // the largest zoom at which the area fits
    while (z > 3) {
      var a = merc(lat1, lng0, z), b = merc(lat0, lng1, z);
      if (b.x - a.x <= W - 2 * PAD && b.y - a.y <= H - 2 * PAD) break;
      z -= 1;
    }
    var tl = merc(lat1, lng0, z), br = merc(lat0, lng1, z);
    var ox = tl.x - (W - (br.x - tl.x)) / 2, oy = tl.y - (H - (br.y - tl.y)) / 2;
    function xy(lat, lng) { var m = merc(lat, lng, z); return { x: m.x - ox, y: m.y - oy }; }
    function kmPx(lat, km) {  // pixels per km at this latitude
      var a = xy(lat, 114), b = xy(lat + km / 111.2, 114);
      return Math.abs(a.y - b.y);
    }
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img', id: 'coverage-map',
      'aria-label': '服务圈覆盖地图：服务站、服务圈、圈外人员和建议站点' });
    root.appendChild(svg('rect', { x: 0, y: 0, width: W, height: H, fill: '#f6f8fa' }));
    if (data.map_tile_url) {  // operator-configured tiles (no request is made without one)
      var n = Math.pow(2, z);
      for (var tx = Math.floor(ox / 256); tx <= Math.floor((ox + W) / 256); tx++) {
        for (var ty = Math.floor(oy / 256); ty <= Math.floor((oy + H) / 256); ty++) {
          if (ty < 0 || ty >= n) continue;
          var url = data.map_tile_url.replace('{z}', z).replace('{x}', ((tx % n) + n) % n).replace('{y}', ty);
          root.appendChild(svg('image', { href: url, x: tx * 256 - ox, y: ty * 256 - oy, width: 256, height: 256 }));
        }
      }
    }
    var circles = svg('g', { class: 'circles' }), marks = svg('g', { class: 'marks' });
    data.stations.forEach(function (s) {
      if (s.lat == null) return;
      var p = xy(s.lat, s.lng);
      var rural = s.kind === 'village' || s.kind === 'relocation_site';
      var r = kmPx(s.lat, rural ? s.rural_radius_km : s.urban_radius_km);
      circles.appendChild(svg('circle', { cx: p.x, cy: p.y, r: Math.max(r, 2), class: 'svc-circle',
        fill: 'rgba(31,111,235,0.12)', stroke: '#1f6feb', 'stroke-width': 1 }));
      marks.appendChild(svg('rect', { x: p.x - 5, y: p.y - 5, width: 10, height: 10, class: 'station',
        fill: s.demonstration ? '#d4a017' : '#1f6feb', stroke: '#fff' },
        s.name + (s.demonstration ? '（示范站）' : '')));
    });
    data.uncovered_people.forEach(function (u) {
      var p = xy(u.lat, u.lng);
      marks.appendChild(svg('circle', { cx: p.x, cy: p.y, r: u.priority ? 4 : 3, class: 'uncovered',
        fill: u.priority ? '#8b0000' : '#d1242f' }, u.priority ? '圈外就业援助对象' : '圈外人员'));
    });
    data.suggested_sites.forEach(function (site, i) {
      var p = xy(site.lat, site.lng);
      marks.appendChild(svg('circle', { cx: p.x, cy: p.y, r: 9, class: 'site', fill: 'none', stroke: '#1a7f37',
        'stroke-width': 3 }, '建议站点' + (i + 1) + '：' + (site.name || site.code) + '，新覆盖' + site.newly_covered + '人'));
      var t = svg('text', { x: p.x + 11, y: p.y + 4, 'font-size': 12, fill: '#1a7f37' });
      t.textContent = String(i + 1);
      marks.appendChild(t);
    });
    root.appendChild(circles);
    root.appendChild(marks);
    box.appendChild(root);
    box.appendChild(el('p', { class: 'hint' }, '蓝色方块：服务站（金色为示范站）；浅蓝圆：服务圈；红点：圈外人员（深红为就业援助对象）；' +
      '绿圈：建议新站点。' + (data.map_tile_url ? '' : '未配置底图，按坐标绘制示意图。')));
  }

  function renderCoverage(box, d) {
    clear(box);
    var c = d.circle;
    box.appendChild(el('p', { id: 'coverage-summary' },
      '登记人员 ' + d.people + ' 人，服务圈内 ' + d.covered + ' 人（' + pct(d.share) + '）；就业援助对象 ' +
      d.priority_people + ' 人，圈内 ' + d.priority_covered + ' 人（' + pct(d.priority_share) + '）。服务圈：城市步行' +
      c.urban_walk_minutes + '分钟（直线约' + c.urban_radius_km + '公里），乡村' + c.rural_km + '公里。'));
    drawMap(box, d);
    var names = {};
    d.villages.forEach(function (v) { names[v.code] = v.name || v.code; });
    if (d.uncovered_villages.length) {
      box.appendChild(el('h3', {}, '服务圈外的村'));
      var ul = el('ul', { id: 'uncovered-villages' });
      d.uncovered_villages.forEach(function (code) { ul.appendChild(el('li', {}, names[code] + '（' + code + '）')); });
      box.appendChild(ul);
    }
    box.appendChild(el('h3', {}, '建议新站点'));
    var ol = el('ol', { id: 'suggested-sites' });
    d.suggested_sites.forEach(function (s) {
      ol.appendChild(el('li', {}, (s.name || s.code) + '：新覆盖 ' + s.newly_covered + ' 人（其中援助对象 ' +
        s.newly_covered_priority + ' 人）'));
    });
    if (!d.suggested_sites.length) ol.appendChild(el('li', {}, '无需新增站点'));
    box.appendChild(ol);
  }

  function renderGigs(box, d) {
    clear(box);
    box.appendChild(el('h3', {}, d.station.name + ' ' + d.date + ' 零工' + (d.closed ? '（该日已结束）' : '')));
    var t = el('table', { id: 'gig-table', class: 'grid' });
    var head = el('tr');
    ['可达', '时间', '岗位', '报酬', '距离'].forEach(function (x) { head.appendChild(el('th', { scope: 'col' }, x)); });
    t.appendChild(head);
    d.gigs.forEach(function (g) {
      var tr = el('tr', { 'data-id': g.id });
      var pay = g.pay_per_day != null ? g.pay_per_day + '元/天' : (g.pay_per_hour != null ? g.pay_per_hour + '元/小时' : '');
      [g.reach_zh, (g.shift_start || '') + '–' + (g.shift_end || ''), g.title, pay,
        g.distance_km == null ? '' : g.distance_km + '公里'].forEach(function (x) { tr.appendChild(el('td', {}, x)); });
      t.appendChild(tr);
    });
    if (!d.gigs.length) box.appendChild(el('p', { class: 'notice' }, '当天没有零工岗位。'));
    else box.appendChild(t);
    box.appendChild(el('h3', {}, '当天有空的人员（' + d.people.length + '人）'));
    var ul = el('ul', { id: 'gig-people' });
    d.people.forEach(function (p) {
      ul.appendChild(el('li', { 'data-id': p.id }, (p.name || p.id) + (p.priority ? '【援助对象】' : '') + ' · ' + p.reach_zh +
        (p.distance_km == null ? '' : ' · ' + p.distance_km + '公里')));
    });
    box.appendChild(ul);
  }

  function fail(box, err) {
    clear(box).appendChild(el('p', { class: 'notice error' }, (err && err.message) || '加载失败'));
  }

  function loadCoverage(ctx) {
    var st = ctx.station();
    var region = $('#coverage-region').value || (st && st.region_code ? st.region_code.slice(0, 6) : '');
    var box = $('#coverage-body');
    clear(box).appendChild(el('p', { class: 'notice' }, '正在计算覆盖……'));
    return ctx.api('/v1/coverage' + (region ? '?region_code=' + encodeURIComponent(region) : ''))
      .then(function (d) { renderCoverage(box, d); }, function (err) { fail(box, err); });
  }

  function loadGigs(ctx) {
    var st = ctx.station();
    var box = $('#gigs-body');
    if (!st) { clear(box).appendChild(el('p', { class: 'notice' }, '请先选择服务站。')); return Promise.resolve(); }
    var day = $('#gigs-date').value;
    return ctx.api('/v1/gigs?station_id=' + encodeURIComponent(st.id) + (day ? '&date=' + day : ''))
      .then(function (d) { renderGigs(box, d); }, function (err) { fail(box, err); });
  }

  var bound = false;
  function bind(ctx) {
    if (bound) return;
    bound = true;
    $('#coverage-form').addEventListener('submit', function (ev) { ev.preventDefault(); loadCoverage(ctx); });
    $('#gigs-form').addEventListener('submit', function (ev) { ev.preventDefault(); loadGigs(ctx); });
  }

  window.MatcherNetwork = {
    show: function (tab, ctx) {
      bind(ctx);
      if (tab === 'network') return loadCoverage(ctx);
      if (tab === 'gigs') return loadGigs(ctx);
    }
  };
})();
