"""Changes of export place and the 15-day rule for goods from a bonded warehouse abroad (Decision 1966, Art 43.3.b-c)."""
