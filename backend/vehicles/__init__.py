"""Key vehicles under direct supervision (Decision 1966, Art 39) and their supervision journal."""
