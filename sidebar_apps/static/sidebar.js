/* ChargeDesk sidebar app: asks the host for the requester, loads the billing context, renders it,
 * and keeps the host frame sized to the content. Boots once the host adapter script has loaded. */
(function (window, document) {
  'use strict';

  var CD = window.ChargeDesk;
  var h = CD.h;

  function App(config, host, root) {
    this.config = config;
    this.host = host;
    this.root = root;
    this.api = new CD.Api(config.api_base, config.token);
    this.emails = [];
    this.ticketId = null;
    this.customerId = null;
    this.searchEmail = null;
    this.view = null;
    this.dialog = null;
    this.flash = null;
    this.choosing = false;
    this.lastHeight = 0;
  }

  App.prototype.start = function () {
    var self = this;
    return this.host.context().then(function (ctx) {
      self.emails = (ctx.emails || []).filter(Boolean);
      self.ticketId = ctx.ticketId || null;
      if (!self.emails.length) { return self.fail('This ticket has no requester email to look up.'); }
      return self.reload();
    }).catch(function (err) { self.fail((err && err.message) || 'The helpdesk did not answer.'); });
  };

  App.prototype.requesterEmail = function () { return this.emails[0]; };

  App.prototype.reload = function () {
    var self = this;
    var query = {email: this.searchEmail ? [this.searchEmail] : this.emails, ticket: this.ticketId,
                 customer_id: this.customerId};
    return this.api.get('/sidebar/context', query).then(function (view) {
      self.view = view;
      self.render();
    }, function (err) { self.fail(err.message); });
  };

  App.prototype.render = function () {
    if (!this.view) { return; }
    var nodes = CD.render(this, this.view).filter(Boolean);
    this.root.replaceChildren.apply(this.root, [].concat.apply([], nodes).filter(Boolean));
    this.root.setAttribute('data-state', this.view.customer && !this.choosing ? 'customer' : (this.view.matches.length ? 'chooser' : 'empty'));
    this.resize();
  };

  App.prototype.resize = function () {
    var height = Math.ceil(this.root.getBoundingClientRect().height);
    if (height === this.lastHeight) { return; }
    this.lastHeight = height;
    try { this.host.resize(height); } catch (err) { /* a host that cannot resize keeps its own size */ }
  };

  App.prototype.fail = function (message) {
    this.root.replaceChildren(h('div.cd-alert', {role: 'alert', text: message}));
    this.root.setAttribute('data-state', 'error');
    this.resize();
  };

  App.prototype.openAction = function (kind, targetType, target) {
    this.dialog = new CD.Dialog(kind, targetType, target, this.view.account);
    this.flash = null;
    this.render();
    var first = this.root.querySelector('.cd-confirm input, .cd-confirm select');
    if (first) { first.focus(); }
  };

  App.prototype.closeDialog = function () {
    this.dialog = null;
    this.render();
  };

  App.prototype.dialogNode = function (targetType, id) {
    var d = this.dialog;
    return d && d.targetType === targetType && d.target.id === id ? CD.renderDialog(this, d) : null;
  };

  App.prototype.flashNode = function () {
    var self = this;
    if (!this.flash) { return null; }
    return h('div.cd-flash.cd-flash--' + this.flash.tone, {role: 'status'}, [this.flash.text,
      h('button.cd-link', {type: 'button', 'aria-label': 'Dismiss', text: '×', onclick: function () { self.flash = null; self.render(); }})]);
  };

  App.prototype.showChooser = function () {
    this.choosing = true;
    this.dialog = null;
    this.render();
  };

  App.prototype.pick = function (customerId, rememberFor) {
    var self = this;
    this.customerId = customerId;
    this.choosing = false;
    if (!rememberFor) { return this.reload(); }
    return this.link(rememberFor, customerId);
  };

  App.prototype.link = function (email, customerId) {
    var self = this;
    return this.api.post('/sidebar/links', {email: email, customer_id: customerId}).then(function () {
      self.flash = {tone: 'green', text: 'Linked ' + email + ' to this customer.'};
      if (self.searchEmail) { self.searchEmail = null; self.customerId = null; }
      return self.reload();
    }, function (err) {
      self.flash = {tone: 'red', text: err.message};
      return self.reload();
    });
  };

  App.prototype.search = function (email) {
    this.searchEmail = String(email || '').trim() || null;
    this.customerId = null;
    this.choosing = false;
    return this.reload();
  };

  App.prototype.source = function () {
    var source = this.host.source ? this.host.source() : {};
    source.host = source.host || this.config.host;
    source.ticket_id = this.ticketId;
    return source;
  };

  CD.App = App;

  document.addEventListener('DOMContentLoaded', function () {
    var root = document.getElementById('cd-app');
    var config = JSON.parse(document.getElementById('cd-config').textContent);
    var host;
    try {
      host = CD.hostFor(config);
    } catch (err) {
      root.replaceChildren(h('div.cd-alert', {role: 'alert', text: err.message}));
      return;
    }
    var app = CD.app = new App(config, host, root);
    if (window.ResizeObserver) { new window.ResizeObserver(function () { app.resize(); }).observe(root); }
    app.start();
  });
})(window, document);
