// Formatting helpers for the runs grid, called by name from column valueFormatters.
// Values are plain text: nothing here builds HTML.
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

var MISSING = "\u2014";

// 4 significant digits; scientific for tiny or huge magnitudes (learning rates); missing as a dash.
dagfuncs.formatNumber = function (value) {
  if (value === null || value === undefined || value === "") return MISSING;
  if (typeof value !== "number") return String(value);
  if (!isFinite(value)) return MISSING;
  if (Number.isInteger(value) && Math.abs(value) < 1e7) return String(value);
  var abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) return value.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(value.toPrecision(4)));
};

dagfuncs.formatText = function (value) {
  if (value === null || value === undefined || value === "") return MISSING;
  if (typeof value === "number") return dagfuncs.formatNumber(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
};

// A metric cell is the best/worst of the rows shown when the server flagged its column in the row.
dagfuncs.isFlagged = function (params, field) {
  var flags = params.data && params.data[field];
  return Array.isArray(flags) && flags.indexOf(params.colDef.field) !== -1;
};
