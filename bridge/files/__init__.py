"""Where customers' and agents' files are kept, and what kind of file some bytes are."""
