"""The gate (domain.md W1, Arts 35–36): gate cards, and the check of what a truck presents against its card."""
