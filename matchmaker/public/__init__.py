"""Public pages: the programme, open campaigns, the establishment search."""
