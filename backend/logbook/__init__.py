"""The logbook (sổ theo dõi, domain.md W9): officers' notes of what happened at a location."""
