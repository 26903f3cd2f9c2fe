/* The Zendesk host, played for the ZAF SDK inside the sidebar iframe (demo preview and browser tests).
 *
 * Protocol (zendesk_app_framework_sdk lib/client.js): the app posts JSON strings to its parent;
 * {key: 'iframe.handshake'} is answered with {key: 'zaf.app.registered', message: {metadata, context}};
 * {id, request: 'get', params: [paths]} with {id, result: {path: value, errors: {path: error}}};
 * {id, request: 'invoke', params: {name: [args]}} likewise. The SDK only accepts messages whose origin
 * is the `origin` it was given and whose source is its parent window. */
(function (window, document) {
  'use strict';

  var host = JSON.parse(document.getElementById('zaf-host').textContent);
  var frame = document.getElementById('zaf-app');
  var logList = document.getElementById('zaf-log');
  var requester = host.ticket.requester;
  var state = {
    ticket: {id: host.ticket.id, subject: host.ticket.subject,
             requester: {id: requester.id, name: requester.name, email: requester.email,
                         identities: [{type: 'email', value: requester.email, primary: true}]}},
    user: {id: requester.id, name: requester.name, email: requester.email,
           identities: [{type: 'email', value: requester.email, primary: true}]},
    currentUser: host.current_user,
    currentAccount: {subdomain: host.account.subdomain}
  };

  function resolve(path) {
    return path.split('.').reduce(function (value, key) {
      return value !== undefined && value !== null && Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined;
    }, state);
  }

  function record(kind, text) {
    var item = document.createElement('li');
    item.setAttribute('data-kind', kind);
    item.textContent = kind + ': ' + text;
    logList.appendChild(item);
    document.body.setAttribute('data-' + kind, String(Number(document.body.getAttribute('data-' + kind) || 0) + 1));
  }

  function reply(message) {
    frame.contentWindow.postMessage(JSON.stringify(message), host.origin);
  }

  function registered() {
    return {key: 'zaf.app.registered', message: {
      metadata: {appId: 0, installationId: host.installation_id, name: 'ChargeDesk', version: 'harness', settings: {}},
      context: {product: 'support', location: host.location, instanceGuid: host.app_guid,
                ticketId: host.ticket.id, account: {subdomain: host.account.subdomain}}}};
  }

  function answerGet(msg) {
    var result = {errors: {}};
    (msg.params || []).forEach(function (path) {
      var value = resolve(String(path));
      if (value === undefined) {
        result.errors[path] = {message: 'Could not find the path "' + path + '"', name: 'PathNotFound', path: path};
      } else {
        result[path] = value;
      }
    });
    record('get', (msg.params || []).join(', '));
    reply({id: msg.id, result: result});
  }

  function resize(args) {
    var size = args[0] || {};
    if (/^\d{1,5}px$/.test(String(size.height))) {
      frame.style.height = size.height;
      frame.setAttribute('data-height', parseInt(size.height, 10));
    }
    record('resize', String(size.height));
  }

  function answerInvoke(msg) {
    var result = {errors: {}};
    Object.keys(msg.params || {}).forEach(function (name) {
      if (name === 'resize') { resize(msg.params[name] || []); result[name] = null; }
      else { result.errors[name] = {message: name + ' is not available in the harness', name: 'NotSupported', path: name}; }
    });
    reply({id: msg.id, result: result});
  }

  window.addEventListener('message', function (event) {
    if (event.source !== frame.contentWindow || event.origin !== host.origin) { return; }
    var msg;
    try { msg = typeof event.data === 'string' ? JSON.parse(event.data) : event.data; } catch (err) { return; }
    if (!msg || msg.appGuid !== host.app_guid) { return; }
    if (msg.key === 'iframe.handshake') { record('handshake', (msg.message || {}).version || ''); reply(registered()); }
    else if (msg.request === 'get') { answerGet(msg); }
    else if (msg.request === 'invoke') { answerInvoke(msg); }
    else if (msg.request === 'set') { reply({id: msg.id, result: {errors: {}}}); }
  });

  document.getElementById('zaf-launch').submit();
})(window, document);
