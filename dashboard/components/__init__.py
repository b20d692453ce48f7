"""Layout builders: functions returning components. No callbacks, no I/O."""
