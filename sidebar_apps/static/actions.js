/* ChargeDesk sidebar actions: confirm step, POST /actions with one idempotency key per dialog,
 * progress by polling the run, then the final state or the error. */
(function (window) {
  'use strict';

  var CD = window.ChargeDesk;
  var h = CD.h;
  /* Per kind: the amount field (and which object field caps it), reason (required/optional), extra fields
   * [name, label, type, required, default] and checkboxes [name, label, default]. Params follow
   * backend/actions/<kind>.py. */
  var ACTIONS = {
    refund: {label: 'Refund', busy: 'Refunding', done: 'Refunded', amount: 'amount_refundable', reason: 'required'},
    capture: {label: 'Capture', busy: 'Capturing', done: 'Captured', amount: 'amount_capturable', reason: 'optional'},
    void: {label: 'Void', busy: 'Voiding', done: 'Voided', reason: 'optional'},
    cancel_subscription: {label: 'Cancel', busy: 'Canceling', done: 'Canceled', reason: 'required',
      checks: [['at_period_end', 'At the end of the billing period', true], ['prorate', 'Prorate unused time', false]]},
    create_subscription: {label: 'Create subscription', busy: 'Creating', done: 'Created', reason: 'optional',
      fields: [['price_id', 'Price ID', 'text', true], ['quantity', 'Quantity', 'int', false, '1'],
               ['trial_days', 'Trial days', 'int', false], ['coupon', 'Coupon', 'text', false]]},
    send_invoice: {label: 'Send invoice', busy: 'Sending', done: 'Sent', reason: 'optional'},
    apply_coupon: {label: 'Apply coupon', busy: 'Applying', done: 'Applied', reason: 'optional',
      fields: [['code', 'Coupon or promotion code', 'text', true]]},
    add_tax_id: {label: 'Add tax ID', busy: 'Adding', done: 'Added', reason: 'optional',
      fields: [['type', 'Type (e.g. eu_vat)', 'text', true], ['value', 'Tax ID', 'text', true]]}
  };
  /* A new invoice from the customer: one line, in the customer's (else the account's) currency. */
  var NEW_INVOICE = {label: 'Send invoice', busy: 'Sending', done: 'Sent', reason: 'optional', line: true,
    fields: [['description', 'Line description', 'text', true], ['days_until_due', 'Days until due', 'int', false, '30']]};
  var FINAL = {succeeded: true, failed: true, rejected: true};
  var BUSY = {submitting: true, running: true, approval: true, slow: true};
  var POLL_LIMIT_MS = 120000;

  function meta(kind, targetType) {
    if (kind === 'send_invoice' && targetType === 'customer') { return NEW_INVOICE; }
    return ACTIONS[kind] || {label: CD.humanize(kind), busy: 'Working', done: 'Done', reason: 'optional'};
  }
  CD.actionLabel = function (kind) { return meta(kind).label; };

  /* One confirm dialog = one idempotency key: double clicks and retries after a lost answer reuse it. */
  CD.Dialog = function (kind, targetType, target, account) {
    var m = this.meta = meta(kind, targetType);
    this.kind = kind;
    this.targetType = targetType;
    this.target = target;
    this.key = CD.newKey();
    this.phase = 'edit';
    this.error = null;
    this.run = null;
    this.currency = target.currency || account.currency;
    this.exponent = typeof target.exponent === 'number' && target.currency ? target.exponent : account.exponent;
    this.cap = m.amount ? target[m.amount] : null;
    this.values = {reason: '', other: '', note: '', amount: this.cap ? CD.formatMajor(this.cap, this.exponent) : ''};
    var values = this.values;
    (m.fields || []).forEach(function (f) { values[f[0]] = f[4] || ''; });
    (m.checks || []).forEach(function (c) { values[c[0]] = c[2]; });
  };

  function amountParam(dialog) {
    var minor = CD.parseMajor(dialog.values.amount, dialog.exponent);
    var example = CD.formatMajor(dialog.cap || 1000 * Math.pow(10, dialog.exponent), dialog.exponent);
    if (minor === null || minor <= 0) { throw new Error('Enter an amount like ' + example + '.'); }
    if (dialog.cap !== null && minor > dialog.cap) {
      throw new Error('At most ' + CD.formatMajor(dialog.cap, dialog.exponent) + ' ' + dialog.currency + ' can be ' +
                      dialog.meta.done.toLowerCase() + '.');
    }
    return minor;
  }

  function fieldParams(dialog, out) {
    (dialog.meta.fields || []).forEach(function (f) {
      var text = String(dialog.values[f[0]] || '').trim();
      if (!text) {
        if (f[3]) { throw new Error(f[1] + ' is required.'); }
        return;
      }
      if (f[2] === 'int') {
        if (!/^\d{1,6}$/.test(text)) { throw new Error(f[1] + ' must be a whole number.'); }
        out[f[0]] = parseInt(text, 10);
      } else {
        out[f[0]] = text;
      }
    });
  }

  function params(dialog) {
    var m = dialog.meta, out = {};
    if (m.amount) { out.amount = amountParam(dialog); out.currency = dialog.currency; }
    fieldParams(dialog, out);
    (m.checks || []).forEach(function (c) { out[c[0]] = !!dialog.values[c[0]]; });
    if (m.line) {
      out.lines = [{description: out.description, amount: amountParam(dialog), quantity: 1}];
      out.currency = dialog.currency;
      delete out.description;
    }
    return out;
  }

  function reason(dialog) {
    var v = dialog.values;
    if (dialog.meta.reason === 'required' && !v.reason) { throw new Error('Choose a reason.'); }
    if (v.reason === 'other' && !v.other.trim()) { throw new Error('Say why in a few words.'); }
    return v.reason || null;
  }

  CD.actionBody = function (app, dialog) {
    var v = dialog.values;
    var note = v.reason === 'other' ? v.other.trim() : v.note.trim();
    return {kind: dialog.kind, target: dialog.target.id, target_type: dialog.targetType, params: params(dialog),
            reason: reason(dialog), note: note || null, idempotency_key: dialog.key, source: app.source()};
  };

  CD.submitAction = function (app, dialog) {
    if (dialog.phase !== 'edit') { return; }
    var body;
    try { body = CD.actionBody(app, dialog); } catch (err) { dialog.error = err.message; app.render(); return; }
    dialog.phase = 'submitting';
    dialog.error = null;
    dialog.amountText = body.params.amount ? CD.formatMajor(body.params.amount, dialog.exponent) + ' ' + dialog.currency : '';
    app.render();
    app.api.post('/actions', body).then(function (run) {
      dialog.run = run;
      dialog.phase = 'running';
      dialog.startedAt = Date.now();
      follow(app, dialog, 0);
    }, function (err) {
      /* A 4xx means nothing was recorded: a corrected request is a new one. Otherwise the same key
       * makes a retry safe (the first attempt may have gone through). */
      if (err.status >= 400 && err.status < 500) { dialog.key = CD.newKey(); }
      dialog.phase = 'edit';
      dialog.error = err.message;
      app.render();
    });
  };

  function follow(app, dialog, attempt) {
    var run = dialog.run;
    if (app.dialog !== dialog) { return; }
    if (FINAL[run.status]) { return finish(app, dialog); }
    if (run.status === 'pending_approval') {
      dialog.phase = 'approval';
      return app.reload();
    }
    app.render();
    if (Date.now() - dialog.startedAt > POLL_LIMIT_MS) {
      dialog.phase = 'slow';
      return app.render();
    }
    window.setTimeout(function () {
      app.api.get('/actions/' + encodeURIComponent(run.id)).then(function (fresh) {
        dialog.run = fresh;
        follow(app, dialog, attempt + 1);
      }, function () { follow(app, dialog, attempt + 1); });
    }, Math.min(200 * Math.pow(1.5, attempt), 2000));
  }

  function finish(app, dialog) {
    var run = dialog.run;
    if (run.status === 'succeeded') {
      var summary = run.result && run.result.summary;
      app.flash = {tone: 'green', text: summary ? summary + '.' : dialog.meta.done + (dialog.amountText ? ' ' + dialog.amountText : '') + '.'};
      app.dialog = null;
    } else {
      dialog.phase = 'failed';
      dialog.error = (run.error && run.error.message) ||
        (run.status === 'rejected' ? 'An admin rejected this request.' : 'The action failed.');
    }
    return app.reload();
  }

  function reasonField(app, dialog) {
    var v = dialog.values, off = dialog.phase !== 'edit';
    var placeholder = dialog.meta.reason === 'required' ? 'Choose a reason…' : 'No reason';
    var select = h('select.cd-input', {name: 'reason', 'aria-label': 'Reason', disabled: off,
      onchange: function (evt) { v.reason = evt.target.value; app.render(); }},
      [h('option', {value: '', text: placeholder})].concat(app.view.reason_codes.map(function (r) {
        return h('option', {value: r.code, text: r.label});
      })));
    select.value = v.reason;
    return [h('label.cd-label', {text: 'Reason'}), select,
      v.reason === 'other' ? h('input.cd-input', {name: 'reason_other', placeholder: 'Why?', value: v.other, disabled: off,
        oninput: function (evt) { v.other = evt.target.value; }}) : null];
  }

  function amountField(dialog, off) {
    var v = dialog.values;
    var hint = dialog.cap !== null ? ', up to ' + CD.formatMajor(dialog.cap, dialog.exponent) : '';
    return [h('label.cd-label', {text: 'Amount (' + dialog.currency + hint + ')'}),
      h('input.cd-input', {name: 'amount', inputmode: 'decimal', autocomplete: 'off', value: v.amount, disabled: off,
        oninput: function (evt) { v.amount = evt.target.value; }})];
  }

  /* A refund: how much the agent may still refund alone (backend/actions/limits.py counts their earlier
   * refunds of this charge and of the last 24 hours); nothing when no limit applies. */
  CD.allowanceText = function (app, dialog) {
    var a = app.view && app.view.agent && app.view.agent.refund_allowance;
    if (dialog.kind !== 'refund' || !a) { return null; }
    var currency = String(dialog.currency || '').toUpperCase();
    if (!Object.prototype.hasOwnProperty.call(a.remaining, currency)) {
      return 'Refunds in ' + currency + ' need approval by an admin.';
    }
    var left = a.remaining[currency], onCharge = a.charges[String(dialog.target.id)];
    if (typeof onCharge === 'number') { left = Math.min(left, onCharge); }
    if (left <= 0) { return 'Any refund now needs approval by an admin.'; }
    return 'You can refund up to ' + CD.formatMajor(left, dialog.exponent) + ' ' + currency + ' without approval.';
  };

  function fields(app, dialog) {
    var m = dialog.meta, v = dialog.values, off = dialog.phase !== 'edit', out = [];
    (m.fields || []).forEach(function (f) {
      out.push(h('label.cd-label', {text: f[1] + (f[3] ? '' : ' (optional)')}),
        h('input.cd-input', {name: f[0], value: v[f[0]], disabled: off, inputmode: f[2] === 'int' ? 'numeric' : null,
          oninput: function (evt) { v[f[0]] = evt.target.value; }}));
    });
    if (m.amount || m.line) { out.push(amountField(dialog, off)); }
    var allowance = CD.allowanceText(app, dialog);
    if (allowance) { out.push(h('p.cd-muted.cd-allowance', {text: allowance})); }
    (m.checks || []).forEach(function (c) {
      out.push(h('label.cd-check', {}, [h('input', {type: 'checkbox', name: c[0], checked: v[c[0]], disabled: off,
        onchange: function (evt) { v[c[0]] = evt.target.checked; }}), ' ' + c[1]]));
    });
    if (m.reason) { out.push(reasonField(app, dialog)); }
    if (v.reason !== 'other') {
      out.push(h('textarea.cd-input', {name: 'note', rows: 2, placeholder: 'Note (optional)', disabled: off,
        oninput: function (evt) { v.note = evt.target.value; }}, v.note));
    }
    return out;
  }

  function progress(dialog) {
    var status = dialog.run ? dialog.run.status : 'sending';
    if (dialog.phase === 'approval') { return h('p.cd-progress', {text: 'Waiting for approval by an admin.'}); }
    if (dialog.phase === 'slow') { return h('p.cd-progress', {text: 'Still working. Check Recent actions in a minute.'}); }
    return h('p.cd-progress', {role: 'status'}, [h('span.cd-spinner', {'aria-hidden': 'true'}),
      dialog.meta.busy + '… (' + CD.humanize(status) + ')']);
  }

  CD.renderDialog = function (app, dialog) {
    var m = dialog.meta, editing = dialog.phase === 'edit', t = dialog.target;
    return h('form.cd-confirm', {'data-phase': dialog.phase, 'data-kind': dialog.kind, novalidate: true,
      onsubmit: function (evt) { evt.preventDefault(); CD.submitAction(app, dialog); }}, [
      h('div.cd-confirm__title', {text: m.label + ' ' + (t.amount_display || t.plan_name || t.number || t.name || t.email || '')}),
      dialog.phase === 'failed' ? null : fields(app, dialog),
      dialog.error ? h('p.cd-error', {role: 'alert', text: dialog.error}) : null,
      BUSY[dialog.phase] ? progress(dialog) : null,
      h('div.cd-actions', {}, [
        editing ? h('button.cd-btn.cd-btn--primary', {type: 'submit', 'data-confirm': dialog.kind, text: 'Confirm'}) : null,
        h('button.cd-btn', {type: 'button', text: BUSY[dialog.phase] ? 'Hide' : 'Close',
          onclick: function () { app.closeDialog(); }})])
    ]);
  };
})(window);
