// Custom cell renderers for the runs grid. React escapes text: a run named like HTML stays text.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

// The run's name as a link to its page, /run/<run_id> (each path segment encoded, slashes kept).
dagcomponentfuncs.RunLink = function (props) {
  if (!props.data) return null;
  var runId = String(props.data.run_id);
  var href = "/run/" + runId.split("/").map(encodeURIComponent).join("/");
  var text = props.value === null || props.value === undefined ? runId : String(props.value);
  // The recommended run's star is drawn by CSS (.rb-recommended::before), so the cell's text stays the name.
  var recommended = Boolean(props.data._recommended);
  return React.createElement(
    "a",
    {
      href: href,
      className: recommended ? "run-link rb-recommended" : "run-link",
      title: text,
      "aria-description": recommended ? "recommended run" : undefined,
    },
    text
  );
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

// The recommendation score: one decimal so totals line up; unscored runs show a dash.
dagcomponentfuncs.ScoreCell = function (props) {
  var value = props.value;
  var text = typeof value === "number" && isFinite(value) ? value.toFixed(1) : "\u2014";
  return React.createElement("span", { className: "score-cell" }, text);
};
