/* A small renderer of Intercom Canvas Kit JSON into plain DOM (demo preview; no network, no eval). */
(function (global) {
  "use strict";
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = String(text);
    return node;
  }
  var renderers = {
    text: function (c) { return el("p", "ic-text ic-" + (c.style || "paragraph"), c.text); },
    button: function (c, click) {
      var b = el("button", "ic-button ic-" + (c.style || "primary"), c.label);
      b.disabled = !!c.disabled; b.addEventListener("click", function () { click(c.id); }); return b;
    },
    "data-table": function (c) {
      var dl = el("dl", "ic-table");
      (c.items || []).forEach(function (i) { dl.appendChild(el("dt", null, i.field)); dl.appendChild(el("dd", null, i.value)); });
      return dl;
    },
    list: function (c, click) {
      var ul = el("ul", "ic-list");
      (c.items || []).forEach(function (i) {
        var li = el("li", "ic-item"); li.appendChild(el("strong", null, i.title));
        if (i.subtitle) li.appendChild(el("span", "ic-sub", i.subtitle));
        if (i.tertiary_text) li.appendChild(el("span", "ic-ter", i.tertiary_text));
        if (i.action) li.addEventListener("click", function () { click(i.id); });
        ul.appendChild(li);
      });
      return ul;
    },
    input: function (c) { var l = el("label", "ic-input", c.label); var i = el("input"); i.name = c.id; i.value = c.value || ""; l.appendChild(i); return l; },
    textarea: function (c) { var l = el("label", "ic-input", c.label); var t = el("textarea"); t.name = c.id; t.value = c.value || ""; l.appendChild(t); return l; },
    dropdown: function (c) {
      var l = el("label", "ic-input", c.label); var s = el("select"); s.name = c.id;
      (c.options || []).forEach(function (o) { var op = el("option", null, o.text); op.value = o.id; op.selected = o.id === c.value; s.appendChild(op); });
      l.appendChild(s); return l;
    },
    divider: function () { return el("hr"); },
    spacer: function () { return el("div", "ic-spacer"); }
  };
  /* render(target, canvasResponse, onClick(componentId, inputValues)) */
  function render(target, response, onClick) {
    target.textContent = "";
    var comps = (((response || {}).canvas || {}).content || {}).components || [];
    function click(id) {
      var values = {};
      Array.prototype.forEach.call(target.querySelectorAll("[name]"), function (f) { values[f.name] = f.value; });
      onClick(id, values);
    }
    comps.forEach(function (c) { var r = renderers[c.type]; if (r) target.appendChild(r(c, click)); });
  }
  global.ChargeDeskCanvas = { render: render };
})(window);
