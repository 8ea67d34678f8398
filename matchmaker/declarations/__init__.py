"""Self-declarations of ESSMS and embarkation status: commands and the read side."""
