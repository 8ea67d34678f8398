"""The editor referential: normalising raw editor names, the review queue, aliases."""
