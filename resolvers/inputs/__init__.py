"""Mutation inputs. A field left out is left unchanged; ``null`` clears it where it may be."""
