"""Sign-in, sign-up, workspaces and the team."""
