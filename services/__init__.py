"""The four Minyi services. They never import each other, only `shared`."""
