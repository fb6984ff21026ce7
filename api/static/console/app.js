/* 基层就业服务站工作台 — plain JavaScript, no build step, no external resources.
 * Talks to the JSON API of the same origin (docs/api.md) with a bearer token (`matcher users add`).
 * The token lives in sessionStorage only (a station PC is shared): it goes with the tab, and 退出
 * or any 401 answer clears it and everything the previous account had on screen. */
(function () {
  'use strict';

  // The page lives at <prefix>/console; the API at <prefix>/v1 (works behind a path prefix too).
  var BASE = location.pathname.replace(/\/console\/?$/, '');
  var STATION_KEY = 'hebei-matcher.console.station';   // localStorage: not secret, kept across visits
  var TOKEN_KEY = 'hebei-matcher.console.token';       // sessionStorage only, never localStorage
  var MSG_EXPIRED = '令牌无效或已过期，请重新登录';

  // ---- Chinese labels for the contract's closed value sets -------------------------------------
  var ZH = {
    education: {
      none: '不限', primary: '小学', junior_high: '初中', senior_high: '高中', vocational: '中专/技校',
      associate: '大专', bachelor: '本科', master: '硕士', doctor: '博士'
    },
    employment_type: { full_time: '全职', part_time: '兼职', gig: '零工', internship: '实习', seasonal: '季节性用工' },
    priority: {
      zero_employment_family: '零就业家庭', disabled: '残疾人', long_term_unemployed: '长期失业人员',
      older_4050: '“4050”人员', low_income: '低保家庭', poverty_alleviated: '脱贫人口', relocated: '易地搬迁群众',
      graduate: '未就业高校毕业生', veteran: '退役军人', migrant_worker: '返乡农民工'
    },
    seeker_status: { unemployed: '未就业', employed: '已就业', seeking: '求职中' },
    job_status: { open: '招聘中', paused: '暂停招聘', filled: '已招满', closed: '已关闭' },
    referral_status: {
      recommended: '已推荐', interviewing: '面试中', hired: '已录用', rejected: '未录用', withdrawn: '已撤回'
    },
    station_kind: {
      community: '社区', village: '村', school: '高校', relocation_site: '安置点', industrial_park: '园区',
      gig_market: '零工市场'
    },
    gender: { male: '男', female: '女' },
    area_type: { urban: '城镇', rural: '农村' }
  };
  // Moves the API allows (docs/api.md, 推荐 → 面试 → 录用/未录用).
  var NEXT_STATUS = {
    recommended: ['interviewing', 'hired', 'rejected', 'withdrawn'],
    interviewing: ['hired', 'rejected', 'withdrawn']
  };
  var STATUS_ACTION = { interviewing: '安排面试', hired: '录用', rejected: '未录用', withdrawn: '撤回推荐' };
  var JOB_FIELD_ZH = {
    id: '岗位编号', title: '岗位名称', description: '岗位描述', skills: '技能要求', occupation_code: '职业编码',
    employer_id: '单位编号', employer_name: '用人单位', region_code: '区划代码', address: '工作地址', lat: '纬度',
    lng: '经度', wage_min: '月薪下限', wage_max: '月薪上限', employment_type: '用工形式', education_min: '最低学历',
    experience_years_min: '工作经验', headcount: '招聘人数', accessible: '无障碍岗位',
    priority_groups_welcome: '欢迎的就业困难人员', posted_at: '发布日期', expires_at: '截止日期', status: '招聘状态',
    age_min: '最小年龄', age_max: '最大年龄', licenses_required: '必需证书', public_welfare: '公益性岗位'
  };
  // Form field -> how its value is read and written.
  var JOB_FORM = {
    id: 'text', title: 'text', employer_name: 'text', employer_id: 'text', occupation_code: 'text',
    employment_type: 'select', status: 'select', headcount: 'number', wage_min: 'number', wage_max: 'number',
    education_min: 'select', experience_years_min: 'number', age_min: 'number', age_max: 'number',
    skills: 'list', licenses_required: 'list', description: 'text', region_code: 'text', address: 'text',
    lat: 'number', lng: 'number', accessible: 'bool', public_welfare: 'bool', priority_groups_welcome: 'checks',
    posted_at: 'date', expires_at: 'date'
  };

  var state = {
    stations: [],
    stationId: '',
    seeker: null,
    matches: [],
    referrals: [],
    jobs: new Map(),        // job id -> job record (cache for titles and coordinates)
    editingJob: null,       // the stored job being edited (null: a new job)
    savedJobId: null,
    digestLoadedFor: null,
    statsLoadedFor: null,   // "<station>|<region prefix>" of the statistics on screen
    regionNames: {}         // region prefix -> its name (learnt from /v1/stats answers)
  };

  // ---- small helpers --------------------------------------------------------------------------
  function $(sel) { return document.querySelector(sel); }

  function h(tag, attrs) {
    var el = document.createElement(tag);
    setAttrs(el, attrs);
    appendAll(el, Array.prototype.slice.call(arguments, 2));
    return el;
  }

  var SVG_NS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs) {
    var el = document.createElementNS(SVG_NS, tag);
    setAttrs(el, attrs);
    appendAll(el, Array.prototype.slice.call(arguments, 2));
    return el;
  }

  function setAttrs(el, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'class') el.setAttribute('class', v);
      else if (k === 'text') el.textContent = v;
      else if (k.slice(0, 2) === 'on' && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.keys(v).forEach(function (d) { el.dataset[d] = v[d]; });
      else el.setAttribute(k, v === true ? '' : String(v));
    });
  }

  function appendAll(el, children) {
    children.forEach(function (c) {
      if (Array.isArray(c)) { appendAll(el, c); return; }
      if (c === null || c === undefined || c === false || c === '') return;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    });
  }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function enc(v) { return encodeURIComponent(v); }
  function zh(set, v) { return (v && ZH[set][v]) || v || ''; }

  function todayISO() {
    var d = new Date();
    return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
  }

  function ageOf(birth) {
    if (!birth) return null;
    var b = new Date(birth + 'T00:00:00');
    if (isNaN(b.getTime())) return null;
    var now = new Date();
    var age = now.getFullYear() - b.getFullYear();
    if (now.getMonth() < b.getMonth() || (now.getMonth() === b.getMonth() && now.getDate() < b.getDate())) age -= 1;
    return age;
  }

  function maskPhone(p) { return p ? (p.length >= 7 ? p.slice(0, 3) + '****' + p.slice(-4) : p) : ''; }

  function isNum(v) { return typeof v === 'number' && isFinite(v); }

  function wageText(lo, hi) {
    var a = isNum(lo) ? Math.round(lo) : null;
    var b = isNum(hi) ? Math.round(hi) : null;
    if (a !== null && b !== null) return a === b ? '月薪 ' + a + ' 元' : '月薪 ' + a + '–' + b + ' 元';
    if (a !== null) return '月薪 ' + a + ' 元起';
    if (b !== null) return '月薪最高 ' + b + ' 元';
    return '薪资面议';
  }

  function kmText(km) {
    if (!isNum(km)) return '';
    if (km < 0.1) return '不到 0.1 公里';
    return '约 ' + (km < 10 ? km.toFixed(1) : String(Math.round(km))) + ' 公里';
  }

  function distanceText(b) {
    if (b && b.distance_band) return b.distance_band;  // an employer's view: a band, never the distance
    if (!b || !isNum(b.distance_km)) return '距离未知';
    var t = '距离' + kmText(b.distance_km);
    if (isNum(b.travel_minutes) && b.travel_minutes <= 180) t += '，约 ' + Math.max(1, Math.round(b.travel_minutes)) + ' 分钟';
    return t;
  }

  function listOf(data) { return Array.isArray(data) ? data : (data && Array.isArray(data.data) ? data.data : []); }

  // ---- API --------------------------------------------------------------------------------------
  // The API's messages are "中文 / English": the console shows the Chinese part only.
  // "中文 / English" -> "中文" (with or without a space before the slash)
  function cnOnly(text) { return text ? String(text).split(/\s*\/\s+(?=[A-Za-z])/)[0] : ''; }

  function ApiError(status, body) {
    this.name = 'ApiError';
    this.status = status;
    this.body = body || {};
    this.message = cnOnly(body && body.message) || ('请求失败（' + status + '）');
  }
  ApiError.prototype = Object.create(Error.prototype);

  // A promise that never settles: the answer to a request of an account that has since logged out
  // (or whose token was refused) is dropped, so nothing of it reaches the screen of the next one.
  function never() { return new Promise(function () {}); }

  /* fetch with the account's token. opts: method, body (JSON), token (instead of the stored one),
   * login (a 401 is the caller's to show, not a logout), raw (resolve with the Response itself). */
  function api(path, opts) {
    opts = opts || {};
    var token = opts.token || auth.token;
    var gen = auth.gen;
    var init = { method: opts.method || 'GET', headers: { Accept: opts.raw ? '*/*' : 'application/json' },
      credentials: 'same-origin', cache: 'no-store' };
    if (token) init.headers.Authorization = 'Bearer ' + token;
    if (opts.body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    return fetch(BASE + path, init).then(function (res) {
      if (gen !== auth.gen) return never();
      if (res.status === 401 && !opts.login) {
        logout(MSG_EXPIRED);
        return never();
      }
      if (res.status === 204) return null;
      if (opts.raw && res.ok) return res;
      return res.text().then(function (text) {
        if (gen !== auth.gen) return never();
        var data = null;
        if (text) { try { data = JSON.parse(text); } catch (e) { data = { message: text.slice(0, 200) }; } }
        if (!res.ok) throw new ApiError(res.status, data);
        return data;
      });
    }, function () {
      if (gen !== auth.gen) return never();
      throw new ApiError(0, { code: 'network', message: '无法连接服务器，请检查网络后重试' });
    });
  }

  // ---- login ------------------------------------------------------------------------------------
  var auth = {
    token: null,
    me: null,   // GET /v1/me: {name, role, role_zh, region_code, employer_id, permissions}
    gen: 0      // bumped at every login and logout; answers to an older generation are dropped
  };

  function storedToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }

  function storeToken(token) {
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: the token lasts for this page only */ }
  }

  function can(resource, verb) {
    var perms = (auth.me && auth.me.permissions) || {};
    return (perms[resource] || []).indexOf(verb || 'read') >= 0;
  }

  // The account's area by name (learnt from /v1/stats) or its employer's name; never a bare code.
  function accountText(me) {
    var scope = me.employer_id ? (auth.employerName || '') : (auth.areaName || '');
    return '当前账号：' + me.name + '（' + (me.role_zh || me.role) + (scope ? '，' + scope : '') + '）';
  }

  function loginMessage(text, kind) {
    var err = $('#login-error');
    var note = $('#login-status');
    err.textContent = kind === 'error' ? text : '';
    err.hidden = !(kind === 'error' && text);
    note.textContent = kind !== 'error' ? (text || '') : '';
    note.hidden = !(kind !== 'error' && text);
    if (kind === 'error' && text) $('#login-token').setAttribute('aria-invalid', 'true');
    else $('#login-token').removeAttribute('aria-invalid');
  }

  function showLogin(text, kind) {
    document.body.dataset.auth = 'out';
    delete document.body.dataset.ready;
    ['#workspace', '#tabs', '#station-picker', '#account'].forEach(function (sel) { $(sel).hidden = true; });
    $('#login-panel').hidden = false;
    $('#btn-login').disabled = false;
    $('#btn-login').textContent = '登录';
    document.title = '登录 · 基层就业服务站 · 岗位匹配工作台';
    loginMessage(text, kind);
    var input = $('#login-token');
    input.focus();
    if (input.value) input.select();
  }

  function submitLogin(ev) {
    ev.preventDefault();
    var input = $('#login-token');
    var token = input.value.trim();
    if (!token) { loginMessage('请输入访问令牌', 'error'); input.focus(); return; }
    if (/[^\x21-\x7e]/.test(token)) { loginMessage('令牌格式不正确，请检查是否完整复制', 'error'); input.focus(); return; }
    var btn = $('#btn-login');
    btn.disabled = true;
    btn.textContent = '正在登录…';
    loginMessage('', null);
    api('/v1/me', { token: token, login: true }).then(function (me) {
      input.value = '';
      enter(token, me, true);
    }).catch(function (err) {
      btn.disabled = false;
      btn.textContent = '登录';
      loginMessage(err.status === 401 ? MSG_EXPIRED : '登录失败：' + err.message, 'error');
      input.focus();
      input.select();
    });
  }

  // A token found in this tab (a reload): check it before showing anything.
  function resume() {
    var token = storedToken();
    if (!token) { showLogin(); return; }
    document.body.dataset.auth = 'checking';
    api('/v1/me', { token: token, login: true }).then(function (me) {
      enter(token, me);
    }).catch(function (err) {
      if (err.status === 401) { storeToken(''); showLogin(MSG_EXPIRED, 'error'); return; }
      showLogin('无法验证登录状态：' + err.message + '。请重新登录。', 'error');
    });
  }

  function enter(token, me, focusTab) {
    auth.gen += 1;
    auth.token = token;
    auth.me = me;
    storeToken(token);
    resetWorkspace();
    document.body.dataset.auth = 'in';
    document.body.dataset.role = me.role || '';
    $('#account-line').textContent = accountText(me);
    $('#login-panel').hidden = true;
    loginMessage('', null);
    ['#workspace', '#tabs', '#station-picker', '#account'].forEach(function (sel) { $(sel).hidden = false; });
    applyPermissions();
    showTab(location.hash.replace('#', ''));
    var tab = currentTab() && $('#tab-' + currentTab());
    if (tab && focusTab) tab.focus();  // from the login form, whose input has just disappeared
    auth.areaName = '';
    if (me.role === 'employer' && me.employer_id) {
      api('/v1/employers/' + enc(me.employer_id)).then(function (e) {
        auth.employerName = (e && e.name) || '';
        $('#account-line').textContent = accountText(me);
      }, function () {});
    } else if (me.region_code && can('stats')) {
      api('/v1/stats?by=status&region_code=' + enc(me.region_code)).then(function (d) {
        auth.areaName = (d && d.region_name) || (me.region_code.length === 2 ? '河北省' : '');
        $('#account-line').textContent = accountText(me);
      }, function () {});
    }
    hooks.run('login', me);
    return loadStations().then(function () { document.body.dataset.ready = 'true'; });
  }

  // 退出, or a token the API no longer accepts: forget the token and whatever was on screen.
  function logout(text, kind) {
    auth.gen += 1;
    auth.token = null;
    auth.me = null;
    auth.employerName = '';
    storeToken('');
    resetWorkspace();
    delete document.body.dataset.role;
    showLogin(text, kind || 'error');
  }

  function resetWorkspace() {
    if (toastTimer) clearTimeout(toastTimer);
    $('#toast').hidden = true;
    state.stations = [];
    state.seeker = null;
    state.matches = [];
    state.referrals = [];
    state.jobs = new Map();
    state.editingJob = null;
    state.savedJobId = null;
    state.digestLoadedFor = null;
    state.statsLoadedFor = null;
    state.regionNames = {};
    clear($('#station-select')).appendChild(h('option', { value: '' }, '（请选择服务站）'));
    $('#station-hint').textContent = '';
    $('#account-line').textContent = '';
    // 求职者
    $('#seeker-search').reset();
    ['#seeker-results', '#seeker-name', '#seeker-facts', '#match-status', '#match-list', '#distance-view',
      '#referral-list', '#print-head', '#print-foot'].forEach(function (sel) { clear($(sel)); });
    $('#seeker-detail').hidden = true;
    // 岗位
    $('#job-search').reset();
    $('#job-form').reset();
    clearJobErrors();
    $('#job-form').hidden = true;
    field('id').readOnly = false;
    field('employer_id').readOnly = false;
    $('#btn-job-candidates').hidden = true;
    clear($('#job-results'));
    clear($('#candidate-list'));
    $('#job-candidates').hidden = true;
    // 今日推送, 统计
    clear($('#digest-body'));
    $('#digest-html').hidden = true;
    $('#digest-csv').hidden = true;
    $('#digest-date').value = todayISO();
    ['#stats-body', '#stats-status', '#stats-print-head'].forEach(function (sel) { clear($(sel)); });
    fillStatsRegions();
    document.title = '基层就业服务站 · 岗位匹配工作台';
    hooks.run('reset');
  }

  function initLogin() {
    $('#login-form').addEventListener('submit', submitLogin);
    $('#btn-logout').addEventListener('click', function () { logout('已退出登录。', 'info'); });
    // another tab of this origin cannot see this tab's sessionStorage; nothing to sync
  }

  // ---- notices ---------------------------------------------------------------------------------
  var toastTimer = null;
  function toast(msg, kind) {
    var el = $('#toast');
    el.textContent = msg;
    el.className = 'toast ' + (kind || 'ok');
    el.hidden = false;
    if (toastTimer) clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, kind === 'error' ? 8000 : 4000);
  }

  function report(err) {
    toast((err && err.message) || '操作失败', 'error');
  }

  function statusLine(el, text, kind) {
    clear(el);
    if (text) el.appendChild(h('p', { class: 'notice ' + (kind || '') }, text));
  }

  // ---- tabs -------------------------------------------------------------------------------------
  var TABS = ['seekers', 'jobs', 'digest', 'stats', 'network', 'gigs'];
  // What each tab needs of the account (GET /v1/me's permissions); a tab it cannot use is hidden.
  var TAB_NEEDS = { seekers: ['seekers', 'matches'], jobs: ['jobs'], digest: ['digests'], stats: ['stats'],
    network: ['coverage'], gigs: ['gigs'] };
  var TAB_SHOW = {};  // tabs added by other scripts (HJConsole.addTab): what to do when shown

  function allowedTabs() {
    return TABS.filter(function (t) {
      var needs = TAB_NEEDS[t];
      if (typeof needs === 'function') return needs(auth.me || {});
      return needs.every(function (r) { return can(r, 'read'); });
    });
  }

  function currentTab() {
    for (var i = 0; i < TABS.length; i++) if (!$('#panel-' + TABS[i]).hidden) return TABS[i];
    return null;
  }

  function applyPermissions() {
    var allowed = allowedTabs();
    TABS.forEach(function (t) { $('#tab-' + t).hidden = allowed.indexOf(t) < 0; });
    $('#no-tabs').hidden = allowed.length > 0;
  }

  function showTab(name, focus) {
    var allowed = allowedTabs();
    if (allowed.indexOf(name) < 0) name = allowed[0];
    TABS.forEach(function (t) {
      var tab = $('#tab-' + t);
      var on = t === name;
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
      tab.tabIndex = on ? 0 : -1;
      $('#panel-' + t).hidden = !on;
    });
    if (!name) return;
    if (focus) $('#tab-' + name).focus();
    if (location.hash !== '#' + name) history.replaceState(null, '', '#' + name);
    if (name === 'digest') maybeLoadDigest();
    if (name === 'stats') maybeLoadStats();
    if (TAB_SHOW[name]) TAB_SHOW[name]();
    if ((name === 'network' || name === 'gigs') && window.MatcherNetwork) {  // map.js
      window.MatcherNetwork.show(name, { api: api, station: currentStation });
    }
  }

  function initTabs() {
    TABS.forEach(bindTab);
  }

  function bindTab(t) {
    (function () {
      var tab = $('#tab-' + t);
      tab.addEventListener('click', function () { showTab(t); });
      tab.addEventListener('keydown', function (ev) {
        var shown = allowedTabs();  // arrows move between the tabs this account has
        var i = shown.indexOf(t);
        var next = null;
        if (ev.key === 'ArrowRight') next = shown[(i + 1) % shown.length];
        else if (ev.key === 'ArrowLeft') next = shown[(i + shown.length - 1) % shown.length];
        else if (ev.key === 'Home') next = shown[0];
        else if (ev.key === 'End') next = shown[shown.length - 1];
        if (next) { ev.preventDefault(); showTab(next, true); }
      });
    })();
  }

  // ---- stations ---------------------------------------------------------------------------------
  function currentStation() {
    for (var i = 0; i < state.stations.length; i++) if (state.stations[i].id === state.stationId) return state.stations[i];
    return null;
  }

  function stationName(id) {
    for (var i = 0; i < state.stations.length; i++) if (state.stations[i].id === id) return state.stations[i].name;
    return id || '';
  }

  function loadStations() {
    var all = [];
    function page(offset) {
      return api('/v1/stations?limit=200&offset=' + offset).then(function (res) {
        var rows = listOf(res);
        all = all.concat(rows);
        var total = res && isNum(res.count) ? res.count : all.length;
        if (rows.length && all.length < total && all.length < 5000) return page(all.length);
        return all;
      });
    }
    return page(0).then(function (stations) {
      state.stations = stations;
      var sel = $('#station-select');
      var saved = '';
      try { saved = localStorage.getItem(STATION_KEY) || ''; } catch (e) { saved = ''; }
      clear(sel).appendChild(h('option', { value: '' }, '（请选择服务站）'));
      stations.forEach(function (st) {
        var kind = zh('station_kind', st.kind);
        sel.appendChild(h('option', { value: st.id }, st.name + (kind ? '（' + kind + '）' : '')));
      });
      var known = stations.some(function (st) { return st.id === saved; });
      // an account with one station (or one station exactly at its area's code) starts on it
      var own = (auth.me && auth.me.region_code) || '';
      var exact = stations.filter(function (st) { return own.length > 6 && st.region_code === own; });
      var only = stations.length === 1 ? stations[0] : (exact.length === 1 ? exact[0] : null);
      state.stationId = known ? saved : (only ? only.id : '');
      sel.value = state.stationId;
      $('#station-hint').textContent = stations.length ? '' : '尚无服务站记录';
      stationChanged();
    }).catch(function (err) {
      $('#station-hint').textContent = '服务站列表加载失败';
      report(err);
    });
  }

  function stationChanged() {
    var st = currentStation();
    hooks.run('station', st);
    document.title = (st ? st.name + ' · ' : '') + '基层就业服务站 · 岗位匹配工作台';
    updatePrintHead();
    state.digestLoadedFor = null;
    if (!$('#panel-digest').hidden) maybeLoadDigest();
    fillStatsRegions();
    state.statsLoadedFor = null;
    if (!$('#panel-stats').hidden) maybeLoadStats();
  }

  function initStations() {
    $('#station-select').addEventListener('change', function (ev) {
      state.stationId = ev.target.value;
      try {
        if (state.stationId) localStorage.setItem(STATION_KEY, state.stationId);
        else localStorage.removeItem(STATION_KEY);
      } catch (e) { /* storage may be disabled; the choice then lasts for this page only */ }
      stationChanged();
      var st = currentStation();
      if (st) toast('已切换到：' + st.name);
    });
  }

  // ---- seekers ----------------------------------------------------------------------------------
  function searchSeekers(ev) {
    if (ev) ev.preventDefault();
    var q = $('#seeker-q').value.trim();
    var out = $('#seeker-results');
    if (!q) { statusLine(out, '请输入姓名或手机后四位', 'warn'); $('#seeker-q').focus(); return; }
    var params = new URLSearchParams({ q: q, limit: '20' });
    if ($('#seeker-own').checked && state.stationId) params.set('station_id', state.stationId);
    statusLine(out, '正在查询…');
    api('/v1/seekers?' + params.toString()).then(function (res) {
      var rows = listOf(res);
      clear(out);
      if (!rows.length) {
        statusLine(out, '没有找到“' + q + '”。' + ($('#seeker-own').checked ? '可取消“只看本站登记”后再试。' : ''), 'warn');
        return;
      }
      var total = res && isNum(res.count) ? res.count : rows.length;
      out.appendChild(h('p', { class: 'count' }, '找到 ' + total + ' 人' + (total > rows.length ? '，显示前 ' + rows.length + ' 人，请输入更完整的姓名' : '')));
      var tbody = h('tbody');
      rows.forEach(function (p) {
        var age = ageOf(p.birth_date);
        tbody.appendChild(h('tr', null,
          h('td', null, p.name || p.id),
          h('td', null, zh('gender', p.gender)),
          h('td', null, age !== null ? age + ' 岁' : ''),
          h('td', null, maskPhone(p.phone)),
          h('td', null, zh('seeker_status', p.status)),
          h('td', null, (p.priority_groups || []).map(function (g) { return h('span', { class: 'tag prio' }, zh('priority', g)); })),
          h('td', null, stationName(p.station_id)),
          h('td', null, h('button', {
            type: 'button', class: 'open-seeker', dataset: { id: p.id },
            'aria-label': '查看 ' + (p.name || p.id), onclick: function () { openSeeker(p.id); }
          }, '查看'))
        ));
      });
      out.appendChild(h('table', { class: 'table' },
        h('caption', { class: 'sr-only' }, '求职者查询结果'),
        h('thead', null, h('tr', null, ['姓名', '性别', '年龄', '手机', '就业状态', '就业困难类别', '登记服务站', '操作'].map(function (t) {
          return h('th', { scope: 'col' }, t);
        }))),
        tbody));
    }).catch(function (err) { statusLine(out, err.message, 'error'); });
  }

  function openSeeker(id) {
    return api('/v1/seekers/' + enc(id)).then(function (seeker) {
      state.seeker = seeker;
      state.matches = [];
      state.referrals = [];
      renderSeeker();
      $('#seeker-detail').hidden = false;
      $('#seeker-detail').scrollIntoView({ block: 'start' });
      hooks.run('seeker', seeker);
      return Promise.all([loadMatches(), loadReferrals()]);
    }).catch(report);
  }

  function reloadSeeker() {
    if (!state.seeker) return Promise.resolve();
    var before = state.seeker.status;
    return api('/v1/seekers/' + enc(state.seeker.id)).then(function (seeker) {
      state.seeker = seeker;
      renderSeeker();
      // keep the search results in step (their status column)
      if (seeker.status !== before && $('#seeker-q').value.trim() && $('#seeker-results').firstChild) searchSeekers();
    });
  }

  function fact(dl, label, value) {
    if (value === null || value === undefined || value === '' || (Array.isArray(value) && !value.length)) return;
    dl.appendChild(h('div', { class: 'fact' }, h('dt', null, label), h('dd', null, value)));
  }

  function renderSeeker() {
    var p = state.seeker;
    $('#seeker-name').textContent = (p.name || p.id);
    var dl = clear($('#seeker-facts'));
    var age = ageOf(p.birth_date);
    fact(dl, '就业状态', h('span', { class: 'tag status-' + (p.status || ''), id: 'seeker-status', dataset: { status: p.status || '' } },
      zh('seeker_status', p.status)));
    fact(dl, '性别/年龄', [zh('gender', p.gender), age !== null ? age + ' 岁' : ''].filter(Boolean).join('，'));
    fact(dl, '学历', zh('education', p.education));
    fact(dl, '手机', maskPhone(p.phone));
    fact(dl, '求职意向', (p.desired_occupations || []).join('、'));
    fact(dl, '技能', (p.skills || []).concat(p.certificates || []).join('、'));
    fact(dl, '期望月薪', isNum(p.desired_wage_min) ? Math.round(p.desired_wage_min) + ' 元以上' : '');
    fact(dl, '用工形式', (p.employment_types || []).map(function (t) { return zh('employment_type', t); }).join('、'));
    fact(dl, '就业困难类别', (p.priority_groups || []).map(function (g) { return h('span', { class: 'tag prio' }, zh('priority', g)); }));
    fact(dl, '居住类型', zh('area_type', p.area_type));
    fact(dl, '登记服务站', stationName(p.station_id));
    updatePrintHead();
  }

  function updatePrintHead() {
    var head = $('#print-head');
    var foot = $('#print-foot');
    var st = currentStation();
    var p = state.seeker;
    clear(head);
    clear(foot);
    head.appendChild(h('p', { class: 'print-title' }, (st ? st.name : '公共就业服务站') + ' · 岗位推荐单'));
    head.appendChild(h('p', null, '求职者：' + (p ? (p.name || p.id) : '') + '　　打印日期：' + todayISO()));
    foot.appendChild(h('span', null, '以上岗位由就业服务匹配系统按匹配度排序。如需推荐或咨询，请联系' +
      (st ? st.name + (st.address ? '（' + st.address + '）' : '') : '服务站工作人员') + '。'));
  }

  // the line a list opens with when nothing relevant is within reach: the first match's first
  // reason ("本圈暂无合适岗位，…"), shown above the list instead of inside the first item
  function listHeader(rows) {
    var first = rows.length && (rows[0].breakdown || {}).nothing_reachable ? (rows[0].reasons || [])[0] : '';
    return first && /^(本圈暂无|附近暂无)/.test(first) ? first : '';
  }

  function itemReasons(m) {  // the list header is shown above the list, not in its first item
    return (m.reasons || []).filter(function (r) { return !/^(本圈暂无|附近暂无)/.test(r); });
  }

  function loadMatches() {
    var p = state.seeker;
    var list = clear($('#match-list'));
    statusLine($('#match-status'), '正在计算匹配岗位…');
    return api('/v1/seekers/' + enc(p.id) + '/matches?limit=10').then(function (res) {
      if (!state.seeker || state.seeker.id !== p.id) return;
      state.matches = listOf(res);
      statusLine($('#match-status'), !state.matches.length ? '暂时没有符合条件的岗位。' : listHeader(state.matches), 'warn');
      state.matches.forEach(function (m, i) { list.appendChild(matchItem(m, i + 1)); });
      markReferred();
      renderDistance();  // the matches' summaries carry each job's place (also of jobs outside the account's area)
    }).catch(function (err) {
      statusLine($('#match-status'), err.status === 503 ? '系统正在准备岗位索引，请稍后点“刷新匹配”。' : err.message, 'error');
      renderDistance();
    });
  }

  var REACH_ZH = { inside_circle: '就业圈内', within_reach: '通勤范围内', cooperation: '劳务协作地区', beyond_reach: '超出通勤范围' };

  function matchItem(m, rank) {
    var sm = m.summary || {};
    var b = m.breakdown || {};
    var meta = [wageText(sm.wage_min, sm.wage_max), zh('employment_type', sm.employment_type),
      sm.headcount ? '招 ' + sm.headcount + ' 人' : ''].filter(Boolean).join(' · ');
    var where = distanceText(b);
    var circle = isNum(b.distance_km) ? h('span', { class: 'tag ' + (b.reach === 'beyond_reach' ? 'outside' : 'inside') },
      REACH_ZH[b.reach] || (b.inside_circle ? '就业圈内' : '就业圈外')) : null;
    var consent = h('input', { type: 'checkbox', class: 'refer-consent', dataset: { job: m.id },
      'aria-label': '求职者同意向' + (sm.employer_name || '该单位') + '提供联系方式' });
    var btn = h('button', {
      type: 'button', class: 'refer primary', dataset: { job: m.id },
      'aria-label': '推荐岗位：' + (sm.title || m.id), onclick: function () { refer(m, btn, consent.checked); }
    }, '推荐');
    return h('li', { class: 'match', dataset: { job: m.id } },
      h('div', { class: 'rank', 'aria-hidden': 'true' }, String(rank)),
      h('div', { class: 'match-body' },
        h('h4', { class: 'match-title' }, h('span', { class: 'title' }, sm.title || m.id),
          sm.employer_name ? h('span', { class: 'employer' }, sm.employer_name) : null),
        h('p', { class: 'meta' }, meta),
        h('p', { class: 'where' }, where, ' ', circle),
        sm.address ? h('p', { class: 'address' }, '地址：' + sm.address) : null,
        h('ul', { class: 'reasons', 'aria-label': '推荐理由' }, itemReasons(m).map(function (r) { return h('li', null, r); }))
      ),
      h('div', { class: 'match-side' },
        h('div', { class: 'score', title: '匹配度（0-100，越高越合适）' },
          h('span', { class: 'score-label' }, '匹配度'), h('span', { class: 'score-value' }, isNum(m.score) ? m.score.toFixed(0) : '')),
        h('div', { class: 'no-print refer-box' }, btn,
          h('label', { class: 'check consent' }, consent, ' 本人同意向该单位提供联系方式')))
    );
  }

  function refer(m, btn, consent) {
    var p = state.seeker;
    var body = { seeker_id: p.id, job_id: m.id, consent: !!consent };
    if (state.stationId) body.station_id = state.stationId;
    btn.disabled = true;
    btn.textContent = '推荐中…';
    api('/v1/referrals', { method: 'POST', body: body }).then(function () {
      toast('已推荐：' + ((m.summary && m.summary.title) || m.id) + (consent ? '（已记录本人同意提供联系方式）' : ''));
      return loadReferrals();
    }).catch(function (err) {
      btn.disabled = false;
      btn.textContent = '推荐';
      report(err);
    });
  }

  function markReferred() {
    var open = {};
    state.referrals.forEach(function (r) { if (r.status !== 'withdrawn') open[r.job_id] = r.status; });
    Array.prototype.forEach.call(document.querySelectorAll('#match-list button.refer'), function (btn) {
      var st = open[btn.dataset.job];
      if (st) {
        btn.disabled = true;
        btn.textContent = zh('referral_status', st);
      } else {
        btn.disabled = false;
        btn.textContent = '推荐';
      }
    });
  }

  function loadJobDetails(ids) {
    var missing = ids.filter(function (id) { return !state.jobs.has(id); });
    return Promise.all(missing.map(function (id) {
      return api('/v1/jobs/' + enc(id)).then(function (j) { state.jobs.set(id, j); }, function () { state.jobs.set(id, null); });
    }));
  }

  // ---- referrals --------------------------------------------------------------------------------
  function loadReferrals() {
    var p = state.seeker;
    var box = $('#referral-list');
    return api('/v1/referrals?limit=200&seeker_id=' + enc(p.id)).then(function (res) {
      if (!state.seeker || state.seeker.id !== p.id) return;
      state.referrals = listOf(res).slice().sort(function (a, b) {
        return String(b.referred_at || '').localeCompare(String(a.referred_at || '')) || String(b.id).localeCompare(String(a.id));
      });
      markReferred();
      return loadJobDetails(state.referrals.map(function (r) { return r.job_id; })).then(renderReferrals);
    }).catch(function (err) { statusLine(box, err.message, 'error'); });
  }

  function jobTitle(id) {
    var j = state.jobs.get(id);
    if (j) return j.title + (j.employer_name ? '（' + j.employer_name + '）' : '');
    for (var i = 0; i < state.matches.length; i++) {
      if (state.matches[i].id === id && state.matches[i].summary) return state.matches[i].summary.title || id;
    }
    return id;
  }

  function renderReferrals() {
    var box = clear($('#referral-list'));
    if (!state.referrals.length) { statusLine(box, '还没有推荐记录。在上方岗位旁点“推荐”即可记录。'); return; }
    var tbody = h('tbody');
    state.referrals.forEach(function (r) {
      tbody.appendChild(h('tr', { class: 'referral', dataset: { id: r.id, job: r.job_id, status: r.status } },
        h('td', null, jobTitle(r.job_id)),
        h('td', null, r.referred_at || ''),
        h('td', null, h('span', { class: 'tag ref-' + r.status }, zh('referral_status', r.status))),
        h('td', null, [r.outcome, r.notes].filter(Boolean).join('；'),
          r.interview_at ? h('div', { class: 'hint' }, '面试：' + r.interview_at) : null,
          r.decided_at ? h('div', { class: 'hint' }, '结果日期：' + r.decided_at) : null),
        h('td', null, outcomeForm(r))
      ));
    });
    box.appendChild(h('table', { class: 'table referrals-table' },
      h('caption', { class: 'sr-only' }, '该求职者的推荐记录'),
      h('thead', null, h('tr', null, ['岗位', '推荐日期', '状态', '结果与备注', '记录结果'].map(function (t) {
        return h('th', { scope: 'col' }, t);
      }))),
      tbody));
  }

  var formSeq = 0;
  function outcomeForm(r) {
    var moves = NEXT_STATUS[r.status];
    if (!moves) return h('span', { class: 'hint' }, '已办结');
    var n = ++formSeq;
    var sel = h('select', { id: 'ref-status-' + n, class: 'ref-status', name: 'status' },
      moves.map(function (st) { return h('option', { value: st }, STATUS_ACTION[st]); }));
    var outcome = h('input', { id: 'ref-outcome-' + n, class: 'ref-outcome', name: 'outcome', type: 'text', placeholder: '如：月薪4500元，下周一上岗' });
    var notes = h('input', { id: 'ref-notes-' + n, class: 'ref-notes', name: 'notes', type: 'text' });
    var day = h('input', { id: 'ref-date-' + n, class: 'ref-date', name: 'date', type: 'date', value: todayISO() });
    var save = h('button', { type: 'submit', class: 'primary ref-save' }, '保存');
    var form = h('form', { class: 'outcome-form', 'aria-label': '记录推荐结果：' + jobTitle(r.job_id) },
      h('label', { for: 'ref-status-' + n }, '结果'), sel,
      h('label', { for: 'ref-date-' + n }, '日期'), day,
      h('label', { for: 'ref-outcome-' + n }, '说明'), outcome,
      h('label', { for: 'ref-notes-' + n }, '备注'), notes,
      save);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var status = sel.value;
      var body = { status: status };
      if (outcome.value.trim()) body.outcome = outcome.value.trim();
      if (notes.value.trim()) body.notes = notes.value.trim();
      if (day.value) {
        if (status === 'interviewing') body.interview_at = day.value;
        else body.decided_at = day.value;
      }
      save.disabled = true;
      api('/v1/referrals/' + enc(r.id), { method: 'PATCH', body: body }).then(function () {
        toast('已记录：' + zh('referral_status', status));
        return Promise.all([loadReferrals(), reloadSeeker()]);
      }).then(function () {
        if (status === 'hired' && state.seeker && state.seeker.status === 'employed') {
          toast('已记录录用，该求职者已标记为“已就业”');
        }
      }).catch(function (err) { save.disabled = false; report(err); });
    });
    return form;
  }

  // ---- distance view (SVG, no map tiles) ---------------------------------------------------------
  function niceStep(maxKm) {
    var steps = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
    for (var i = 0; i < steps.length; i++) if (maxKm / steps[i] <= 4) return steps[i];
    return steps[steps.length - 1];
  }

  function renderDistance() {
    var box = clear($('#distance-view'));
    var p = state.seeker;
    if (!p) return;
    if (!isNum(p.lat) || !isNum(p.lng)) {
      statusLine(box, '求职者未登记位置，无法绘制距离图。', 'warn');
      return;
    }
    var kx = 111.32 * Math.cos(p.lat * Math.PI / 180);
    var ky = 110.57;
    var pts = [];
    var unplaced = [];
    state.matches.forEach(function (m, i) {
      var j = state.jobs.get(m.id) || m.summary;  // a job outside the account's area: its summary has the place
      if (j && isNum(j.lat) && isNum(j.lng)) {
        pts.push({ rank: i + 1, m: m, x: (j.lng - p.lng) * kx, y: (j.lat - p.lat) * ky });
      } else {
        unplaced.push(i + 1);
      }
    });
    // the seeker's own circle, where it is a distance (rural: "5公里")
    var circleKm = null;
    var b0 = state.matches.length ? state.matches[0].breakdown || {} : {};
    var mCircle = /^([\d.]+)公里$/.exec(b0.circle || '');
    if (mCircle) circleKm = parseFloat(mCircle[1]);
    // Scale to the nearby jobs; a far one (another city) is drawn on the rim in its direction.
    pts.forEach(function (q) { q.km = Math.sqrt(q.x * q.x + q.y * q.y); });
    var dists = pts.map(function (q) { return q.km; }).sort(function (a, b) { return a - b; });
    var median = dists.length ? dists[Math.floor((dists.length - 1) / 2)] : 0;
    var focus = Math.max(2, circleKm || 0, median * 3);
    var maxKm = 0;
    dists.forEach(function (x) { if (x <= focus) maxKm = Math.max(maxKm, x); });
    maxKm = Math.max(maxKm, circleKm || 0, 1);
    var step = niceStep(maxKm);
    var rings = Math.max(1, Math.ceil(maxKm / step));
    var size = 340;
    var c = size / 2;
    var rim = c - 22;
    var scale = rim / (rings * step);
    var far = [];

    var svg = s('svg', {
      viewBox: '0 0 ' + size + ' ' + size, class: 'distance-svg', role: 'img', 'aria-labelledby': 'dv-title dv-desc'
    });
    svg.appendChild(s('title', { id: 'dv-title' }, '求职者与推荐岗位的相对位置'));
    svg.appendChild(s('desc', { id: 'dv-desc' }, '以求职者住址为中心，圆圈间隔 ' + step + ' 公里；数字为推荐排名。'));
    for (var k = rings; k >= 1; k--) {
      svg.appendChild(s('circle', { cx: c, cy: c, r: (k * step * scale).toFixed(1), class: 'ring' }));
      svg.appendChild(s('text', { x: (c + 3).toFixed(1), y: (c - k * step * scale + 11).toFixed(1), class: 'ring-label' },
        (k * step) + ' 公里'));
    }
    svg.appendChild(s('line', { x1: c, y1: 6, x2: c, y2: size - 6, class: 'axis' }));
    svg.appendChild(s('line', { x1: 6, y1: c, x2: size - 6, y2: c, class: 'axis' }));
    svg.appendChild(s('text', { x: c - 16, y: 16, class: 'compass' }, '北'));
    if (circleKm && circleKm <= rings * step) {
      svg.appendChild(s('circle', { cx: c, cy: c, r: (circleKm * scale).toFixed(1), class: 'home-circle' }));
    }
    svg.appendChild(s('circle', { cx: c, cy: c, r: 6, class: 'seeker-dot' }, s('title', null, '求职者住址')));
    // far ones first, so the nearest (and usually best) are drawn on top
    pts.slice().reverse().forEach(function (q) {
      var k = 1;
      var isFar = q.km * scale > rim;
      if (isFar) { k = rim / (q.km * scale); far.push(q); }
      var x = c + q.x * scale * k;
      var y = c - q.y * scale * k;
      var sm = q.m.summary || {};
      var g = s('g', { class: 'job-dot ' + ((q.m.breakdown || {}).inside_circle ? 'inside' : 'outside') + (isFar ? ' far' : '') },
        s('title', null, q.rank + '. ' + (sm.title || q.m.id) + '，' + distanceText(q.m.breakdown)),
        s('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 10 }),
        s('text', { x: x.toFixed(1), y: (y + 4).toFixed(1), 'text-anchor': 'middle' }, String(q.rank)));
      if (isFar) {
        var lx = Math.min(size - 4, Math.max(4, x + (x < c ? 14 : -14)));
        g.appendChild(s('text', { x: lx.toFixed(1), y: (y + (y < c ? 24 : -14)).toFixed(1), class: 'far-label',
          'text-anchor': x < c ? 'start' : 'end' }, Math.round(q.km) + '公里'));
      }
      svg.appendChild(g);
    });
    box.appendChild(svg);
    box.appendChild(h('p', { class: 'legend' },
      h('span', { class: 'swatch seeker' }), '求职者　',
      h('span', { class: 'swatch inside' }), '就业圈内岗位　',
      h('span', { class: 'swatch outside' }), '圈外岗位'));
    if (far.length) {
      box.appendChild(h('p', { class: 'hint' }, '第 ' + far.map(function (q) { return q.rank; }).sort(function (a, b) { return a - b; }).join('、') +
        ' 项较远，画在图的边缘（方向不变，距离见标注）。'));
    }
    if (unplaced.length) box.appendChild(h('p', { class: 'hint' }, '第 ' + unplaced.join('、') + ' 项岗位未登记位置，未画出。'));
    box.appendChild(h('p', { class: 'hint' }, '示意图按经纬度换算，仅表示方向和直线距离，不是地图。'));
  }

  // ---- jobs -------------------------------------------------------------------------------------
  function fillSelect(id, values, labels, blank) {
    var sel = $(id);
    clear(sel);
    if (blank !== undefined) sel.appendChild(h('option', { value: '' }, blank));
    values.forEach(function (v) { sel.appendChild(h('option', { value: v }, labels[v])); });
  }

  function initJobForm() {
    fillSelect('#job-employment_type', Object.keys(ZH.employment_type), ZH.employment_type);
    fillSelect('#job-status', Object.keys(ZH.job_status), ZH.job_status);
    fillSelect('#job-education_min', Object.keys(ZH.education).filter(function (e) { return e !== 'none'; }), ZH.education, '不限');
    var box = $('#job-priority-checks');
    Object.keys(ZH.priority).forEach(function (g) {
      box.appendChild(h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'priority_groups_welcome', value: g }), ' ' + ZH.priority[g]));
    });
    $('#job-search').addEventListener('submit', searchJobs);
    $('#btn-new-job').addEventListener('click', function () { editJob(null); });
    $('#btn-cancel-job').addEventListener('click', function () { $('#job-form').hidden = true; clearJobErrors(); });
    $('#btn-use-station').addEventListener('click', function () {
      var st = currentStation();
      if (!st) { toast('请先在页面上方选择服务站', 'error'); return; }
      if (isNum(st.lat) && isNum(st.lng)) { $('#job-lat').value = st.lat; $('#job-lng').value = st.lng; }
      if (st.region_code && !$('#job-region_code').value) $('#job-region_code').value = st.region_code;
      if (st.address && !$('#job-address').value) $('#job-address').value = st.address;
    });
    $('#job-form').addEventListener('submit', saveJob);
    $('#btn-job-candidates').addEventListener('click', function () {
      if (state.savedJobId) loadCandidates(state.savedJobId);
    });
  }

  function searchJobs(ev) {
    if (ev) ev.preventDefault();
    var out = $('#job-results');
    var params = new URLSearchParams({ limit: '50' });
    var q = $('#job-q').value.trim();
    if (q) params.set('q', q);
    var st = currentStation();
    if ($('#job-local').checked && st && st.region_code) params.set('region_code', st.region_code.slice(0, 6));
    statusLine(out, '正在查询…');
    api('/v1/jobs?' + params.toString()).then(function (res) {
      var rows = listOf(res);
      clear(out);
      if (!rows.length) { statusLine(out, '没有找到岗位。', 'warn'); return; }
      var total = res && isNum(res.count) ? res.count : rows.length;
      out.appendChild(h('p', { class: 'count' }, '共 ' + total + ' 个岗位' + (total > rows.length ? '，显示前 ' + rows.length + ' 个' : '')));
      var tbody = h('tbody');
      rows.forEach(function (j) {
        state.jobs.set(j.id, j);
        tbody.appendChild(h('tr', null,
          h('td', null, j.id),
          h('td', null, j.title),
          h('td', null, j.employer_name || ''),
          h('td', null, wageText(j.wage_min, j.wage_max)),
          h('td', null, String(j.headcount || '')),
          h('td', null, zh('job_status', j.status)),
          h('td', { class: 'row-actions' },
            h('button', { type: 'button', 'aria-label': '编辑 ' + j.title, onclick: function () { editJob(j.id); } }, '编辑'),
            can('candidates') ? h('button', { type: 'button', 'aria-label': '附近候选人：' + j.title,
              onclick: function () { loadCandidates(j.id); } }, '附近候选人') : null)
        ));
      });
      out.appendChild(h('table', { class: 'table' },
        h('caption', { class: 'sr-only' }, '岗位查询结果'),
        h('thead', null, h('tr', null, ['编号', '岗位', '用人单位', '薪资', '人数', '状态', '操作'].map(function (t) {
          return h('th', { scope: 'col' }, t);
        }))),
        tbody));
    }).catch(function (err) { statusLine(out, err.message, 'error'); });
  }

  function field(name) { return document.getElementById('job-' + name); }

  function setFormValues(job) {
    Object.keys(JOB_FORM).forEach(function (name) {
      var kind = JOB_FORM[name];
      var v = job ? job[name] : undefined;
      if (kind === 'checks') {
        var set = {};
        (v || []).forEach(function (g) { set[g] = true; });
        Array.prototype.forEach.call(document.querySelectorAll('#job-priority-checks input'), function (cb) { cb.checked = !!set[cb.value]; });
      } else if (kind === 'bool') {
        field(name).checked = !!v;
      } else if (kind === 'list') {
        field(name).value = (v || []).join('、');
      } else if (kind === 'number') {
        field(name).value = isNum(v) ? String(name.indexOf('wage') === 0 ? Math.round(v) : v) : '';
      } else {
        field(name).value = v === null || v === undefined ? '' : String(v);
      }
    });
  }

  function editJob(id) {
    clearJobErrors();
    $('#job-candidates').hidden = true;
    var ready = id ? api('/v1/jobs/' + enc(id)) : Promise.resolve(null);
    return ready.then(function (job) {
      state.editingJob = job;
      state.savedJobId = job ? job.id : null;
      var form = $('#job-form');
      setFormValues(job);
      if (!job) {
        field('employment_type').value = 'full_time';
        field('status').value = 'open';
        field('headcount').value = '1';
        field('posted_at').value = todayISO();
        if (auth.me && auth.me.employer_id) {  // an employer account posts its own jobs only
          field('employer_id').value = auth.me.employer_id;
          if (auth.employerName) field('employer_name').value = auth.employerName;
        }
        var st = currentStation();
        if (st) {
          if (st.region_code) field('region_code').value = st.region_code;
          if (isNum(st.lat) && isNum(st.lng)) { field('lat').value = st.lat; field('lng').value = st.lng; }
        }
      }
      field('id').readOnly = !!job;
      field('employer_id').readOnly = !!(auth.me && auth.me.employer_id);
      $('#job-id-hint').textContent = job ? '编号不可修改' : '留空将自动生成';
      $('#job-form-title').textContent = job ? '编辑岗位：' + job.title : '发布新岗位';
      $('#btn-job-candidates').hidden = !job || !can('candidates');
      form.hidden = false;
      form.scrollIntoView({ block: 'start' });
      field('title').focus();
    }).catch(report);
  }

  function splitList(text) {
    return text.split(/[、,，;；\n]+/).map(function (x) { return x.trim(); }).filter(Boolean);
  }

  function readForm() {
    var out = {};
    Object.keys(JOB_FORM).forEach(function (name) {
      var kind = JOB_FORM[name];
      if (kind === 'checks') {
        out[name] = Array.prototype.filter.call(document.querySelectorAll('#job-priority-checks input'), function (cb) { return cb.checked; })
          .map(function (cb) { return cb.value; });
        return;
      }
      if (kind === 'bool') { out[name] = field(name).checked; return; }
      var raw = field(name).value.trim();
      if (kind === 'list') { out[name] = splitList(raw); return; }
      if (raw === '') { out[name] = null; return; }
      if (kind === 'number') {
        var n = Number(raw.replace(/[,，]/g, ''));
        out[name] = isFinite(n) ? n : raw;  // let the API explain what is wrong with it
        return;
      }
      out[name] = raw;
    });
    return out;
  }

  function clearJobErrors() {
    Array.prototype.forEach.call(document.querySelectorAll('#job-form .field-error'), function (p) { p.textContent = ''; });
    Array.prototype.forEach.call(document.querySelectorAll('#job-form [aria-invalid]'), function (el) { el.removeAttribute('aria-invalid'); });
    var box = $('#job-form-errors');
    clear(box);
    box.hidden = true;
  }

  function errorField(e) {
    var f = e.field;
    if (!f && Array.isArray(e.loc)) f = e.loc.filter(function (x) { return typeof x === 'string' && x !== 'body'; }).pop();
    if (typeof f === 'string' && f.indexOf('.') >= 0) f = f.split('.').pop();
    return f || null;
  }

  function showJobErrors(err) {
    clearJobErrors();
    var body = err.body || {};
    var errors = Array.isArray(body.errors) && body.errors.length ? body.errors : [{ field: body.field, message: body.message || err.message }];
    var general = [];
    var first = null;
    errors.forEach(function (e) {
      var f = errorField(e);
      var slot = f ? document.getElementById('job-err-' + f) : null;
      var msg = cnOnly(e.message || e.msg || body.message) || '数据有误';
      if (slot) {
        slot.textContent = (slot.textContent ? slot.textContent + '；' : '') + msg;
        var input = field(f);
        if (input) { input.setAttribute('aria-invalid', 'true'); if (!first) first = input; }
      } else {
        general.push((f ? (JOB_FIELD_ZH[f] || f) + '：' : '') + msg);
      }
    });
    var box = $('#job-form-errors');
    box.appendChild(h('p', null, err.status === 409 ? '岗位编号已存在，请换一个编号或留空自动生成。' : '保存失败，请按提示修改后再保存。'));
    if (general.length) box.appendChild(h('ul', null, general.map(function (g) { return h('li', null, g); })));
    box.hidden = false;
    if (err.status === 409) { var idSlot = $('#job-err-id'); if (!idSlot.textContent) idSlot.textContent = body.message || '编号已存在'; }
    (first || box).scrollIntoView({ block: 'center' });
    if (first) first.focus();
  }

  function saveJob(ev) {
    ev.preventDefault();
    clearJobErrors();
    var values = readForm();
    var editing = state.editingJob;
    var req;
    // A blank field is left out (not sent as null): the record's default applies, and a missing
    // required field is reported as such. PUT replaces the whole record, so a cleared field goes.
    function withoutBlanks(rec) {
      Object.keys(rec).forEach(function (k) { if (rec[k] === null || rec[k] === undefined) delete rec[k]; });
      return rec;
    }
    if (editing) {
      var record = withoutBlanks(Object.assign({}, editing, values, { id: editing.id }));
      req = api('/v1/jobs/' + enc(editing.id), { method: 'PUT', body: record });
    } else {
      req = api('/v1/jobs', { method: 'POST', body: withoutBlanks(values) });  // no id: the API makes one
    }
    var btn = $('#btn-save-job');
    btn.disabled = true;
    req.then(function (job) {
      btn.disabled = false;
      state.editingJob = job;
      state.savedJobId = job.id;
      state.jobs.set(job.id, job);
      setFormValues(job);
      field('id').readOnly = true;
      $('#job-id-hint').textContent = '编号不可修改';
      $('#job-form-title').textContent = '编辑岗位：' + job.title;
      $('#btn-job-candidates').hidden = !can('candidates');
      toast((editing ? '岗位已更新：' : '岗位已发布：') + job.title + '（编号 ' + job.id + '）');
    }).catch(function (err) {
      btn.disabled = false;
      showJobErrors(err);
    });
  }

  function loadCandidates(jobId) {
    var sec = $('#job-candidates');
    var box = clear($('#candidate-list'));
    sec.hidden = false;
    var j = state.jobs.get(jobId);
    $('#candidates-title').textContent = '附近候选人' + (j ? '：' + j.title : '');
    statusLine(box, '正在查找候选人…');
    sec.scrollIntoView({ block: 'start' });
    api('/v1/jobs/' + enc(jobId) + '/candidates?limit=20').then(function (res) {
      var rows = listOf(res);
      clear(box);
      if (!rows.length) { statusLine(box, '附近暂时没有符合条件的求职者。', 'warn'); return; }
      if (listHeader(rows)) box.appendChild(h('p', { class: 'status warn' }, listHeader(rows) + '。'));
      var tbody = h('tbody');
      rows.forEach(function (m, i) {
        var sm = m.summary || {};
        tbody.appendChild(h('tr', { class: 'candidate' },
          h('td', null, String(i + 1)),
          h('td', null, sm.name || '（未留姓名）'),
          h('td', null, [zh('gender', sm.gender), isNum(sm.age) ? sm.age + ' 岁' : ''].filter(Boolean).join('，')),
          h('td', null, zh('education', sm.education)),
          h('td', null, (sm.desired_occupations || []).join('、')),
          h('td', null, distanceText(m.breakdown)),
          h('td', { class: 'num' }, isNum(m.score) ? m.score.toFixed(0) : ''),
          h('td', null, h('ul', { class: 'reasons compact' }, itemReasons(m).map(function (r) { return h('li', null, r); })))
        ));
      });
      box.appendChild(h('table', { class: 'table' },
        h('caption', { class: 'sr-only' }, '附近候选人（已脱敏）'),
        h('thead', null, h('tr', null, ['序号', '候选人', '性别/年龄', '学历', '求职意向', '距离', '匹配度', '理由'].map(function (t) {
          return h('th', { scope: 'col' }, t);
        }))),
        tbody));
    }).catch(function (err) { statusLine(box, err.status === 503 ? '系统正在准备索引，请稍后再试。' : err.message, 'error'); });
  }

  // ---- daily digest -----------------------------------------------------------------------------
  function digestQuery(fmt) {
    return '/v1/digests?station_id=' + enc(state.stationId) + '&date=' + enc($('#digest-date').value || todayISO()) + '&format=' + fmt;
  }

  function maybeLoadDigest() {
    var key = state.stationId + '|' + ($('#digest-date').value || todayISO());
    if (state.digestLoadedFor !== key) loadDigest();
  }

  function loadDigest(ev) {
    if (ev) ev.preventDefault();
    var box = clear($('#digest-body'));
    var links = [$('#digest-html'), $('#digest-csv')];
    if (!state.stationId) {
      links.forEach(function (a) { a.hidden = true; });
      statusLine(box, '请先在页面上方选择服务站，再查看今日推送。', 'warn');
      return;
    }
    if (!$('#digest-date').value) $('#digest-date').value = todayISO();
    state.digestLoadedFor = state.stationId + '|' + $('#digest-date').value;
    links.forEach(function (a) { a.hidden = false; });
    statusLine(box, '正在生成推送，数据较多时需要十几秒…');
    api(digestQuery('json')).then(function (d) {
      renderDigest(d);
    }).catch(function (err) {
      state.digestLoadedFor = null;
      links.forEach(function (a) { a.hidden = err.status === 503; });
      if (err.status === 503) {
        statusLine(box, '今日推送还没有准备好（系统正在生成推送或加载索引），请稍后再点“查看推送”。', 'warn');
      } else if (err.status === 404) {
        statusLine(box, '没有找到该服务站的推送：' + err.message, 'warn');
      } else {
        statusLine(box, '推送加载失败：' + err.message, 'error');
      }
    });
  }

  // The printable page and the CSV need the token too, so they are fetched here (not plain links)
  // and handed to the browser as blob: URLs of this origin.
  var DIGEST_PRINT_CSS = '/console/static/digest-print.css';

  function blobUrl(blob) {
    var url = URL.createObjectURL(blob);
    setTimeout(function () { URL.revokeObjectURL(url); }, 120000);
    return url;
  }

  function openDigestHtml() {
    if (!state.stationId) { toast('请先在页面上方选择服务站', 'error'); return; }
    // opened now, while the click still counts as the user's (a popup opened after an await is blocked)
    var win = window.open('', '_blank');
    if (win) {
      try { win.opener = null; win.document.title = '正在生成打印版…'; win.document.body.textContent = '正在生成打印版…'; } catch (e) { /* ignore */ }
    }
    api(digestQuery('html'), { raw: true }).then(function (res) { return res.text(); }).then(function (html) {
      // The page inherits this page's CSP (no inline style): its <style> is replaced by our stylesheet.
      var css = '<link rel="stylesheet" href="' + location.origin + BASE + DIGEST_PRINT_CSS + '">';
      html = html.replace(/<style[^>]*>[\s\S]*?<\/style>/gi, '');
      html = /<\/head>/i.test(html) ? html.replace(/<\/head>/i, css + '</head>') : css + html;
      var url = blobUrl(new Blob([html], { type: 'text/html;charset=utf-8' }));
      if (win && !win.closed) win.location.href = url;
      else window.location.assign(url);
    }).catch(function (err) {
      if (win && !win.closed) win.close();
      report(err);
    });
  }

  function downloadDigestCsv() {
    if (!state.stationId) { toast('请先在页面上方选择服务站', 'error'); return; }
    var btn = $('#digest-csv');
    btn.disabled = true;
    var name = 'digest-' + state.stationId + '-' + ($('#digest-date').value || todayISO()) + '.csv';
    api(digestQuery('csv'), { raw: true }).then(function (res) {
      var m = /filename="?([^";]+)"?/.exec(res.headers.get('Content-Disposition') || '');
      if (m) name = m[1];
      return res.blob();
    }).then(function (blob) {
      var a = h('a', { href: blobUrl(blob), download: name, class: 'sr-only' });
      document.body.appendChild(a);
      a.click();
      document.body.removeChild(a);
      btn.disabled = false;
      toast('已下载：' + name);
    }).catch(function (err) {
      btn.disabled = false;
      report(err);
    });
  }

  function renderDigest(d) {
    var box = clear($('#digest-body'));
    var jobs = d.jobs || {};
    var circle = d.circle || {};
    box.appendChild(h('p', { class: 'digest-summary' },
      ((d.area && d.area.name) || '') + ' · ' + (d.date || '') + '：就业圈 ' + (circle.limit || '') + '，圈内在招岗位 ' +
      (jobs.open_count || 0) + ' 个，其中新发布 ' + (jobs.new_count || 0) + ' 个。' +
      (d.source === 'scheduled' ? '（每日定时生成）' : '')));

    // seekers: assistance targets first (the API already orders them; keep that, stable)
    var seekers = (d.seekers || []).map(function (x, i) { return { x: x, i: i }; }).sort(function (a, b) {
      var pa = (a.x.priority_groups || []).length ? 0 : 1;
      var pb = (b.x.priority_groups || []).length ? 0 : 1;
      return pa - pb || a.i - b.i;
    }).map(function (o) { return o.x; });
    var sec1 = h('section', { class: 'digest-seekers', 'aria-labelledby': 'dg-seekers' },
      h('h3', { id: 'dg-seekers' }, '本站求职者的推荐（就业困难人员优先）'));
    if (!seekers.length) sec1.appendChild(h('p', { class: 'notice' }, '本站台账中没有待就业的求职者。'));
    seekers.forEach(function (p) {
      var prio = (p.priority_groups || []);
      sec1.appendChild(h('article', { class: 'digest-seeker' + (prio.length ? ' priority' : '') },
        h('header', null,
          h('strong', null, p.name || p.id), ' ',
          p.phone ? h('span', { class: 'hint' }, p.phone) : null, ' ',
          prio.map(function (g) { return h('span', { class: 'tag prio' }, g); }),
          (p.desired_occupations || []).length ? h('span', { class: 'hint' }, '　意向：' + p.desired_occupations.join('、')) : null,
          allowedTabs().indexOf('seekers') >= 0
            ? h('button', { type: 'button', class: 'link-button', onclick: function () { showTab('seekers'); openSeeker(p.id); } }, '打开')
            : null),
        (p.matches || []).length
          ? h('ol', { class: 'digest-matches' }, p.matches.map(function (m) {
            return h('li', null,
              h('span', { class: 'title' }, m.title || m.id),
              m.employer_name ? h('span', { class: 'employer' }, m.employer_name) : null,
              h('span', { class: 'hint' }, ' ' + wageText(m.wage_min, m.wage_max)),
              (m.reasons || []).length ? h('div', { class: 'hint' }, m.reasons.join('；')) : null);
          }))
          : h('p', { class: 'hint' }, '暂无合适的新岗位')));
    });
    box.appendChild(sec1);

    var sec2 = h('section', { class: 'digest-jobs', 'aria-labelledby': 'dg-jobs' }, h('h3', { id: 'dg-jobs' }, '圈内在招岗位（按职业分组）'));
    var groups = jobs.by_occupation || [];
    if (!groups.length) sec2.appendChild(h('p', { class: 'notice' }, '就业圈内暂无在招岗位。'));
    groups.forEach(function (g, gi) {
      var det = h('details', { class: 'occupation-group', open: gi < 3 },
        h('summary', null, (g.occupation || '其他') + '（' + (g.jobs || []).length + ' 个）'));
      var tbody = h('tbody');
      (g.jobs || []).forEach(function (j) {
        tbody.appendChild(h('tr', null,
          h('td', null, j.new ? h('span', { class: 'tag new' }, '新') : null, ' ', j.title),
          h('td', null, j.employer_name || ''),
          h('td', null, wageText(j.wage_min, j.wage_max)),
          h('td', null, String(j.headcount || 1)),
          h('td', null, kmText(j.distance_km))));
      });
      det.appendChild(h('table', { class: 'table' },
        h('thead', null, h('tr', null, ['岗位', '用人单位', '薪资', '人数', '距离'].map(function (t) { return h('th', { scope: 'col' }, t); }))),
        tbody));
      sec2.appendChild(det);
    });
    box.appendChild(sec2);

    var c = d.concentration;
    if (c) {
      box.appendChild(h('p', { class: 'hint' }, '推荐分布：共推荐 ' + c.recommendations + ' 次，涉及岗位 ' + c.jobs_recommended +
        ' 个，覆盖率 ' + Math.round((c.coverage || 0) * 100) + '%，集中度（基尼系数）' + Number(c.gini || 0).toFixed(2) +
        '；每个招聘名额最多推荐 ' + c.cap_per_opening + ' 人。'));
    }
  }


  // ---- statistics -------------------------------------------------------------------------------
  // GET /v1/stats for a region-code prefix (2/4/6/9 digits: 省/市/县/乡镇) around the chosen station.
  var STATS_SECTIONS = ['status', 'priority_group', 'occupation', 'wage_band', 'region', 'station'];
  var STATS_LEVELS = [
    { len: 9, name: '本乡镇（街道）', child: '村（社区）' },
    { len: 6, name: '本县（市、区）', child: '乡镇（街道）' },
    { len: 4, name: '本市', child: '县（市、区）' },
    { len: 2, name: '全省', child: '市' }
  ];
  var STATS_DEFAULT_LEN = 6;
  var statsSeq = 0;

  // Only ranges inside the account's own area (the API answers 404 for a wider one).
  function statsScopes() {
    var st = currentStation();
    var code = (st && st.region_code) || '';
    var own = (auth.me && auth.me.region_code) || '';
    var scopes = STATS_LEVELS.filter(function (l) { return code.length >= l.len; }).map(function (l) {
      return { code: code.slice(0, l.len), name: l.name, child: l.child };
    }).filter(function (sc) { return sc.code.indexOf(own) === 0; });
    if (!scopes.length && own && code && code.indexOf(own) === 0) scopes.push({ code: own, name: '本账号辖区', child: '下级地区' });
    return scopes;
  }

  function scopeOf(code) {
    var all = statsScopes();
    for (var i = 0; i < all.length; i++) if (all[i].code === code) return all[i];
    return null;
  }

  function scopeText(sc) {
    var name = state.regionNames[sc.code];
    return sc.name + (name ? '：' + name : '') + '（' + sc.code + '）';
  }

  function fillStatsRegions() {
    var sel = $('#stats-region');
    var scopes = statsScopes();
    clear(sel);
    scopes.forEach(function (sc) { sel.appendChild(h('option', { value: sc.code }, scopeText(sc))); });
    var dflt = scopes.filter(function (sc) { return sc.code.length === STATS_DEFAULT_LEN; })[0] || scopes[0];
    sel.value = dflt ? dflt.code : '';
    sel.disabled = !scopes.length;
    $('#stats-form button[type=submit]').disabled = !scopes.length;
  }

  function relabelStatsRegions() {
    Array.prototype.forEach.call($('#stats-region').options, function (o) {
      var sc = scopeOf(o.value);
      if (sc) o.textContent = scopeText(sc);
    });
  }

  function maybeLoadStats() {
    var key = state.stationId + '|' + $('#stats-region').value;
    if (state.statsLoadedFor !== key) loadStats();
  }

  function loadStats(ev) {
    if (ev) ev.preventDefault();
    var seq = ++statsSeq;
    var box = clear($('#stats-body'));
    var line = $('#stats-status');
    var code = $('#stats-region').value;
    clear($('#stats-print-head'));
    if (!state.stationId) {
      state.statsLoadedFor = null;
      statusLine(line, '请先在页面上方选择服务站，再查看统计。', 'warn');
      return;
    }
    if (!code) {
      state.statsLoadedFor = null;
      statusLine(line, '本服务站没有登记区划代码，无法按地区统计。', 'warn');
      return;
    }
    state.statsLoadedFor = state.stationId + '|' + code;
    var params = new URLSearchParams({ region_code: code, by: STATS_SECTIONS.join(','), top: '10' });
    statusLine(line, '正在统计…');
    box.setAttribute('aria-busy', 'true');
    api('/v1/stats?' + params.toString()).then(function (d) {
      if (seq !== statsSeq) return;  // a newer request is on its way
      box.removeAttribute('aria-busy');
      statusLine(line, '');
      if (d && d.region_name) { state.regionNames[code] = d.region_name; relabelStatsRegions(); }
      renderStats(d || {}, scopeOf(code));
    }).catch(function (err) {
      if (seq !== statsSeq) return;
      box.removeAttribute('aria-busy');
      state.statsLoadedFor = null;
      statusLine(line, err.status === 503 ? '系统正在准备数据，请稍后点“刷新统计”。' : '统计加载失败：' + err.message,
        err.status === 503 ? 'warn' : 'error');
    });
  }

  // The API's labels are bilingual ("3000元以下 / under 3000"): the console shows the Chinese part.
  function cnLabel(label) { return label ? String(label).split(' / ')[0] : ''; }

  function numText(n) { return isNum(n) ? n.toLocaleString('zh-CN') : '—'; }

  function pctText(part, whole) {
    if (!isNum(part) || !isNum(whole) || whole <= 0) return '—';
    return (Math.round(part / whole * 1000) / 10) + '%';
  }

  // A bar on a track, its width the value's share of the table's largest value. Pure CSS: the width
  // is set through the CSSOM (allowed by the page's CSP, unlike a style attribute).
  function statBar(n, max, cls, title) {
    var bar = h('span', { class: 'bar ' + cls + (n > 0 ? '' : ' zero') });
    bar.style.width = (max > 0 && n > 0 ? Math.max(0.5, n / max * 100) : 0).toFixed(1) + '%';
    return h('span', { class: 'bar-track', title: title + '：' + numText(n) }, bar);
  }

  /* One statistics block: a heading, a note, and a table (row label, number columns, a bar column).
   * spec: {id, title, note, head, cols: [{field, title, bar: class|undefined, text: fn|undefined}],
   *        rows: [{key, label, v: {field: number}, cls}], legend: bool, empty, wide} */
  function statBlock(spec) {
    var sec = h('section', { class: 'stat-card' + (spec.wide ? ' wide' : ''), id: 'stats-' + spec.id,
      'aria-labelledby': 'stats-' + spec.id + '-title' },
    h('h3', { id: 'stats-' + spec.id + '-title' }, spec.title));
    if (!spec.rows.length) {
      sec.appendChild(h('p', { class: 'notice' }, spec.empty || '暂无数据。'));
      return sec;
    }
    var barCols = spec.cols.filter(function (c) { return c.bar; });
    var max = 0;
    spec.rows.forEach(function (r) {
      barCols.forEach(function (c) { if (isNum(r.v[c.field])) max = Math.max(max, r.v[c.field]); });
    });
    var tbody = h('tbody');
    spec.rows.forEach(function (r) {
      tbody.appendChild(h('tr', { class: r.cls || null, dataset: { key: r.key } },
        h('th', { scope: 'row' }, r.label),
        spec.cols.map(function (c) {
          return h('td', { class: 'num', dataset: { field: c.field } }, c.text ? c.text(r) : numText(r.v[c.field]));
        }),
        barCols.length ? h('td', { class: 'bar-cell', 'aria-hidden': 'true' }, barCols.map(function (c) {
          return statBar(r.v[c.field], max, c.bar, c.title);
        })) : null));
    });
    sec.appendChild(h('table', { class: 'table stat-table' },
      h('caption', { class: 'sr-only' }, spec.title),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, spec.head),
        spec.cols.map(function (c) { return h('th', { scope: 'col', class: 'num' }, c.title); }),
        barCols.length ? h('th', { scope: 'col', class: 'bar-cell' }, '图示') : null)),
      tbody));
    if (spec.legend && barCols.length > 1) {
      sec.appendChild(h('p', { class: 'legend bar-legend', 'aria-hidden': 'true' }, barCols.map(function (c) {
        return [h('span', { class: 'swatch ' + c.bar }), c.title, '　'];
      })));
    }
    if (spec.note) sec.appendChild(h('p', { class: 'hint' }, spec.note));
    return sec;
  }

  function countRows(list, label) {
    return (list || []).map(function (r) {
      return { key: r.key, label: label(r), v: r };
    });
  }

  function renderStats(d, scope) {
    var box = clear($('#stats-body'));
    var t = d.totals || {};
    var st = currentStation();
    var area = (d.region_name || '') + '（' + (d.region_code || '') + '）';
    var childName = scope ? scope.child : '下级地区';

    var head = clear($('#stats-print-head'));
    head.appendChild(h('p', { class: 'print-title' }, (st ? st.name : '公共就业服务站') + ' · 就业服务统计'));
    head.appendChild(h('p', null, '统计范围：' + area + '　　打印日期：' + todayISO()));

    box.appendChild(h('h2', { class: 'stats-title', id: 'stats-title' },
      (scope ? scope.name + '：' : '') + (d.region_name || d.region_code || '') + ' 就业服务统计'));
    function total(key, label, value, sub) {
      return h('div', { class: 'stat-total' },
        h('dt', null, label),
        h('dd', null, h('span', { class: 'big', dataset: { total: key } }, numText(value)), sub ? h('span', { class: 'hint' }, sub) : null));
    }
    box.appendChild(h('dl', { class: 'stat-totals', id: 'stats-totals', 'aria-label': '总体情况' },
      total('seekers', '登记求职者（人）', t.seekers, '待就业 ' + numText(t.active_seekers) + '，就业困难 ' + numText(t.priority_seekers)),
      total('open_jobs', '在招岗位（个）', t.open_jobs, '共 ' + numText(t.jobs) + ' 个岗位，招 ' + numText(t.open_headcount) + ' 人'),
      total('referrals', '推荐（次）', t.referrals, '录用 ' + numText(t.hires) + ' 人'),
      total('stations', '服务站（个）', t.stations, '用人单位 ' + numText(t.employers) + ' 家')));

    var grid = h('div', { class: 'stats-grid' });
    box.appendChild(grid);

    var seekers = t.seekers || 0;
    grid.appendChild(statBlock({
      id: 'seeker-status', title: '求职者 · 按就业状态', head: '就业状态',
      rows: !seekers ? [] : countRows(d.seekers_by_status, function (r) { return zh('seeker_status', r.key) || cnLabel(r.label); }),
      cols: [{ field: 'count', title: '人数', bar: 'b-seekers' },
        { field: 'share', title: '占比', text: function (r) { return pctText(r.v.count, seekers); } }],
      empty: '该范围内没有登记的求职者。'
    }));

    var prio = (d.seekers_by_priority_group || []).filter(function (r) { return r.count > 0; });
    grid.appendChild(statBlock({
      id: 'priority', title: '求职者 · 按就业困难类别', head: '类别',
      rows: countRows(prio, function (r) { return r.key === 'none' ? '非就业困难人员' : (ZH.priority[r.key] || cnLabel(r.label) || r.key); })
        .map(function (r) { if (r.key !== 'none') r.cls = 'prio-row'; return r; }),
      cols: [{ field: 'count', title: '人数', bar: 'b-prio' }, { field: 'active', title: '其中待就业' }],
      note: '一人可属多个类别，各类人数之和可能多于求职者总数；未列出的类别为 0 人。',
      empty: '该范围内没有登记的求职者。'
    }));

    grid.appendChild(statBlock({
      id: 'occupation', title: '在招岗位 · 按职业（前 10 位）', head: '职业',
      rows: countRows(d.jobs_by_occupation, function (r) {
        if (r.key === 'other') return '其他职业';
        if (r.key === 'unspecified') return '未识别职业';
        return cnLabel(r.label) || r.key;
      }),
      cols: [{ field: 'count', title: '岗位数', bar: 'b-jobs' }, { field: 'headcount', title: '招聘人数' }],
      note: '只统计招聘中的岗位；职业按职业编码归类，没有编码的按岗位名称识别。',
      empty: '该范围内没有招聘中的岗位。'
    }));

    grid.appendChild(statBlock({
      id: 'wage', title: '在招岗位 · 按月薪', head: '月薪',
      rows: (!t.open_jobs ? [] : countRows(d.jobs_by_wage_band, function (r) {
        return r.key === 'unspecified' ? '未标明' : cnLabel(r.label);
      })),
      cols: [{ field: 'count', title: '岗位数', bar: 'b-wage' }, { field: 'headcount', title: '招聘人数' }],
      note: '按月薪下限归档（未写下限的按上限）。',
      empty: '该范围内没有招聘中的岗位。'
    }));

    var refs = t.referrals || 0;
    grid.appendChild(statBlock({
      id: 'referrals', title: '推荐 · 按办理结果', head: '状态',
      rows: !refs ? [] : countRows(d.referrals_by_status, function (r) { return zh('referral_status', r.key) || cnLabel(r.label); }),
      cols: [{ field: 'count', title: '次数', bar: 'b-refs' },
        { field: 'share', title: '占比', text: function (r) { return pctText(r.v.count, refs); } }],
      note: '推荐计入求职者所在地区（求职者不在本范围时计入岗位或服务站所在地区）。',
      empty: '该范围内还没有推荐记录。'
    }));

    if (Array.isArray(d.child_regions)) {
      grid.appendChild(statBlock({
        id: 'regions', wide: true, legend: true, title: '各' + childName + '情况', head: childName,
        rows: d.child_regions.map(function (r) {
          var name = r.code === 'unspecified' ? '未细分到' + childName : (cnLabel(r.name) || r.code);
          return { key: r.code, label: name + (r.code !== 'unspecified' ? '（' + r.code + '）' : ''), v: r };
        }),
        cols: [
          { field: 'seekers', title: '求职者', bar: 'b-seekers' }, { field: 'active_seekers', title: '待就业' },
          { field: 'priority_seekers', title: '就业困难' }, { field: 'open_jobs', title: '在招岗位', bar: 'b-jobs' },
          { field: 'open_headcount', title: '招聘人数' }, { field: 'referrals', title: '推荐' },
          { field: 'hires', title: '录用' }, { field: 'stations', title: '服务站' }],
        note: d.child_regions.some(function (r) { return r.code === 'unspecified'; })
          ? '“未细分”指只登记到本级区划代码、没有更细代码的记录。' : null,
        empty: '该范围已是最细一级，没有下级地区。'
      }));
    }

    if (Array.isArray(d.stations)) {
      grid.appendChild(statBlock({
        id: 'stations', wide: true, legend: true, title: '服务站工作情况', head: '服务站',
        rows: d.stations.map(function (r) {
          var kind = zh('station_kind', r.kind);
          var own = st && r.id === st.id;
          return { key: r.id, cls: own ? 'current' : null, v: r,
            label: [(r.name || r.id) + (kind ? '（' + kind + '）' : ''), own ? h('span', { class: 'tag own' }, '本站') : null] };
        }),
        cols: [
          { field: 'seekers', title: '服务求职者', bar: 'b-seekers' }, { field: 'priority_seekers', title: '就业困难' },
          { field: 'referrals', title: '推荐次数', bar: 'b-refs' }, { field: 'interviews', title: '面试' },
          { field: 'hires', title: '录用', bar: 'b-hires' },
          { field: 'hire_rate', title: '录用率', text: function (r) { return isNum(r.v.hire_rate) ? pctText(r.v.hire_rate, 1) : '—'; } }],
        note: '服务求职者指在该站登记的求职者；推荐计入办理推荐的服务站；录用率 = 录用 ÷ 推荐次数。',
        empty: '该范围内没有服务站。'
      }));
    }
    box.appendChild(h('p', { class: 'hint' }, '统计日期：' + todayISO() + '。数据为系统登记台账的实时汇总。'));
  }

  // ---- what the other console scripts use (desk.js, work.js, perf.js) -----------------------------
  var hooks = {
    list: { login: [], seeker: [], reset: [], station: [] },
    on: function (name, fn) { hooks.list[name].push(fn); },
    run: function (name, arg) {
      hooks.list[name].forEach(function (fn) { try { fn(arg); } catch (e) { if (window.console) console.error(e); } });
    }
  };

  /* A multipart upload (import previews) or a download (reports, templates) with the token. */
  function apiUpload(path, form) {
    var gen = auth.gen;
    return fetch(BASE + path, { method: 'POST', body: form, credentials: 'same-origin', cache: 'no-store',
      headers: { Accept: 'application/json', Authorization: 'Bearer ' + auth.token } }).then(function (res) {
      if (gen !== auth.gen) return never();
      if (res.status === 401) { logout(MSG_EXPIRED); return never(); }
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { message: text.slice(0, 200) }; }
        if (!res.ok) throw new ApiError(res.status, data);
        return data;
      });
    });
  }

  function download(path, filename) {
    return api(path, { raw: true }).then(function (res) { return res.blob(); }).then(function (blob) {
      var a = h('a', { href: blobUrl(blob), download: filename });
      document.body.appendChild(a);
      a.click();
      a.remove();
    });
  }

  function addTab(name, needs, onShow) {
    if (TABS.indexOf(name) < 0) TABS.push(name);
    TAB_NEEDS[name] = needs;
    TAB_SHOW[name] = onShow;
    bindTab(name);
  }

  window.HJConsole = {
    ZH: ZH, state: state, auth: auth, hooks: hooks, $: $, h: h, s: s, clear: clear, enc: enc, zh: zh,
    api: api, apiUpload: apiUpload, download: download, toast: toast, report: report, statusLine: statusLine,
    can: can, currentStation: currentStation, stationName: stationName, todayISO: todayISO, isNum: isNum,
    listOf: listOf, cnOnly: cnOnly, openSeeker: function (id) { return openSeeker(id); }, showTab: showTab,
    addTab: addTab, applyPermissions: function () { applyPermissions(); }, maskPhone: maskPhone, ageOf: ageOf
  };

  // ---- start ------------------------------------------------------------------------------------
  function init() {
    $('#seeker-search').addEventListener('submit', searchSeekers);
    $('#btn-print').addEventListener('click', function () { updatePrintHead(); window.print(); });
    $('#btn-refresh').addEventListener('click', function () { if (state.seeker) { loadMatches(); loadReferrals(); } });
    $('#digest-form').addEventListener('submit', loadDigest);
    $('#digest-date').value = todayISO();
    $('#digest-date').addEventListener('change', function () { state.digestLoadedFor = null; });
    $('#stats-form').addEventListener('submit', loadStats);
    $('#stats-region').addEventListener('change', function () { loadStats(); });
    $('#btn-print-stats').addEventListener('click', function () { window.print(); });
    $('#digest-html').addEventListener('click', openDigestHtml);
    $('#digest-csv').addEventListener('click', downloadDigestCsv);
    fillStatsRegions();
    initJobForm();
    initTabs();
    initStations();
    initLogin();
    (window.HJConsoleParts || []).forEach(function (part) { part(window.HJConsole); });  // desk.js, work.js…
    resume();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
