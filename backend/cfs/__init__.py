"""CFS consolidation lists (Decision 1966, Art 44.2.b.1.1 and 44.2.b.1.3; form 25/DMXK-CFS/GSQL; issue 16 item 2)."""
