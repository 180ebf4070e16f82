"""What every domain shares: base structs, errors, i18n, clock, ids, hashing."""
