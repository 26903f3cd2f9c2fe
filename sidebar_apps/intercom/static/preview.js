/* The demo preview plays Intercom's inbox: render our canvas, send clicks to /demo/intercom/canvas. */
(function () {
  "use strict";
  var target = document.getElementById("canvas");
  var context = JSON.parse(document.getElementById("canvas-context").textContent);
  var current = JSON.parse(document.getElementById("canvas-data").textContent);
  function show(answer) {
    current = answer;
    window.ChargeDeskCanvas.render(target, answer, function (componentId, inputValues) {
      fetch("/demo/intercom/canvas", {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({conversation: context.conversation, agent: context.agent, component_id: componentId,
                              input_values: inputValues, stored_data: (current.canvas || {}).stored_data || {}})
      }).then(function (r) { return r.json(); }).then(show);
    });
  }
  show(current);
})();
