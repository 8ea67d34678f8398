"""My organisation: an OG's ESSMS, their declarations, interest, neighbours, proposals."""
