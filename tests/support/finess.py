"""The names of the real FINESS samples of ``../shared/data/finess``."""

#: The 15 real lines of the 2026-05-12 cs1100502 extract (``exemples-reels/``).
SAMPLE_NAME = "etalab-cs1100502-stock-20260512-0339.extrait-15-lignes.csv"
#: The real FINESS+ JSON sample (``finess-plus/``).
PLUS_NAME = "finess-structures-20260813-extrait-partage.json.gz"
