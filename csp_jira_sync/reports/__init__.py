"""Incident and problem trends raised in Jira as reports, saved filters per customer, and
recurring incidents turned into Problem records (issue 9)."""
