"""Pure pandas analysis: filtering, scoring, diffs, intervals, exports. No Dash here."""
