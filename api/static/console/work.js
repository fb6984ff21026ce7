/* The station's daily work in the console: on a seeker's page the employment ledger (就业台账), the
 * assistance case (援助) and appointment booking; the tabs 援助对象 (my cases, overdue first; the
 * county view), 服务预约 (the day's appointments, service records) and, for employers, 推荐给本单位.
 * Plain JavaScript, no external resources; uses app.js's HJConsole surface. */
(function () {
  'use strict';

  var FORM_ZH = { employer: '单位就业', flexible: '灵活就业', migrant: '外出务工', self_employed: '自主创业',
    public_welfare: '公益性岗位', unemployed: '未就业', retired: '退休', student: '在校学习',
    employed_unrecorded: '已就业（未登记形式）', not_yet_recorded: '当时尚未建档' };
  var SOURCE_ZH = { desk: '窗口登记', visit: '入户走访', phone: '电话核实', referral: '推荐录用', import: '批量导入',
    survey: '摸排比对', other: '其他' };
  var CHANNEL_ZH = { visit: '上门走访', phone: '电话', desk: '到站面谈', remote: '远程', other: '其他' };
  var KIND_ZH = { appointment: '预约服务', home_visit: '上门服务', proxy: '代理代办', remote: '远程服务',
    door_survey: '入户摸排', staff_day: '县级人员驻站', expert_visit: '专家指导', guidance: '职业指导', training: '培训推荐' };
  var SVC_STATUS_ZH = { booked: '已预约', done: '已办理', cancelled: '已取消', missed: '未到' };

  function part(C) {
    var h = C.h;
    var $ = C.$;
    var seq = 0;

    function options(map, blank) {
      var out = blank ? [h('option', { value: '' }, blank)] : [];
      return out.concat(Object.keys(map).map(function (k) { return h('option', { value: k }, map[k]); }));
    }

    function labelled(label, input) {
      var id = input.id || ('w-' + (++seq));
      input.id = id;
      return h('span', { class: 'inline-field' }, h('label', { for: id }, label), input);
    }

    function table(caption, head, rows, cls) {
      return h('table', { class: 'table ' + (cls || '') }, h('caption', { class: 'sr-only' }, caption),
        h('thead', null, h('tr', null, head.map(function (t) { return h('th', { scope: 'col' }, t); }))),
        h('tbody', null, rows));
    }

    // ---- on a seeker's page ------------------------------------------------------------------------
    function seekerWork(p) {
      var box = C.clear($('#seeker-work'));
      if (!p) return;
      box.appendChild(h('div', { class: 'actions' },
        C.desk ? h('button', { type: 'button', id: 'btn-edit-seeker', onclick: function () { C.desk.editSeeker(p); } },
          '修改登记信息') : null));
      if (C.can('employment')) { box.appendChild(ledgerSection(p)); loadLedger(p); }
      if (C.can('cases')) { box.appendChild(caseSection(p)); loadCase(p); }
      if (C.can('services', 'write')) box.appendChild(bookingSection(p));
    }

    function ledgerSection(p) {
      var sec = h('section', { class: 'work-card', id: 'ledger', 'aria-labelledby': 'ledger-title' },
        h('h3', { id: 'ledger-title' }, '就业台账'), h('div', { id: 'ledger-list' }));
      var form = h('select', { id: 'ledger-form', name: 'form' }, options(pick(FORM_ZH, 8)));
      var employer = h('input', { id: 'ledger-employer', type: 'text', placeholder: '单位或工作地点' });
      var day = h('input', { id: 'ledger-date', type: 'date', value: C.todayISO() });
      var source = h('select', { id: 'ledger-source' }, options(SOURCE_ZH));
      var f = h('form', { class: 'inline-form', id: 'ledger-add' }, labelled('就业形式', form), labelled('单位/地点', employer),
        labelled('变动日期', day), labelled('来源', source), h('button', { type: 'submit', class: 'primary' }, '登记变动'));
      f.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var body = { form: form.value, started_at: day.value || undefined, source: source.value };
        if (employer.value.trim()) body[form.value === 'employer' ? 'employer_name' : 'workplace'] = employer.value.trim();
        C.api('/v1/seekers/' + C.enc(p.id) + '/employment', { method: 'POST', body: body }).then(function () {
          C.toast('已登记就业变动：' + FORM_ZH[form.value]);
          employer.value = '';
          loadLedger(p);
          return C.api('/v1/seekers/' + C.enc(p.id));
        }).then(function (fresh) { if (fresh) refreshStatus(fresh); }).catch(C.report);
      });
      sec.appendChild(f);
      return sec;
    }

    function pick(map, n) {
      var out = {};
      Object.keys(map).slice(0, n).forEach(function (k) { out[k] = map[k]; });
      return out;
    }

    function refreshStatus(seeker) {
      var tag = $('#seeker-status');
      if (tag) { tag.dataset.status = seeker.status; tag.textContent = C.zh('seeker_status', seeker.status); }
    }

    function loadLedger(p) {
      var box = $('#ledger-list');
      return C.api('/v1/seekers/' + C.enc(p.id) + '/employment').then(function (res) {
        C.clear(box);
        if (!res.data.length) { C.statusLine(box, '台账中还没有就业变动记录。'); return; }
        box.appendChild(table('就业变动记录', ['日期', '就业形式', '单位/地点', '来源', '登记人'],
          res.data.slice().reverse().map(function (e) {
            return h('tr', { class: 'ledger-entry', dataset: { form: e.form, source: e.source } },
              h('td', null, e.started_at), h('td', null, FORM_ZH[e.form] || e.form),
              h('td', null, [e.employer_name, e.workplace].filter(Boolean).join('，')),
              h('td', null, SOURCE_ZH[e.source] || e.source), h('td', null, e.recorded_by || ''));
          }), 'ledger-table'));
      }).catch(function (err) { C.statusLine(box, err.message, 'error'); });
    }

    function caseSection(p) {
      var sec = h('section', { class: 'work-card', id: 'case-box', 'aria-labelledby': 'case-title' },
        h('h3', { id: 'case-title' }, '就业援助'), h('div', { id: 'case-body' }));
      return sec;
    }

    function loadCase(p) {
      var box = $('#case-body');
      return C.api('/v1/cases?seeker_id=' + C.enc(p.id) + '&status=open').then(function (res) {
        C.clear(box);
        var c = res.data[0];
        if (!c) {
          var plan = h('input', { id: 'case-plan', type: 'text', placeholder: '如：推荐白班保洁岗位，每两周回访' });
          var owner = h('input', { id: 'case-owner', type: 'text', value: (C.auth.me && C.auth.me.name) || '' });
          var f = h('form', { class: 'inline-form', id: 'case-open' }, labelled('责任人', owner), labelled('帮扶计划', plan),
            h('button', { type: 'submit', class: 'primary' }, '开案帮扶'));
          f.addEventListener('submit', function (ev) {
            ev.preventDefault();
            C.api('/v1/cases', { method: 'POST', body: { seeker_id: p.id, owner: owner.value.trim() || undefined,
              plan: plan.value.trim() || undefined } }).then(function () { C.toast('已开案'); loadCase(p); }).catch(C.report);
          });
          box.appendChild(h('p', { class: 'hint' }, (p.priority_groups || []).length ? '该人员属于就业困难人员，尚未开案帮扶。' : '尚未开案。'));
          box.appendChild(f);
          return;
        }
        box.appendChild(h('p', { id: 'case-summary', dataset: { id: c.id, overdue: String(!!c.overdue) } },
          '责任人：' + (c.owner || '（未指定）') + '；计划：' + (c.plan || '—') + '；下次跟进：' + (c.next_due || '未定') +
          (c.overdue ? '（已逾期）' : '') + (c.difficulty ? '；待解决：' + c.difficulty : '')));
        box.appendChild(contactForm(c, function () { loadCase(p); }));
        C.api('/v1/cases/' + C.enc(c.id) + '/contacts').then(function (r) {
          if (!r.data.length) return;
          box.appendChild(table('跟进记录', ['日期', '方式', '做了什么', '困难', '在岗', '下次跟进'], r.data.slice().reverse().map(function (t) {
            return h('tr', { class: 'contact' }, h('td', null, t.at), h('td', null, CHANNEL_ZH[t.channel] || t.channel),
              h('td', null, t.note || ''), h('td', null, t.difficulty_solved ? '已解决' : (t.difficulty || '')),
              h('td', null, t.job_kept === true ? '在岗' : t.job_kept === false ? '已离岗' : ''), h('td', null, t.next_due || ''));
          }), 'contacts-table'));
        });
      }).catch(function (err) { C.statusLine(box, err.message, 'error'); });
    }

    function contactForm(c, done) {
      var channel = h('select', { class: 'contact-channel' }, options(CHANNEL_ZH));
      var note = h('input', { class: 'contact-note', type: 'text', placeholder: '做了什么' });
      var difficulty = h('input', { class: 'contact-difficulty', type: 'text', placeholder: '仍有的困难（没有可不填）' });
      var solved = h('input', { class: 'contact-solved', type: 'checkbox' });
      var kept = h('select', { class: 'contact-kept' }, options({ '': '（未就业可不选）', yes: '稳定在岗', no: '已离岗' }));
      var next = h('input', { class: 'contact-next', type: 'date' });
      var f = h('form', { class: 'inline-form contact-form' }, labelled('方式', channel), labelled('情况', note),
        labelled('困难', difficulty), h('label', { class: 'check' }, solved, ' 困难已解决'), labelled('就业后', kept),
        labelled('下次跟进', next), h('button', { type: 'submit', class: 'primary' }, '记录跟进'));
      f.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var body = { channel: channel.value, note: note.value.trim() || undefined,
          difficulty: difficulty.value.trim() || undefined, difficulty_solved: solved.checked,
          next_due: next.value || undefined };
        if (kept.value) body.job_kept = kept.value === 'yes';
        C.api('/v1/cases/' + C.enc(c.id) + '/contacts', { method: 'POST', body: body }).then(function () {
          C.toast('已记录跟进');
          done();
        }).catch(C.report);
      });
      return f;
    }

    function bookingSection(p) {
      var at = h('input', { id: 'book-at', type: 'datetime-local' });
      var note = h('input', { id: 'book-note', type: 'text', placeholder: '如：来站办理就业登记' });
      var f = h('form', { class: 'inline-form', id: 'book-form' }, labelled('预约时间', at), labelled('事项', note),
        h('button', { type: 'submit', class: 'primary' }, '预约'));
      f.addEventListener('submit', function (ev) {
        ev.preventDefault();
        if (!at.value) { C.toast('请先选择预约时间', 'error'); return; }
        var body = { kind: 'appointment', seeker_id: p.id, at: at.value, note: note.value.trim() || undefined };
        if (C.state.stationId) body.station_id = C.state.stationId;
        C.api('/v1/services', { method: 'POST', body: body }).then(function (s) {
          C.toast('已预约：' + s.at.replace('T', ' '));
          note.value = '';
        }).catch(C.report);
      });
      return h('section', { class: 'work-card', id: 'booking', 'aria-labelledby': 'booking-title' },
        h('h3', { id: 'booking-title' }, '预约到站服务'), f);
    }

    // ---- 援助对象 tab ------------------------------------------------------------------------------
    function caseRow(c) {
      var who = c.seeker || {};
      return h('tr', { class: 'case-row' + (c.overdue ? ' overdue' : ''), dataset: { id: c.id, seeker: c.seeker_id, overdue: String(!!c.overdue) } },
        h('td', null, who.name || c.seeker_id),
        h('td', null, (who.priority_groups || []).map(function (g) { return h('span', { class: 'tag prio' }, C.zh('priority', g)); })),
        h('td', null, C.zh('seeker_status', who.status)),
        h('td', null, c.owner || '（未指定）'),
        h('td', null, (c.next_due || '未定') + (c.overdue ? ' 已逾期' : '')),
        h('td', null, c.difficulty || ''),
        h('td', null, h('button', { type: 'button', class: 'open-case', onclick: function () {
          C.showTab('seekers'); C.openSeeker(c.seeker_id);
        } }, '跟进')));
    }

    function casesTable(caption, rows) {
      return table(caption, ['姓名', '类别', '就业状态', '责任人', '下次跟进', '待解决困难', '操作'], rows.map(caseRow), 'cases-table');
    }

    function loadCases() {
      var panel = C.clear($('#panel-cases'));
      var mine = h('section', { id: 'cases-mine', 'aria-labelledby': 'cases-mine-title' }, h('h2', { id: 'cases-mine-title' }, '我负责的援助对象'));
      panel.appendChild(mine);
      C.api('/v1/cases?mine=true&limit=200').then(function (res) {
        if (!res.data.length) { C.statusLine(mine, '暂无由您负责的援助对象。'); return; }
        mine.appendChild(h('p', { class: 'hint' }, '共 ' + res.count + ' 人，逾期未跟进的排在最前。'));
        mine.appendChild(casesTable('我负责的援助对象', res.data));
      }).catch(function (err) { C.statusLine(mine, err.message, 'error'); });
      var me = C.auth.me || {};
      if (me.role === 'station') return;
      var county = h('section', { id: 'cases-overview', 'aria-labelledby': 'cases-overview-title' },
        h('h2', { id: 'cases-overview-title' }, '辖区援助情况'));
      panel.appendChild(county);
      C.api('/v1/cases/overview?limit=100').then(function (d) {
        county.appendChild(h('h3', null, '未指定责任人的就业困难人员（' + d.targets_without_owner.count + ' 人）'));
        county.appendChild(d.targets_without_owner.data.length ? table('未指定责任人', ['姓名', '类别', '就业状态', '服务站'],
          d.targets_without_owner.data.map(function (s) {
            return h('tr', { class: 'target-row', dataset: { id: s.id } }, h('td', null, s.name || s.id),
              h('td', null, (s.priority_groups || []).map(function (g) { return C.zh('priority', g); }).join('、')),
              h('td', null, C.zh('seeker_status', s.status)), h('td', null, C.stationName(s.station_id)));
          }), 'targets-table') : h('p', { class: 'hint' }, '无。'));
        county.appendChild(h('h3', null, '逾期未跟进（' + d.overdue.count + ' 件）'));
        county.appendChild(d.overdue.data.length ? casesTable('逾期未跟进', d.overdue.data) : h('p', { class: 'hint' }, '无。'));
        county.appendChild(h('h3', null, '困难未解决（' + d.unresolved.count + ' 件）'));
        county.appendChild(d.unresolved.data.length ? casesTable('困难未解决', d.unresolved.data) : h('p', { class: 'hint' }, '无。'));
      }).catch(function (err) { C.statusLine(county, err.message, 'error'); });
    }

    // ---- 服务预约 tab ------------------------------------------------------------------------------
    function loadServices() {
      var panel = C.clear($('#panel-services'));
      var day = h('input', { id: 'svc-day', type: 'date', value: C.todayISO() });
      var f = h('form', { class: 'searchbar', id: 'svc-day-form' }, labelled('日期', day),
        h('button', { type: 'submit', class: 'primary' }, '查看当天预约'));
      var list = h('div', { id: 'svc-day-list', 'aria-live': 'polite' });
      f.addEventListener('submit', function (ev) { ev.preventDefault(); dayList(day.value, list); });
      panel.appendChild(h('h2', null, '预约日程'));
      panel.appendChild(f);
      panel.appendChild(list);
      dayList(day.value, list);
      panel.appendChild(recordForm());
    }

    function dayList(day, box) {
      var q = '/v1/services?kind=appointment&limit=200&date=' + C.enc(day);
      if (C.state.stationId) q += '&station_id=' + C.enc(C.state.stationId);
      C.statusLine(box, '正在加载…');
      C.api(q).then(function (res) {
        C.clear(box);
        if (!res.data.length) { C.statusLine(box, day + ' 没有预约。'); return; }
        box.appendChild(table('当天预约', ['时间', '服务对象', '事项', '状态', '操作'], res.data.map(function (s) {
          return h('tr', { class: 'appointment', dataset: { id: s.id, seeker: s.seeker_id || '', status: s.status } },
            h('td', null, s.at.slice(11, 16)), h('td', null, s.seeker_name || s.seeker_id || ''), h('td', null, s.note || ''),
            h('td', null, SVC_STATUS_ZH[s.status] || s.status),
            h('td', { class: 'row-actions' }, s.status === 'booked' ? ['done', 'missed', 'cancelled'].map(function (st) {
              return h('button', { type: 'button', class: 'svc-' + st, onclick: function () {
                C.api('/v1/services/' + C.enc(s.id), { method: 'PATCH', body: { status: st } }).then(function () {
                  dayList(day, box);
                }).catch(C.report);
              } }, SVC_STATUS_ZH[st]);
            }) : null));
        }), 'appointments-table'));
      }).catch(function (err) { C.statusLine(box, err.message, 'error'); });
    }

    function recordForm() {
      var kind = h('select', { id: 'svc-kind' }, options(KIND_ZH));
      var seeker = h('input', { id: 'svc-seeker', type: 'text', placeholder: '求职者编号（驻站、专家指导可不填）' });
      var at = h('input', { id: 'svc-at', type: 'datetime-local' });
      var staff = h('input', { id: 'svc-staff', type: 'text', placeholder: '默认当前账号' });
      var note = h('input', { id: 'svc-note', type: 'text' });
      var f = h('form', { class: 'inline-form', id: 'svc-form' }, labelled('服务类型', kind), labelled('服务对象', seeker),
        labelled('时间', at), labelled('办理人', staff), labelled('内容', note), h('button', { type: 'submit', class: 'primary' }, '记录服务'));
      f.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var body = { kind: kind.value, seeker_id: seeker.value.trim() || undefined, at: at.value || undefined,
          staff: staff.value.trim() || undefined, note: note.value.trim() || undefined,
          station_id: C.state.stationId || undefined };
        C.api('/v1/services', { method: 'POST', body: body }).then(function () {
          C.toast('已记录：' + KIND_ZH[kind.value]);
          note.value = '';
        }).catch(C.report);
      });
      return h('section', { class: 'work-card', 'aria-label': '记录服务' }, h('h2', null, '记录服务'),
        h('p', { class: 'hint' }, '上门、代办、远程服务，入户摸排，县级人员驻站、专家指导等都在这里登记，计入季度考核。'), f);
    }

    // ---- 推荐给本单位 (employers) ---------------------------------------------------------------------
    function loadOffers() {
      var panel = C.clear($('#panel-offers'));
      panel.appendChild(h('h2', null, '服务站推荐给本单位的人员'));
      panel.appendChild(h('p', { class: 'hint' }, '求职者同意后才显示联系方式；未同意的只显示姓氏。'));
      var box = h('div', { id: 'offers-list', 'aria-live': 'polite' });
      panel.appendChild(box);
      C.statusLine(box, '正在加载…');
      C.api('/v1/referrals?limit=200').then(function (res) {
        var refs = res.data;
        C.clear(box);
        if (!refs.length) { C.statusLine(box, '还没有推荐给本单位的人员。'); return; }
        var jobs = {}, people = {};
        var need = [];
        refs.forEach(function (r) {
          if (!(r.job_id in jobs)) { jobs[r.job_id] = null; need.push(C.api('/v1/jobs/' + C.enc(r.job_id)).then(function (j) { jobs[r.job_id] = j; }, function () {})); }
          if (!(r.seeker_id in people)) { people[r.seeker_id] = null; need.push(C.api('/v1/seekers/' + C.enc(r.seeker_id)).then(function (s) { people[r.seeker_id] = s; }, function () {})); }
        });
        return Promise.all(need).then(function () {
          box.appendChild(table('推荐给本单位的人员', ['岗位', '人员', '联系电话', '推荐日期', '状态'], refs.map(function (r) {
            var j = jobs[r.job_id] || {}, s = people[r.seeker_id] || {};
            return h('tr', { class: 'offer', dataset: { id: r.id, status: r.status } },
              h('td', null, j.title || r.job_id), h('td', null, s.name || '（已隐藏）'), h('td', null, s.phone || ''),
              h('td', null, r.referred_at || ''), h('td', null, C.zh('referral_status', r.status)));
          }), 'offers-table'));
        });
      }).catch(function (err) { C.statusLine(box, err.message, 'error'); });
    }

    C.addTab('cases', function (me) { return me.role !== 'employer' && C.can('cases'); }, loadCases);
    C.addTab('services', function (me) { return me.role !== 'employer' && C.can('services'); }, loadServices);
    C.addTab('offers', function (me) { return me.role === 'employer'; }, loadOffers);
    C.hooks.on('seeker', seekerWork);
    C.hooks.on('reset', function () {
      ['#seeker-work', '#panel-cases', '#panel-services', '#panel-offers'].forEach(function (sel) { C.clear($(sel)); });
    });
  }

  if (window.HJConsole) part(window.HJConsole);
  else (window.HJConsoleParts = window.HJConsoleParts || []).push(part);
})();
