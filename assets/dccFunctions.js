// Tooltip formatters for range sliders (dcc.RangeSlider tooltip.transform).
window.dccFunctions = window.dccFunctions || {};

function runboardShort(value) {
  if (!isFinite(value)) return String(value);
  var abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) return value.toExponential(2).replace(/\.?0+e/, "e");
  return String(Number(value.toPrecision(4)));
}

// Log-scale sliders move in log10 units; show the value itself.
window.dccFunctions.pow10 = function (value) {
  return runboardShort(Math.pow(10, value));
};

window.dccFunctions.round4 = function (value) {
  return runboardShort(value);
};
