"""The supervisor's dashboard: the branch's day in figures (issue 15, part 5)."""
