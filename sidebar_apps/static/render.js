/* ChargeDesk sidebar views: the context view model -> DOM (compact, Zendesk Garden-like). */
(function (window) {
  'use strict';

  var CD = window.ChargeDesk;
  var h = CD.h;
  var TONES = {
    succeeded: 'green', paid: 'green', active: 'green', won: 'green', trialing: 'blue', running: 'blue',
    pending: 'yellow', authorized: 'yellow', pending_approval: 'yellow', open: 'yellow', incomplete: 'yellow',
    under_review: 'yellow', past_due: 'red', failed: 'red', rejected: 'red', uncollectible: 'red',
    needs_response: 'red', lost: 'red'
  };

  function badge(text, tone, title) {
    return h('span.cd-badge.cd-badge--' + (tone || TONES[text] || 'grey'), {text: CD.humanize(text), title: title});
  }

  function section(title, extra, body) {
    return h('section.cd-section', {}, [h('h3.cd-section__title', {}, [title, extra ? h('span.cd-muted', {text: ' ' + extra}) : null]), body]);
  }

  function actionsRow(app, targetType, obj) {
    if (!obj.actions || !obj.actions.length) { return null; }
    return h('div.cd-actions', {}, obj.actions.map(function (kind) {
      return h('button.cd-btn.cd-btn--small', {type: 'button', 'data-action': kind, text: CD.actionLabel(kind),
        onclick: function () { app.openAction(kind, targetType, obj); }});
    }));
  }

  function item(app, targetType, obj, rows) {
    return h('li.cd-item', {'data-type': targetType, 'data-id': obj.id}, [rows, actionsRow(app, targetType, obj),
      app.dialogNode(targetType, obj.id)]);
  }

  function chargeState(ch) {
    if (ch.amount_refunded && ch.amount_refunded >= ch.amount_captured) { return badge('refunded', 'grey'); }
    if (ch.amount_refunded) { return badge('partially_refunded', 'blue'); }
    return badge(ch.status);
  }

  function charge(app, ch) {
    var card = ch.card_brand ? CD.humanize(ch.card_brand) + ' •••• ' + (ch.card_last4 || '') : null;
    return item(app, 'charge', ch, [
      h('div.cd-item__row', {}, [h('strong.cd-amount', {text: ch.amount_display}), chargeState(ch),
        h('span.cd-muted.cd-right', {text: CD.date(ch.created_at)})]),
      h('div.cd-item__meta.cd-muted', {}, [card, ch.description ? ' · ' + ch.description : null]),
      ch.amount_refunded ? h('div.cd-item__meta', {'data-refunded': ch.amount_refunded}, [
        'Refunded ' + ch.refunded_display + ' of ' + ch.amount_display,
        ch.external ? badge('external', 'purple', 'Refunded outside ChargeDesk (in the gateway)') : null]) : null,
      ch.failure_message ? h('div.cd-item__meta.cd-error', {text: ch.failure_message}) : null,
      (ch.disputes || []).map(function (d) { return h('div.cd-item__meta', {}, ['Disputed (' + CD.humanize(d.reason) + ') ', badge(d.status)]); })
    ]);
  }

  function subscription(app, s) {
    var when = s.cancellation === 'canceled' ? 'Canceled ' + CD.date(s.canceled_at)
      : (s.cancel_at_period_end ? 'Cancels ' : 'Renews ') + CD.date(s.next_billing);
    return item(app, 'subscription', s, [
      h('div.cd-item__row', {}, [h('strong', {text: s.plan_name || s.external_id}), badge(s.status),
        s.cancel_at_period_end && s.status !== 'canceled' ? badge('cancels_at_period_end', 'yellow') : null]),
      h('div.cd-item__meta', {}, [s.amount_display ? s.amount_display + ' / ' + (s.interval || 'period') : null,
        s.quantity > 1 ? ' × ' + s.quantity : null, h('span.cd-muted', {text: ' · ' + when})]),
      s.external ? h('div.cd-item__meta', {}, [badge('external', 'purple', 'Changed outside ChargeDesk'),
        h('span.cd-muted', {text: ' canceled in the gateway'})]) : null
    ]);
  }

  function invoice(app, inv) {
    return item(app, 'invoice', inv, [
      h('div.cd-item__row', {}, [h('strong', {text: inv.number || inv.external_id}), badge(inv.status),
        h('span.cd-right', {text: inv.total_display})]),
      h('div.cd-item__meta.cd-muted', {}, [inv.amount_due_display && inv.status === 'open' ? 'Due ' + inv.amount_due_display : null,
        inv.due_at ? ' by ' + CD.date(inv.due_at) : null, !inv.due_at && inv.created_at ? CD.date(inv.created_at) : null])
    ]);
  }

  function list(app, items, build) {
    return h('ul.cd-list', {}, items.map(function (x) { return build(app, x); }));
  }

  function customerHead(app, view, c) {
    var ltv = (c.lifetime_value || []).map(function (m) { return m.display; }).join(' · ');
    return h('header.cd-customer', {}, [
      h('div.cd-item__row', {}, [h('h2.cd-customer__name', {text: c.name || c.email || c.external_id}),
        h('span.cd-badge.cd-badge--blue', {text: c.gateway.name || CD.humanize(c.gateway.kind), title: c.gateway.kind}),
        c.linked ? badge('linked', 'grey', 'Linked by hand to this requester') : null,
        c.deleted ? badge('deleted', 'red') : null]),
      h('div.cd-muted', {}, [c.email, c.created_at ? ' · since ' + CD.date(c.created_at) : null]),
      h('dl.cd-facts', {}, [h('dt', {text: 'Lifetime value'}), h('dd', {'data-ltv': '', text: ltv || 'nothing yet'}),
        h('dt', {text: 'Charges'}), h('dd', {text: String(c.charge_count)})]),
      app.searchEmail && view.agent.can_act && !c.linked ? h('button.cd-btn.cd-btn--small', {type: 'button', 'data-link': c.id,
        text: 'Link to ' + app.requesterEmail(), onclick: function () { app.link(app.requesterEmail(), c.id); }}) : null,
      view.matches.length > 1 ? h('button.cd-link', {type: 'button', text: 'Switch customer (' + view.matches.length + ' match)',
        onclick: function () { app.showChooser(); }}) : null,
      actionsRow(app, 'customer', c), app.dialogNode('customer', c.id)
    ]);
  }

  function customer(app, view) {
    var c = view.customer;
    var shown = c.charges.length < c.charge_count ? '(latest ' + c.charges.length + ' of ' + c.charge_count + ')' : null;
    var past = c.invoices.past;
    return [customerHead(app, view, c),
      c.charges.length ? section('Charges', shown, list(app, c.charges, charge)) : null,
      c.subscriptions.length ? section('Subscriptions', null, list(app, c.subscriptions, subscription)) : null,
      c.invoices.open.length ? section('Open invoices', null, list(app, c.invoices.open, invoice)) : null,
      past.length ? h('details.cd-section', {}, [h('summary.cd-section__title', {text: 'Past invoices (' + past.length + ')'}),
        list(app, past, invoice)]) : null,
      c.tax_ids.length ? section('Tax IDs', null, h('ul.cd-list', {}, c.tax_ids.map(function (t) {
        return h('li.cd-item', {}, [h('strong', {text: t.value}), ' ', h('span.cd-muted', {text: CD.humanize(t.type)}),
          t.verification_status ? badge(t.verification_status) : null]);
      }))) : null];
  }

  function chooser(app, view) {
    var email = app.requesterEmail();
    var remember = view.agent.can_act ? h('input', {type: 'checkbox', id: 'cd-remember', checked: true}) : null;
    return h('section.cd-chooser', {}, [
      h('h2', {text: view.matches.length + ' customers match'}),
      h('p.cd-muted', {text: 'Pick the customer this ticket is about.'}),
      h('ul.cd-list', {}, view.matches.map(function (m) {
        return h('li.cd-item', {'data-customer': m.id}, [
          h('div.cd-item__row', {}, [h('strong', {text: m.name || m.email || m.external_id}),
            h('span.cd-badge.cd-badge--blue', {text: m.gateway.name || m.gateway.kind}), m.linked ? badge('linked', 'grey') : null]),
          h('div.cd-item__meta.cd-muted', {text: [m.email, m.external_id, CD.date(m.created_at)].filter(Boolean).join(' · ')}),
          h('button.cd-btn.cd-btn--small', {type: 'button', text: 'Open', onclick: function () {
            app.pick(m.id, remember && remember.checked ? email : null);
          }})]);
      })),
      remember ? h('label.cd-check', {}, [remember, ' Remember my choice for ' + email]) : null
    ]);
  }

  function empty(app, view) {
    var input = h('input.cd-input', {type: 'email', placeholder: 'another@email.com', 'aria-label': 'Email to search'});
    return h('section.cd-empty', {}, [
      h('h2', {text: 'No billing customer found'}),
      h('p.cd-muted', {text: 'Searched every connected gateway for:'}),
      h('ul.cd-searched', {}, view.query.emails.map(function (e) { return h('li', {text: e}); })),
      h('form.cd-search', {onsubmit: function (evt) { evt.preventDefault(); app.search(input.value); }},
        [input, h('button.cd-btn', {type: 'submit', text: 'Search'})])
    ]);
  }

  function runs(list_) {
    return section('Recent actions', null, h('ul.cd-list', {}, list_.map(function (r) {
      return h('li.cd-item', {'data-run': r.id}, [
        h('div.cd-item__row', {}, [h('strong', {text: CD.actionLabel(r.kind)}), r.amount_display ? ' ' + r.amount_display : null,
          badge(r.status), h('span.cd-muted.cd-right', {text: CD.date(r.created_at)})]),
        r.requested_by ? h('div.cd-item__meta.cd-muted', {text: 'by ' + r.requested_by}) : null,
        r.error_message ? h('div.cd-item__meta.cd-error', {text: r.error_message}) : null]);
    })));
  }

  function searching(app) {
    if (!app.searchEmail) { return null; }
    return h('div.cd-searching.cd-muted', {}, ['Results for ' + app.searchEmail + ' · ',
      h('button.cd-link', {type: 'button', text: 'Back to ' + app.requesterEmail(), onclick: function () { app.search(null); }})]);
  }

  /* A helpdesk user nobody has linked yet reads billing only (backend.auth.sidebar_tokens). */
  function readOnlyNotice(app) {
    if (!app.config.agent || app.config.agent.linked !== false) { return null; }
    return h('p.cd-readonly.cd-muted', {role: 'note', text: 'Ask an admin to link your account to take actions.'});
  }

  CD.render = function (app, view) {
    var parts = [readOnlyNotice(app), app.flashNode(), searching(app)];
    if (view.customer && !app.choosing) { parts.push(customer(app, view)); }
    else if (view.matches.length) { parts.push(chooser(app, view)); }
    else { parts.push(empty(app, view)); }
    if (view.runs && view.runs.length && view.customer && !app.choosing) { parts.push(runs(view.runs)); }
    return parts;
  };
  CD.badge = badge;
})(window);
