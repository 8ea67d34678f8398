"""Accounts and roles: sign-up, confirmation, login, approval of OG representatives."""
