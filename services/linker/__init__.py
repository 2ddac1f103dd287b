"""The linker: the stateful story-linking stage over the one-partition annotated stream."""
