"""Web Push notifications to supervisors' devices (issue 15, part 4): a device opts in on /account/devices; when
items arrive in a branch's inbox its supervisors' devices are told the kinds and counts, never the contents."""
