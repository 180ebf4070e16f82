"""The supervisor's inbox: everything waiting for a decision of the branch, contributed by the domains (issue 15)."""
