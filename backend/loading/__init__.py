"""Loading, unloading and transhipment plans and their supervision measure (Decision 1966, Art 40; issue 16 item 5)."""
