/* Help Scout host adapter: the official @helpscout/javascript-sdk gives the conversation, the customer's
 * emails and the agent, and sizes the app frame (setAppHeight). The SDK only talks to a parent whose
 * origin is Help Scout's; anywhere else getApplicationContext() never answers, so we time out. */
(function (window) {
  'use strict';

  var CONTEXT_TIMEOUT_MS = 10000;

  function emailsFrom(customer) {
    var emails = [];
    function add(value) {
      var text = value && typeof value === 'object' ? value.value : value;
      if (typeof text === 'string' && text && emails.indexOf(text) === -1) { emails.push(text); }
    }
    if (!customer) { return emails; }
    add(customer.email);
    (customer.emails || []).forEach(add);
    return emails;
  }

  function withTimeout(promise, message) {
    return new Promise(function (resolve, reject) {
      var timer = window.setTimeout(function () { reject(new Error(message)); }, CONTEXT_TIMEOUT_MS);
      promise.then(function (value) { window.clearTimeout(timer); resolve(value); },
                   function (err) { window.clearTimeout(timer); reject(err); });
    });
  }

  window.ChargeDesk.registerHost('helpscout', function (config) {
    var sdk = window.HelpScoutAppSDK && window.HelpScoutAppSDK['default'];
    if (!sdk) {
      throw new Error(window.HelpScoutAppSDKMissing || 'The Help Scout apps SDK did not load.');
    }
    var signedTicket = config.ticket_id || null;
    return {
      client: sdk,
      context: function () {
        var asked = sdk.getApplicationContext();
        return withTimeout(asked, 'Open ChargeDesk from a conversation in Help Scout: Help Scout did not answer.')
          .then(function (ctx) {
            ctx = ctx || {};
            var conversation = ctx.conversation || {};
            var ticketId = conversation.id !== undefined && conversation.id !== null ? String(conversation.id) : signedTicket;
            return {emails: emailsFrom(ctx.customer), ticketId: ticketId, agent: ctx.user || null};
          });
      },
      resize: function (height) {
        sdk.setAppHeight(height);
      },
      source: function () {
        return {host: 'helpscout'};
      }
    };
  });
})(window);
