"""The ARS desk: embarkation dashboard, the non-embarked and their priorities, the contact
log, what-if simulations (issue 8)."""
