// Custom cell renderers for the runs grid. React escapes text: a run named like HTML stays text.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

// The run's name as a link to its page, /run/<run_id> (each path segment encoded, slashes kept).
dagcomponentfuncs.RunLink = function (props) {
  if (!props.data) return null;
  var runId = String(props.data.run_id);
  var href = "/run/" + runId.split("/").map(encodeURIComponent).join("/");
  var text = props.value === null || props.value === undefined ? runId : String(props.value);
  return React.createElement("a", { href: href, className: "run-link", title: text }, text);
};

// The selection checkbox. Controlled by the server's "_selected" flag: a click only asks
// (setData -> cellRendererData); a refused sixth selection therefore never shows as ticked.
dagcomponentfuncs.SelectBox = function (props) {
  if (!props.data) return null;
  var checked = Boolean(props.data._selected);
  var box = React.createElement("input", {
    type: "checkbox",
    className: "form-check-input select-box",
    checked: checked,
    "aria-label": "Select " + String(props.data.name),
    onChange: function () {
      props.setData({ run_id: props.data.run_id, selected: !checked });
    },
  });
  var swatch = checked
    ? React.createElement("span", { className: "swatch", style: { backgroundColor: props.data._colour } })
    : null;
  return React.createElement("span", { className: "select-cell" }, box, swatch);
};
