"""Seals: the seal requirement, customs seals, corrections, the "sealed" confirmation, and handover records."""
