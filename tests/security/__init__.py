"""Hostile input: uploads, logos, names with markup, hosts (issue 11)."""
