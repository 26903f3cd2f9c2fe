/* ChargeDesk sidebar core: namespace, host registry, safe DOM building, API client, money input.
 *
 * Host adapters plug in with ChargeDesk.registerHost(name, factory); factory(config) returns
 *   { context(): Promise<{emails: string[], ticketId: string|null}>, resize(heightPx), source(): {} }
 * Everything shown is built with textContent/attributes (never innerHTML), so data cannot inject markup.
 */
(function (window, document) {
  'use strict';

  var hosts = {};
  var CD = window.ChargeDesk = window.ChargeDesk || {};

  CD.registerHost = function (name, factory) { hosts[name] = factory; };
  CD.hostFor = function (config) {
    var factory = hosts[config.host];
    if (!factory) { throw new Error('No sidebar adapter for host "' + config.host + '".'); }
    return factory(config);
  };

  /* h('div.cd-row', {title: x, onclick: fn}, [children]) -> Element; strings become text nodes. */
  CD.h = function (spec, attrs, children) {
    var parts = spec.split('.');
    var el = document.createElement(parts[0] || 'div');
    if (parts.length > 1) { el.className = parts.slice(1).join(' '); }
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key.slice(0, 2) === 'on') { el.addEventListener(key.slice(2), value); }
      else if (key === 'text') { el.textContent = String(value); }
      else if (key === 'value') { el.value = String(value); }
      else if (key === 'checked' || key === 'disabled') { el[key] = !!value; }
      else { el.setAttribute(key, value === true ? '' : String(value)); }
    });
    CD.append(el, children);
    return el;
  };

  CD.append = function (el, children) {
    (Array.isArray(children) ? children : [children]).forEach(function (child) {
      if (child === null || child === undefined || child === false) { return; }
      if (Array.isArray(child)) { CD.append(el, child); return; }
      el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    });
    return el;
  };

  /* ---- API: Bearer sidebar token, JSON in and out, errors as readable messages ---- */
  function ApiError(status, message, body) {
    this.name = 'ApiError';
    this.status = status;
    this.message = message;
    this.body = body || {};
  }
  ApiError.prototype = Object.create(Error.prototype);
  CD.ApiError = ApiError;

  CD.Api = function (base, token) {
    this.base = base;
    this.token = token;
  };

  CD.Api.prototype.request = function (method, path, params, body) {
    var url = this.base + path + CD.queryString(params);
    var init = {method: method, headers: {'Authorization': 'Bearer ' + this.token, 'Accept': 'application/json'},
                credentials: 'omit', cache: 'no-store'};
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return window.fetch(url, init).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (json) {
        if (resp.ok) { return json; }
        throw new ApiError(resp.status, messageFor(resp.status, json), json);
      });
    }, function () {
      throw new ApiError(0, 'ChargeDesk cannot be reached. Check your connection and try again.');
    });
  };

  CD.Api.prototype.get = function (path, params) { return this.request('GET', path, params); };
  CD.Api.prototype.post = function (path, body) { return this.request('POST', path, null, body); };

  function messageFor(status, json) {
    if (status === 401) { return 'Your ChargeDesk session has expired. Reload the ticket to continue.'; }
    if (json && json.message) { return json.message; }
    return 'ChargeDesk answered with an error (' + status + '). Try again in a moment.';
  }

  CD.queryString = function (params) {
    var pairs = [];
    Object.keys(params || {}).forEach(function (key) {
      var values = params[key];
      (Array.isArray(values) ? values : [values]).forEach(function (value) {
        if (value !== null && value !== undefined && value !== '') {
          pairs.push(encodeURIComponent(key) + '=' + encodeURIComponent(value));
        }
      });
    });
    return pairs.length ? '?' + pairs.join('&') : '';
  };

  /* "12.5" with exponent 2 -> 1250 (integer minor units); null when not a valid amount. No floats. */
  CD.parseMajor = function (text, exponent) {
    var match = /^\s*(\d{1,12})(?:[.,](\d*))?\s*$/.exec(String(text || ''));
    if (!match) { return null; }
    var fraction = match[2] || '';
    if (fraction.length > exponent) { return null; }
    while (fraction.length < exponent) { fraction += '0'; }
    return parseInt(match[1] + fraction, 10);
  };

  /* 1250, 2 -> "12.50": the editable form of an amount (the display string comes from the server). */
  CD.formatMajor = function (minor, exponent) {
    var digits = String(Math.abs(minor));
    if (!exponent) { return digits; }
    while (digits.length <= exponent) { digits = '0' + digits; }
    return digits.slice(0, digits.length - exponent) + '.' + digits.slice(digits.length - exponent);
  };

  CD.newKey = function () {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  };

  CD.date = function (iso) {
    if (!iso) { return ''; }
    var when = new Date(iso);
    if (isNaN(when.getTime())) { return ''; }
    return when.toLocaleDateString('en-US', {month: 'short', day: 'numeric', year: 'numeric'});
  };

  CD.humanize = function (code) {
    var text = String(code || '').replace(/_/g, ' ');
    return text.charAt(0).toUpperCase() + text.slice(1);
  };
})(window, document);
