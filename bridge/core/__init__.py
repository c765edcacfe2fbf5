"""The domain core: cases, routing, codes and events. Standard library only."""
