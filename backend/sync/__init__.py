"""Working offline and without the upstream system: replicated reference data, contingency mode, reconciliation,
the device's sync status, and `giamsat sync import` of an exported device queue."""
