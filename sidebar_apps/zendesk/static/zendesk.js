/* Zendesk host adapter: the official ZAF SDK gives the requester, the ticket and the agent,
 * and resizes the app frame. ZAFClient.init() reads origin and app_guid from our URL. */
(function (window) {
  'use strict';

  var PATHS = {
    ticket_sidebar: ['ticket.requester.email', 'ticket.requester.identities', 'ticket.id', 'currentUser'],
    new_ticket_sidebar: ['ticket.requester.email', 'currentUser'],
    user_sidebar: ['user.email', 'user.identities', 'currentUser']
  };

  function emailsFrom(data) {
    var emails = [];
    function add(value) {
      if (value && emails.indexOf(value) === -1) { emails.push(value); }
    }
    add(data['ticket.requester.email'] || data['user.email']);
    (data['ticket.requester.identities'] || data['user.identities'] || []).forEach(function (identity) {
      if (identity && identity.type === 'email') { add(identity.value); }
    });
    return emails;
  }

  window.ChargeDesk.registerHost('zendesk', function (config) {
    var client = window.ZAFClient && window.ZAFClient.init();
    if (!client) {
      throw new Error('Open ChargeDesk from a Zendesk ticket: the Zendesk app framework is not available here.');
    }
    var paths = PATHS[config.location] || PATHS.ticket_sidebar;
    return {
      client: client,
      context: function () {
        return client.get(paths).then(function (data) {
          var ticketId = data['ticket.id'];
          return {emails: emailsFrom(data), ticketId: ticketId === undefined || ticketId === null ? null : String(ticketId),
                  agent: data.currentUser || null};
        });
      },
      resize: function (height) {
        return client.invoke('resize', {width: '100%', height: height + 'px'});
      },
      source: function () {
        return {host: 'zendesk'};
      }
    };
  });
})(window);
