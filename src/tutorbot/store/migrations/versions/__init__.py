"""One file per schema change, oldest first; each names the revision it follows."""
