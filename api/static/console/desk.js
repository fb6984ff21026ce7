/* 登记导入 — registration at the desk: a walk-in person or an employer (create and edit, with the
 * import's validation and duplicate check by ID number / credit code, then a printable slip), and
 * file imports through a preview (upload → row errors → commit or cancel), with templates.
 * Plain JavaScript, no external resources; uses app.js's HJConsole surface. */
(function () {
  'use strict';

  function part(C) {
    var h = C.h;
    var $ = C.$;
    var desk = { editing: null, editingEmployer: null, importFile: null };

    var SEEKER_FIELDS = [
      ['name', '姓名', 'text', true], ['id_number', '身份证号', 'text'], ['phone', '手机号', 'text'],
      ['gender', '性别', 'select:gender'], ['birth_date', '出生日期', 'date'], ['education', '学历', 'select:education'],
      ['region_code', '区划代码（村/社区12位）', 'text'], ['address', '居住地址', 'text'],
      ['area_type', '城乡', 'select:area_type'], ['desired_occupations', '求职意向（用“、”分隔）', 'list'],
      ['skills', '技能特长（用“、”分隔）', 'list'], ['certificates', '证书（用“、”分隔）', 'list'],
      ['experience', '工作经历', 'textarea'], ['desired_wage_min', '期望月薪（元）', 'number'],
      ['status', '就业状态', 'select:seeker_status'], ['station_id', '登记服务站', 'station'],
      ['priority_groups', '就业困难类别', 'checks:priority'], ['consent_to_share', '本人同意向用人单位推荐', 'bool']
    ];
    var EMPLOYER_FIELDS = [
      ['name', '单位名称', 'text', true], ['credit_code', '统一社会信用代码', 'text'], ['industry', '所属行业', 'text'],
      ['region_code', '区划代码', 'text'], ['address', '单位地址', 'text'], ['contact_name', '联系人', 'text'],
      ['contact_phone', '联系电话', 'text']
    ];
    var IMPORT_KINDS = { seekers: '求职者', employers: '用人单位', jobs: '岗位', stations: '服务站' };

    function fieldId(form, name) { return 'desk-' + form + '-' + name; }

    function buildField(form, spec) {
      var name = spec[0], label = spec[1], kind = spec[2], id = fieldId(form, name);
      var input;
      if (kind.indexOf('select:') === 0) {
        var set = kind.slice(7);
        input = h('select', { id: id, name: name }, h('option', { value: '' }, '（请选择）'),
          Object.keys(C.ZH[set]).map(function (v) { return h('option', { value: v }, C.ZH[set][v]); }));
      } else if (kind === 'station') {
        input = h('select', { id: id, name: name });
      } else if (kind.indexOf('checks:') === 0) {
        var group = kind.slice(7);
        return h('fieldset', { class: 'field wide checks', id: id },
          h('legend', null, label),
          h('div', { class: 'check-grid' }, Object.keys(C.ZH[group]).map(function (v) {
            return h('label', { class: 'check' }, h('input', { type: 'checkbox', name: name, value: v }), ' ' + C.ZH[group][v]);
          })),
          h('p', { class: 'field-error', id: id + '-err' }));
      } else if (kind === 'bool') {
        return h('div', { class: 'field wide' },
          h('label', { class: 'check' }, h('input', { type: 'checkbox', id: id, name: name }), ' ' + label),
          h('p', { class: 'field-error', id: id + '-err' }));
      } else if (kind === 'textarea') {
        input = h('textarea', { id: id, name: name, rows: 2 });
      } else {
        input = h('input', { id: id, name: name, type: kind === 'date' ? 'date' : 'text',
          inputmode: kind === 'number' ? 'decimal' : null, autocomplete: 'off' });
      }
      input.setAttribute('aria-describedby', id + '-err');
      return h('div', { class: 'field' + (kind === 'textarea' || kind === 'list' ? ' wide' : '') },
        h('label', { for: id }, label, spec[3] ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
        input, h('p', { class: 'field-error', id: id + '-err' }));
    }

    function fillStations(sel) {
      C.clear(sel).appendChild(h('option', { value: '' }, '（不指定）'));
      C.state.stations.forEach(function (st) { sel.appendChild(h('option', { value: st.id }, st.name)); });
      sel.value = C.state.stationId || '';
    }

    function setValues(form, specs, rec) {
      specs.forEach(function (spec) {
        var name = spec[0], kind = spec[2], el = document.getElementById(fieldId(form, name));
        var v = rec ? rec[name] : undefined;
        if (kind.indexOf('checks:') === 0) {
          var on = {};
          (v || []).forEach(function (g) { on[g] = true; });
          Array.prototype.forEach.call(el.querySelectorAll('input'), function (cb) { cb.checked = !!on[cb.value]; });
        } else if (kind === 'bool') el.checked = !!v;
        else if (kind === 'list') el.value = (v || []).join('、');
        else if (kind === 'station') { fillStations(el); if (rec) el.value = v || ''; }
        else el.value = v === null || v === undefined ? '' : String(v);
      });
    }

    function readValues(form, specs) {
      var out = {};
      specs.forEach(function (spec) {
        var name = spec[0], kind = spec[2], el = document.getElementById(fieldId(form, name));
        if (kind.indexOf('checks:') === 0) {
          out[name] = Array.prototype.filter.call(el.querySelectorAll('input'), function (cb) { return cb.checked; })
            .map(function (cb) { return cb.value; });
        } else if (kind === 'bool') out[name] = el.checked;
        else if (kind === 'list') out[name] = el.value.split(/[、,，;；\n]+/).map(function (x) { return x.trim(); }).filter(Boolean);
        else {
          var raw = el.value.trim();
          if (raw === '') return;
          if (kind === 'number') { var n = Number(raw); out[name] = isFinite(n) ? n : raw; } else out[name] = raw;
        }
      });
      return out;
    }

    function clearErrors(box) {
      Array.prototype.forEach.call(box.querySelectorAll('.field-error'), function (p) { p.textContent = ''; });
      Array.prototype.forEach.call(box.querySelectorAll('[aria-invalid]'), function (el) { el.removeAttribute('aria-invalid'); });
      var general = box.querySelector('.form-errors');
      C.clear(general);
      general.hidden = true;
    }

    function showErrors(box, form, err) {
      clearErrors(box);
      var body = err.body || {};
      var errors = Array.isArray(body.errors) && body.errors.length ? body.errors : [{ field: body.field, message: body.message }];
      var general = box.querySelector('.form-errors');
      var first = null;
      errors.forEach(function (e) {
        var slot = e.field && document.getElementById(fieldId(form, e.field) + '-err');
        var msg = C.cnOnly(e.message) || '数据有误';
        if (slot) {
          slot.textContent = msg;
          var input = document.getElementById(fieldId(form, e.field));
          if (input) { input.setAttribute('aria-invalid', 'true'); first = first || input; }
        } else {
          general.appendChild(h('p', null, msg));
        }
      });
      if (err.status === 409) {
        var m = /编号\s*([^\s）)]+)/.exec(body.message || '');
        general.appendChild(h('p', { class: 'duplicate' }, err.status === 409 && body.field === 'id_number'
          ? '该身份证号已登记，请勿重复登记。' : '该记录已登记，请勿重复登记。',
          m && form === 'seeker' ? h('button', { type: 'button', class: 'open-duplicate', dataset: { id: m[1] },
            onclick: function () { C.showTab('seekers'); C.openSeeker(m[1]); } }, '打开已登记的档案') : null));
      }
      general.hidden = !general.firstChild;
      if (first) first.focus();
    }

    // ---- the printable registration slip ----------------------------------------------------------
    function renderSlip(kind, rec) {
      var slip = C.clear($('#desk-slip'));
      var st = C.currentStation();
      var rows = kind === 'seeker' ? [
        ['登记编号', rec.id], ['姓名', rec.name], ['身份证号', rec.id_number], ['手机号', rec.phone],
        ['求职意向', (rec.desired_occupations || []).join('、')], ['就业状态', C.zh('seeker_status', rec.status)],
        ['登记服务站', C.stationName(rec.station_id)]
      ] : [
        ['单位编号', rec.id], ['单位名称', rec.name], ['统一社会信用代码', rec.credit_code], ['联系人', rec.contact_name],
        ['联系电话', rec.contact_phone]
      ];
      slip.appendChild(h('p', { class: 'print-title' }, (st ? st.name : '公共就业服务站') + ' · ' +
        (kind === 'seeker' ? '求职登记回执' : '用人单位登记回执')));
      slip.appendChild(h('table', { class: 'table slip-table' }, h('tbody', null, rows.filter(function (r) { return r[1]; })
        .map(function (r) { return h('tr', null, h('th', { scope: 'row' }, r[0]), h('td', null, String(r[1]))); }))));
      slip.appendChild(h('p', null, '登记日期：' + C.todayISO() + '　　经办服务站盖章：'));
      slip.appendChild(h('p', { class: 'hint' }, '请妥善保管本回执；信息有变化时请到服务站更新登记。'));
      slip.appendChild(h('button', { type: 'button', id: 'btn-print-slip', class: 'no-print', onclick: function () {
        document.body.classList.add('printing-slip');
        window.print();
        setTimeout(function () { document.body.classList.remove('printing-slip'); }, 500);
      } }, '打印登记回执'));
      slip.hidden = false;
      slip.dataset.id = rec.id;
    }

    // ---- seekers ------------------------------------------------------------------------------------
    function seekerForm() {
      return h('form', { id: 'desk-seeker-form', class: 'job-form desk-form', novalidate: true, 'aria-labelledby': 'desk-seeker-title' },
        h('h2', { id: 'desk-seeker-title' }, '求职登记'),
        h('div', { class: 'form-errors', role: 'alert', hidden: true }),
        h('fieldset', null, h('legend', null, '个人信息'), SEEKER_FIELDS.map(function (f) { return buildField('seeker', f); })),
        h('div', { class: 'form-actions' },
          h('button', { type: 'submit', class: 'primary', id: 'btn-save-seeker' }, '保存登记'),
          h('button', { type: 'button', id: 'btn-new-seeker', onclick: function () { editSeeker(null); } }, '登记新人员')));
    }

    function editSeeker(rec) {
      var form = $('#desk-seeker-form');
      desk.editing = rec;
      clearErrors(form);
      setValues('seeker', SEEKER_FIELDS, rec);
      if (!rec) {
        var st = C.currentStation();
        if (st && st.region_code) document.getElementById(fieldId('seeker', 'region_code')).value = st.region_code;
        document.getElementById(fieldId('seeker', 'status')).value = 'unemployed';
      }
      $('#desk-seeker-title').textContent = rec ? '修改登记：' + (rec.name || rec.id) : '求职登记';
      $('#desk-slip').hidden = true;
      form.scrollIntoView({ block: 'start' });
    }

    function saveSeeker(ev) {
      ev.preventDefault();
      var form = $('#desk-seeker-form');
      var values = readValues('seeker', SEEKER_FIELDS);
      var rec = desk.editing;
      var req = rec ? C.api('/v1/seekers/' + C.enc(rec.id), { method: 'PUT', body: Object.assign({}, rec, values, { id: rec.id }) })
        : C.api('/v1/seekers', { method: 'POST', body: values });
      clearErrors(form);
      req.then(function (saved) {
        desk.editing = saved;
        $('#desk-seeker-title').textContent = '修改登记：' + (saved.name || saved.id);
        C.toast((rec ? '登记已更新：' : '登记成功：') + (saved.name || '') + '（编号 ' + saved.id + '）');
        renderSlip('seeker', saved);
      }).catch(function (err) { showErrors(form, 'seeker', err); });
    }

    // ---- employers ----------------------------------------------------------------------------------
    function employerForm() {
      return h('form', { id: 'desk-employer-form', class: 'job-form desk-form', novalidate: true, 'aria-labelledby': 'desk-employer-title' },
        h('h2', { id: 'desk-employer-title' }, '用人单位登记'),
        h('div', { class: 'form-errors', role: 'alert', hidden: true }),
        h('fieldset', null, h('legend', null, '单位信息'), EMPLOYER_FIELDS.map(function (f) { return buildField('employer', f); })),
        h('div', { class: 'form-actions' },
          h('button', { type: 'submit', class: 'primary', id: 'btn-save-employer' }, '保存单位'),
          h('button', { type: 'button', onclick: function () { editEmployer(null); } }, '登记新单位')));
    }

    function editEmployer(rec) {
      desk.editingEmployer = rec;
      clearErrors($('#desk-employer-form'));
      setValues('employer', EMPLOYER_FIELDS, rec);
      if (!rec) {
        var st = C.currentStation();
        if (st && st.region_code) document.getElementById(fieldId('employer', 'region_code')).value = st.region_code.slice(0, 6);
      }
    }

    function saveEmployer(ev) {
      ev.preventDefault();
      var form = $('#desk-employer-form');
      var values = readValues('employer', EMPLOYER_FIELDS);
      var rec = desk.editingEmployer;
      var req = rec ? C.api('/v1/employers/' + C.enc(rec.id), { method: 'PUT', body: Object.assign({}, rec, values, { id: rec.id }) })
        : C.api('/v1/employers', { method: 'POST', body: values });
      clearErrors(form);
      req.then(function (saved) {
        desk.editingEmployer = saved;
        C.toast('单位已登记：' + saved.name + '（编号 ' + saved.id + '）');
        renderSlip('employer', saved);
      }).catch(function (err) { showErrors(form, 'employer', err); });
    }

    // ---- imports through a preview -----------------------------------------------------------------
    function importBox() {
      var kind = h('select', { id: 'import-kind' }, Object.keys(IMPORT_KINDS).map(function (k) {
        return h('option', { value: k }, IMPORT_KINDS[k]);
      }));
      return h('section', { class: 'import-box', 'aria-labelledby': 'import-title' },
        h('h2', { id: 'import-title' }, '批量导入'),
        h('p', { class: 'hint' }, '先预览：系统逐行校验（身份证号校验位、手机号、区划代码），显示将新增、更新的条数和每行错误，确认后才导入。编号可不填：按身份证号或统一社会信用代码匹配已登记的记录，否则自动生成。'),
        h('div', { class: 'searchbar' },
          h('label', { for: 'import-kind' }, '导入内容'), kind,
          h('label', { for: 'import-file' }, '文件（CSV 或 Excel）'),
          h('input', { id: 'import-file', type: 'file', accept: '.csv,.xlsx,.jsonl' }),
          h('button', { type: 'button', class: 'primary', id: 'btn-import-preview', onclick: previewImport }, '预览'),
          h('button', { type: 'button', id: 'btn-template-xlsx', onclick: function () { template('xlsx'); } }, '下载模板（Excel）'),
          h('button', { type: 'button', id: 'btn-template-csv', onclick: function () { template('csv'); } }, '下载模板（CSV）')),
        h('div', { id: 'import-preview', 'aria-live': 'polite' }));
    }

    function template(fmt) {
      var kind = $('#import-kind').value;
      C.download('/v1/' + kind + '/import/template?format=' + fmt, IMPORT_KINDS[kind] + '导入模板.' + fmt).catch(C.report);
    }

    function previewImport() {
      var file = $('#import-file').files[0];
      var box = C.clear($('#import-preview'));
      if (!file) { C.statusLine(box, '请先选择要导入的文件。', 'warn'); return; }
      var kind = $('#import-kind').value;
      var form = new FormData();
      form.append('file', file, file.name);
      desk.importFile = { kind: kind, file: file };
      C.statusLine(box, '正在校验文件…');
      C.apiUpload('/v1/' + kind + '/import/preview', form).then(function (p) { renderPreview(kind, p); })
        .catch(function (err) { C.statusLine(box, '文件无法导入：' + err.message, 'error'); });
    }

    function renderPreview(kind, p) {
      var box = C.clear($('#import-preview'));
      box.appendChild(h('p', { class: 'import-summary', id: 'import-summary', dataset: { inserted: p.inserted, updated: p.updated,
        rejected: p.rejected } },
        '共 ' + p.rows + ' 行：将新增 ' + p.inserted + ' 条，更新 ' + p.updated + ' 条（其中按身份证号/信用代码匹配 ' +
        p.matched_by_key + ' 条），不变 ' + p.unchanged + ' 条，有错误 ' + p.rejected + ' 行。'));
      if (p.errors.length) {
        box.appendChild(h('table', { class: 'table import-errors' }, h('caption', null, '有错误的行（这些行不会导入）'),
          h('thead', null, h('tr', null, ['行号', '字段', '问题'].map(function (t) { return h('th', { scope: 'col' }, t); }))),
          h('tbody', null, p.errors.map(function (e) {
            return h('tr', { class: 'import-error' }, h('td', null, String(e.row || '')), h('td', null, e.field || ''),
              h('td', null, C.cnOnly(e.message)));
          }))));
      }
      if (p.ignored_columns && p.ignored_columns.length) {
        box.appendChild(h('p', { class: 'hint' }, '未识别、将忽略的列：' + p.ignored_columns.join('、')));
      }
      var good = p.inserted + p.updated + p.unchanged;
      box.appendChild(h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'primary', id: 'btn-import-commit', disabled: good ? null : true,
          onclick: function () { commitImport(kind); } }, p.rejected ? '只导入正确的 ' + good + ' 行' : '确认导入'),
        h('button', { type: 'button', id: 'btn-import-cancel', onclick: function () {
          desk.importFile = null;
          $('#import-file').value = '';
          C.statusLine(C.clear($('#import-preview')), '已取消，没有导入任何数据。');
        } }, '取消')));
    }

    function commitImport(kind) {
      var f = desk.importFile;
      if (!f || f.kind !== kind) return;
      var form = new FormData();
      form.append('file', f.file, f.file.name);
      form.append('on_error', 'skip');
      var box = $('#import-preview');
      C.apiUpload('/v1/' + kind + '/import', form).then(function (r) {
        desk.importFile = null;
        C.statusLine(C.clear(box), '导入完成：新增 ' + r.inserted + ' 条，更新 ' + r.updated + ' 条，未变 ' + r.unchanged +
          ' 条，跳过有错误的 ' + r.rejected + ' 行。', 'ok');
        box.firstChild.id = 'import-done';
        C.toast('导入完成');
      }).catch(function (err) { C.statusLine(box, '导入失败：' + err.message, 'error'); });
    }

    // ---- the panel ------------------------------------------------------------------------------------
    function build() {
      var panel = C.clear($('#panel-desk'));
      panel.appendChild(h('div', { class: 'desk-grid' }, seekerForm(), employerForm()));
      panel.appendChild(h('section', { id: 'desk-slip', class: 'slip', hidden: true, 'aria-label': '登记回执' }));
      panel.appendChild(importBox());
      $('#desk-seeker-form').addEventListener('submit', saveSeeker);
      $('#desk-employer-form').addEventListener('submit', saveEmployer);
      editSeeker(null);
      editEmployer(null);
    }

    var built = false;
    C.addTab('desk', function (me) { return C.can('seekers', 'write') && C.can('employers', 'write') && me.role !== 'employer'; },
      function () { if (!built) { build(); built = true; } });
    C.hooks.on('reset', function () { built = false; C.clear($('#panel-desk')); });
    C.desk = { editSeeker: function (rec) { if (!built) { build(); built = true; } C.showTab('desk'); editSeeker(rec); } };
  }

  if (window.HJConsole) part(window.HJConsole);
  else (window.HJConsoleParts = window.HJConsoleParts || []).push(part);
})();
